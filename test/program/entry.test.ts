import { execFile } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readStackConfigFile, toEngineConfig } from "../../src/model";
import { ROOT } from "./harness";

describe("the program Pulumi.yaml names (dist/src/program/main.js)", () => {
  // The engine starts a program whose `main` is a file in that file's directory:
  // https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/engine/project.go#L45-L73
  it("finds every stack file from the directory the engine starts it in", async () => {
    const config = toEngineConfig(readStackConfigFile(path.join(ROOT, "Pulumi.prod.yaml")));
    const script = `
      const { runUnderMocks } = require(${JSON.stringify(path.join(ROOT, "dist/src/engine/mock-run.js"))});
      runUnderMocks({
        project: "envstack", stack: "prod", config: ${JSON.stringify(config)}, region: "eu-west-1",
        program: () => require(${JSON.stringify(path.join(ROOT, "dist/src/program/main.js"))}),
      }).then(
        (r) => console.log(JSON.stringify([...new Set(r.resources.filter((x) => x.type === "github:index/repositoryEnvironment:RepositoryEnvironment").map((x) => x.wireInputs.environment))].sort())),
        (err) => { console.error(err.message); process.exitCode = 3; },
      );
    `;
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["-e", script],
        { cwd: path.join(ROOT, "dist", "src") },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    // The guards stack declares every environment's deployment environment from its stack file.
    expect(run.stdout).toBe(`${JSON.stringify(["dev", "prod", "stage"])}\n`);
  });

  it("fails every stack with the variable, key, expected and found when ENVSTACK_STACK_FILES is wrong", async () => {
    const config = toEngineConfig(readStackConfigFile(path.join(ROOT, "Pulumi.dev.yaml")));
    const script = `
      const { runUnderMocks } = require(${JSON.stringify(path.join(ROOT, "dist/src/engine/mock-run.js"))});
      runUnderMocks({
        project: "envstack", stack: "dev", config: ${JSON.stringify(config)}, region: "eu-west-1",
        program: () => require(${JSON.stringify(path.join(ROOT, "dist/src/program/main.js"))}),
      }).then(() => console.log("ran"), (err) => { console.error(err.message); process.exitCode = 3; });
    `;
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["-e", script],
        {
          cwd: path.join(ROOT, "dist", "src"),
          env: { ...process.env, ENVSTACK_STACK_FILES: '{"qa": "Pulumi.qa.yaml"}' },
        },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });
    expect(run).toEqual({
      code: 3,
      stdout: "",
      stderr:
        'environment variable ENVSTACK_STACK_FILES: qa: expected one of dev, stage, prod, found unknown key with string "Pulumi.qa.yaml"\n',
    });
  });
});
