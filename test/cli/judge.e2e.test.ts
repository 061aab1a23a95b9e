import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { JUDGE_MODES, startJudge } from "../../src/engine/judge";
import { readStackConfigFile } from "../../src/model";
import { ROOT, runCli } from "./helpers";

const FIXTURES = path.join(__dirname, "fixtures");

interface Report {
  stacks: {
    stack: string;
    resources: unknown[];
    violations: { policy: string; message: string }[];
  }[];
}

describe("each stack is judged by a pack of its own", () => {
  it.each(JUDGE_MODES)(
    "%s: the pack reads its stack, its working directory, its config and only its stack's resources",
    async (judge) => {
      const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envstack-judge-")), "p.json");
      fs.writeFileSync(config, JSON.stringify({ "reports-what-it-saw": { label: "from-config" } }));
      const run = await runCli([
        "preview",
        "--stack",
        "dev",
        "--stack",
        "stage",
        "--policy-pack",
        path.join(FIXTURES, "stateful-pack"),
        "--policy-config",
        config,
        "--judge",
        judge,
        "--format",
        "json",
      ]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as Report;
      expect(report.stacks.map((s) => s.stack)).toEqual(["dev", "stage"]);
      for (const s of report.stacks) {
        const network = readStackConfigFile(path.join(ROOT, `Pulumi.${s.stack}.yaml`))[
          "envstack:network"
        ] as { cidr: string };
        const n = s.resources.length;
        // A pack shared by the stacks, or state kept from the previous stack, would count more.
        expect(s.violations.map((v) => v.message)).toEqual([
          `Reports what the pack instance saw.\nloaded for ${s.stack}, cwd stateful-pack, label from-config, ${n} resources counted, ${n} in the stack, network ${network.cidr}`,
        ]);
      }
    },
    120_000,
  );
});

describe("a pack that cannot serve", () => {
  it.each(JUDGE_MODES)(
    "%s: the server's own refusal, with exit 2 and no verdict",
    async (judge) => {
      const run = await runCli([
        "preview",
        "--stack",
        "dev",
        "--policy-pack",
        path.join(FIXTURES, "invalid-pack"),
        "--judge",
        judge,
      ]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(
        'envstack preview: the policy pack exited (code 1) before serving:\nInvalid policy name "all". "all" is a reserved name.\n',
      );
    },
    120_000,
  );

  it("in-process: a pack that declares no PolicyPack is named", async () => {
    const run = await runCli([
      "preview",
      "--stack",
      "dev",
      "--policy-pack",
      path.join(FIXTURES, "empty-pack"),
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `envstack preview: ${path.relative(ROOT, path.join(FIXTURES, "empty-pack", "index.js"))}: the policy pack defines no PolicyPack\n`,
    );
  });

  it("in-process: a TypeScript pack is refused, naming the other judge", async () => {
    const pack = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-ts-pack-"));
    fs.writeFileSync(path.join(pack, "PulumiPolicy.yaml"), "runtime: nodejs\n");
    fs.writeFileSync(path.join(pack, "package.json"), JSON.stringify({ main: "index.ts" }));
    fs.writeFileSync(path.join(pack, "index.ts"), "export {};\n");
    const run = await runCli(["preview", "--stack", "dev", "--policy-pack", pack]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `envstack preview: ${path.join(pack, "index.ts")}: the policy pack is TypeScript; judging in process needs it compiled to JavaScript (or use --judge pack-process)\n`,
    );
  });

  it("in-process: refuses to judge a stack the SDK runtime is not set for", async () => {
    const judge = startJudge("in-process", path.join(ROOT, "policies"), []);
    try {
      await expect(
        judge.judge({ stack: "no-such-stack", project: "envstack", engineConfig: {} }, [], {}),
      ).rejects.toThrow(
        /^the policy pack judges stack no-such-stack in this process, but the SDK runtime is set for \S+: run the stack's program first$/,
      );
    } finally {
      judge.close();
    }
  });
});

describe("--judge", () => {
  it("refuses an unknown judge with exit 2", async () => {
    const run = await runCli(["preview", "--stack", "dev", "--judge", "remote"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'envstack preview: --judge: expected one of in-process, pack-process, found "remote"\n',
    );
  });
});
