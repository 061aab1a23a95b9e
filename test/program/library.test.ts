import { execFile } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness";

/** Runs a script in a fresh node process in the project directory; its stdout as JSON. */
function runScript(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["-e", script], { cwd: ROOT }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

describe("the package as a library", () => {
  it("declares nothing when imported, and exposes the components and the model", async () => {
    const run = await runScript(`
      const { runUnderMocks } = require(${JSON.stringify(path.join(ROOT, "dist/src/engine/mock-run.js"))});
      let library;
      runUnderMocks({
        project: "envstack", stack: "dev", config: {}, region: "eu-west-1",
        program: () => { library = require("envstack"); return {}; },
      }).then(
        (r) => console.log(JSON.stringify({
          registered: r.resources.map((x) => x.type),
          exports: Object.keys(library).sort(),
          modelLoads: typeof library.model.loadSpecFromFile,
        })),
        (err) => { console.error(err.message); process.exitCode = 3; },
      );
    `);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const found = JSON.parse(run.stdout) as {
      registered: string[];
      exports: string[];
      modelLoads: string;
    };
    expect(found.registered).toEqual([]);
    expect(found.exports).toEqual(
      expect.arrayContaining([
        "AppService",
        "BranchRules",
        "Database",
        "DeploymentEnvironment",
        "Network",
        "declareAwsEnvironment",
        "declareEnvironment",
        "declareGuards",
        "model",
      ]),
    );
    expect(found.modelLoads).toBe("function");
  });

  it("resolves the program and the library by the package's name", async () => {
    const run = await runScript(`
      console.log(JSON.stringify([require.resolve("envstack"), require.resolve("envstack/program")]));
    `);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      path.join(ROOT, "dist", "src", "index.js"),
      path.join(ROOT, "dist", "src", "program", "main.js"),
    ]);
  });
});
