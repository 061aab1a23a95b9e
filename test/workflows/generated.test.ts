import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { runWorkflows } from "../../src/cli/workflows";
import type { Io } from "../../src/cli/io";
import { DEFAULT_ENVIRONMENTS } from "../../src/model/environments";
import { parseEnvironmentsFile } from "../../src/model/environments-file";
import {
  deployWorkflows,
  GENERATED_MARKER,
  withScannedBranches,
  WORKFLOWS_DIR,
} from "../../src/model/workflows";
import { lintWorkflow } from "./actionlint";
import { runCli } from "../cli/helpers";
import { checkWorkflows, loadWorkflows, WORKFLOW_DIR, type Workflow } from "./drift";

const ROOT = path.resolve(__dirname, "..", "..");

/** A chain unlike any sample: four environments, two of them before the production-like one. */
const CHAIN_FILE = `environments:
  - name: sandbox
    role: development
    branches: [develop]
  - name: uat
    role: development
    branches: [uat]
  - name: preprod
    role: production-like
    branches: [preprod, "release/*"]
  - name: live
    role: production
    branches: [live]
    tags: ["v*"]
`;
const chain = parseEnvironmentsFile(CHAIN_FILE, "envstack.yaml");

function capture(): Io & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    isTty: false,
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}

/** A project holding the chain above and a copy of this repository's workflows. */
function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-workflows-"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: shop\nruntime: nodejs\n");
  fs.writeFileSync(path.join(dir, "envstack.yaml"), CHAIN_FILE);
  fs.cpSync(WORKFLOW_DIR, path.join(dir, WORKFLOWS_DIR), { recursive: true });
  return dir;
}

describe("envstack workflows", () => {
  it("finds the committed workflows generated from this repository's environments", () => {
    const io = capture();
    expect(runWorkflows(["--check", "--project-dir", ROOT], io)).toBe(0);
    expect(io.err).toBe("");
  });

  it("writes one deploy workflow per environment, removes its own stale ones, keeps hand-written files", () => {
    const dir = project();
    const workflows = path.join(dir, WORKFLOWS_DIR);
    fs.writeFileSync(path.join(workflows, "deploy-legacy.yml"), "# written by hand\n");

    const check = capture();
    expect(runWorkflows(["--check", "--project-dir", dir], check)).toBe(1);
    expect(check.err).toContain(".github/workflows/deploy-sandbox.yml: missing");
    expect(check.err).toContain(".github/workflows/deploy-dev.yml: generated for an environment");
    expect(check.err).toContain(".github/workflows/code-scanning.yml: differs");
    // --check writes nothing.
    expect(fs.existsSync(path.join(workflows, "deploy-sandbox.yml"))).toBe(false);

    expect(runWorkflows(["--project-dir", dir], capture())).toBe(0);
    expect(fs.readdirSync(workflows).sort()).toEqual([
      "branch-flow.yml",
      "code-scanning.yml",
      "deploy-legacy.yml",
      "deploy-live.yml",
      "deploy-preprod.yml",
      "deploy-sandbox.yml",
      "deploy-uat.yml",
      "pull-request.yml",
    ]);
    const scanning = parse(fs.readFileSync(path.join(workflows, "code-scanning.yml"), "utf8")) as {
      on: { push: { branches: string[] } };
    };
    expect(scanning.on.push.branches).toEqual(["develop", "uat", "preprod", "release/*", "live"]);

    const again = capture();
    expect(runWorkflows(["--check", "--project-dir", dir], again)).toBe(0);
  });

  it("without --project-dir, writes into the project around the current directory", async () => {
    const dir = project();
    const nested = path.join(dir, "infra", "scripts");
    fs.mkdirSync(nested, { recursive: true });
    const run = await runCli(["workflows"], nested);
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(fs.existsSync(path.join(dir, WORKFLOWS_DIR, "deploy-sandbox.yml"))).toBe(true);
    expect(fs.existsSync(path.join(nested, WORKFLOWS_DIR))).toBe(false);
  });

  it("refuses a broken envstack.yaml, naming the file, and writes nothing", () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, "envstack.yaml"), "environments:\n  - name: Dev\n");
    const before = fs.readdirSync(path.join(dir, WORKFLOWS_DIR)).sort();
    const io = capture();
    expect(runWorkflows(["--project-dir", dir], io)).toBe(2);
    expect(io.err).toContain(path.join(dir, "envstack.yaml"));
    expect(fs.readdirSync(path.join(dir, WORKFLOWS_DIR)).sort()).toEqual(before);
  });
});

describe("the workflows generated for another chain", () => {
  const generated = deployWorkflows(chain);
  const scanning = fs.readFileSync(path.join(WORKFLOW_DIR, "code-scanning.yml"), "utf8");
  const workflows: Workflow[] = [
    ...loadWorkflows().filter(
      (w) => !w.file.startsWith("deploy-") && w.file !== "code-scanning.yml",
    ),
    { file: "code-scanning.yml", doc: parse(withScannedBranches(scanning, chain)) },
    ...[...generated].map(([file, text]) => ({ file, doc: parse(text) as unknown })),
  ];

  it("marks every file as generated", () => {
    expect([...generated.keys()].sort()).toEqual([
      "deploy-live.yml",
      "deploy-preprod.yml",
      "deploy-sandbox.yml",
      "deploy-uat.yml",
    ]);
    for (const text of generated.values())
      expect(text.startsWith(`${GENERATED_MARKER}\n`)).toBe(true);
  });

  it("agree with the chain: branches, environments, gate, credentials, the admin token only in production", () => {
    expect(checkWorkflows(workflows, { stacks: chain.names, environments: chain.byName })).toEqual(
      [],
    );
  });

  it("are told apart from the chain they were not generated for", () => {
    // The default chain's names: every deploy is for an environment that chain does not have.
    const problems = checkWorkflows(workflows);
    for (const stack of ["sandbox", "uat", "preprod", "live"]) {
      expect(problems).toContainEqual(
        expect.stringContaining(
          `deploys to environment "${stack}", which src/model does not define`,
        ),
      );
    }
    for (const stack of DEFAULT_ENVIRONMENTS.names) {
      expect(problems).toContain(
        `no push workflow deploys ${stack} (a job bound to environment "${stack}")`,
      );
    }
  });

  it.each([...generated.keys()])("%s passes actionlint", async (file) => {
    expect(await lintWorkflow(generated.get(file)!, file)).toEqual([]);
  });

  it("carries the previous environment's deployments into the next one's release", () => {
    const live = generated.get("deploy-live.yml")!;
    expect(live).toContain("preprod-deployments.json");
    expect(live).toContain("ENVSTACK_GITHUB_TOKEN");
    for (const file of ["deploy-sandbox.yml", "deploy-uat.yml", "deploy-preprod.yml"]) {
      expect(generated.get(file)).not.toContain("ENVSTACK_GITHUB_TOKEN");
    }
  });
});

describe("the workflow generated for a trunk", () => {
  const trunk = parseEnvironmentsFile("preset: trunk-based\n", "envstack.yaml");
  const generated = deployWorkflows(trunk);
  const text = generated.get("deploy.yml")!;
  const scanning = fs.readFileSync(path.join(WORKFLOW_DIR, "code-scanning.yml"), "utf8");
  const workflows: Workflow[] = [
    ...loadWorkflows().filter(
      (w) => !w.file.startsWith("deploy-") && w.file !== "code-scanning.yml",
    ),
    { file: "code-scanning.yml", doc: parse(withScannedBranches(scanning, trunk)) },
    { file: "deploy.yml", doc: parse(text) },
  ];

  it("is one workflow, each environment's job after the one before it", () => {
    expect([...generated.keys()]).toEqual(["deploy.yml"]);
    const jobs = (parse(text) as { jobs: Record<string, { needs?: string; environment: unknown }> })
      .jobs;
    expect(Object.keys(jobs)).toEqual(trunk.names.map((s) => `deploy-${s}`));
    trunk.names.forEach((stack, i) => {
      expect(jobs[`deploy-${stack}`]!.needs).toBe(
        i === 0 ? undefined : `deploy-${trunk.names[i - 1]}`,
      );
    });
  });

  it("agrees with the chain and passes actionlint", async () => {
    expect(checkWorkflows(workflows, { stacks: trunk.names, environments: trunk.byName })).toEqual(
      [],
    );
    expect(await lintWorkflow(text, "deploy.yml")).toEqual([]);
  });

  it("scans the trunk once", () => {
    const doc = parse(withScannedBranches(scanning, trunk)) as {
      on: { push: { branches: string[] } };
    };
    expect(doc.on.push.branches).toEqual(["main"]);
  });

  it("replaces per-environment workflows it generated when the chain becomes a trunk", () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, "envstack.yaml"), "preset: trunk-based\n");
    fs.writeFileSync(
      path.join(dir, WORKFLOWS_DIR, "deploy-dev.yml"),
      deployWorkflows(chain).get("deploy-sandbox.yml")!,
    );
    expect(runWorkflows(["--project-dir", dir], capture())).toBe(0);
    const files = fs
      .readdirSync(path.join(dir, WORKFLOWS_DIR))
      .filter((f) => f.startsWith("deploy"));
    expect(files).toEqual(["deploy.yml"]);
  });
});
