import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { STACKS } from "../../src/model";
import { ROOT } from "../cli/helpers";

/**
 * The package as `npm pack` makes it (the build already ran: `npm test` builds first), installed
 * into a fresh project's node_modules by extracting the tarball. Its dependencies come from this
 * checkout's node_modules through NODE_PATH rather than from an `npm install`: the SDKs are
 * hundreds of megabytes, and an offline install of them from the npm cache takes minutes.
 */

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], cwd: string, env = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const NODE_PATH = path.join(ROOT, "node_modules");

let tarball = "";
let project = "";
let files: string[] = [];

beforeAll(async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-pack-"));
  const packed = await run(
    npm,
    ["pack", "--json", "--ignore-scripts", "--pack-destination", out],
    ROOT,
  );
  expect(packed.code).toBe(0);
  const report = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(out, report[0]!.filename);
  files = report[0]!.files.map((f) => f.path);
  // A fresh project with the package installed as npm would lay it out.
  project = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-adopter-"));
  const installed = path.join(project, "node_modules", "envstack");
  fs.mkdirSync(installed, { recursive: true });
  const extracted = await run(
    "tar",
    ["-xzf", tarball, "-C", installed, "--strip-components=1"],
    project,
  );
  expect(extracted.code).toBe(0);
  for (const stack of STACKS) {
    fs.copyFileSync(
      path.join(ROOT, `Pulumi.${stack}.yaml`),
      path.join(project, `Pulumi.${stack}.yaml`),
    );
  }
}, 120_000);

describe("npm pack of the package", () => {
  it("holds the compiled library, program, CLI and policy pack, and no sources or tests", () => {
    for (const f of [
      "package.json",
      "Pulumi.yaml",
      "bin/envstack.js",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/main.js",
      "dist/src/cli/main.js",
      "dist/policies/index.js",
      "policies/PulumiPolicy.yaml",
      "policies/package.json",
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /^(src|test|bench)\//.test(f) || f.endsWith(".test.js"))).toEqual(
      [],
    );
    expect(files.filter((f) => /^Pulumi\.[^/]+\.yaml$/.test(f))).toEqual([]);
  });

  it("installed in another project, declares nothing on import and gives the components", async () => {
    const script = `
      const { runUnderMocks } = require(${JSON.stringify(path.join(ROOT, "dist/src/cli/mock-run.js"))});
      let library;
      runUnderMocks({
        project: "adopter", stack: "dev", config: {}, region: "eu-west-1",
        program: () => { library = require("envstack"); return {}; },
      }).then(
        (r) => console.log(JSON.stringify({
          from: require.resolve("envstack"),
          registered: r.resources.length,
          components: ["AppService", "Network", "declareEnvironment"].map((k) => typeof library[k]),
        })),
        (err) => { console.error(err.message); process.exitCode = 3; },
      );
    `;
    const found = await run(process.execPath, ["-e", script], project, { NODE_PATH });
    expect(found.stderr).toBe("");
    expect(JSON.parse(found.stdout)).toEqual({
      from: path.join(
        fs.realpathSync(project),
        "node_modules",
        "envstack",
        "dist",
        "src",
        "index.js",
      ),
      registered: 0,
      components: ["function", "function", "function"],
    });
  });

  it("installed in another project, its CLI previews that project's stacks with its own pack", async () => {
    const cli = path.join(project, "node_modules", "envstack", "bin", "envstack.js");
    const preview = await run(
      process.execPath,
      [cli, "preview", "--project-dir", project, "--stack", "stage", "--format", "json"],
      project,
      { NODE_PATH },
    );
    expect(preview.stderr).toBe("");
    expect([0, 1]).toContain(preview.code);
    const report = JSON.parse(preview.stdout) as {
      stacks: { stack: string; resources?: unknown; violations: unknown[] }[];
    };
    expect(report.stacks.map((s) => s.stack)).toEqual(["stage"]);
  });
});
