import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { POLICY_CATALOG } from "../../policies/catalog";
import { setImage } from "../../src/cli/promote";
import { editFile, runCli, scratchProject } from "./helpers";

const DEV_IMAGE =
  "123456789012.dkr.ecr.eu-west-1.amazonaws.com/trading-platform@sha256:9a8b7c6d5e4f30211f2e3d4c5b6a79881f2e3d4c5b6a7988a1b2c3d4e5f60718";
const STAGE_IMAGE =
  "123456789012.dkr.ecr.eu-west-1.amazonaws.com/trading-platform@sha256:4f1c2a7be0d9e3c5a6b8f7e2d1c0b9a8f7e6d5c4b3a2918f7e6d5c4b3a291807";

function changedLines(before: string, after: string): [string, string][] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b).toHaveLength(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [[line, b[i]!] as [string, string]]));
}

describe("setImage", () => {
  it("changes only the image scalar, keeping comments, quoting and flow lists", () => {
    const text = [
      "# header comment",
      "config:",
      "  envstack:service:",
      "    # Promoted from dev.",
      `    image: ${STAGE_IMAGE} # trailing`,
      "    cpu: 1024",
      '  envstack:database: { engineVersion: "16.13", accessCidrs: [10.0.0.0/8] }',
      "",
    ].join("\n");
    const change = setImage(text, "Pulumi.stage.yaml", DEV_IMAGE);
    expect(change.before).toBe(STAGE_IMAGE);
    expect(change.after).toBe(DEV_IMAGE);
    expect(changedLines(text, change.text)).toEqual([
      [`    image: ${STAGE_IMAGE} # trailing`, `    image: ${DEV_IMAGE} # trailing`],
    ]);
  });

  it("adds the key when the target file has none", () => {
    const change = setImage("config:\n  aws:region: eu-west-1\n", "Pulumi.stage.yaml", DEV_IMAGE);
    expect(change.before).toBeUndefined();
    expect(change.text).toBe(
      `config:\n  aws:region: eu-west-1\n  envstack:service:\n    image: ${DEV_IMAGE}\n`,
    );
  });
});

describe("envstack promote (end to end)", () => {
  it("copies dev's digest into stage and nothing else, keeping comments and layout", async () => {
    const dir = scratchProject();
    const target = path.join(dir, "Pulumi.stage.yaml");
    const before = fs.readFileSync(target, "utf8");
    const dry = await runCli([
      "promote",
      "--from",
      "dev",
      "--to",
      "stage",
      "--dry-run",
      "--project-dir",
      dir,
    ]);
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      `${target}: envstack:service.image (dev → stage)\n  - ${STAGE_IMAGE}\n  + ${DEV_IMAGE}\nDry run: nothing written.\n`,
    );
    expect(fs.readFileSync(target, "utf8")).toBe(before);

    const run = await runCli(["promote", "--to", "stage", "--project-dir", dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `${target}: envstack:service.image (dev → stage)\n  - ${STAGE_IMAGE}\n  + ${DEV_IMAGE}\nWrote ${target}.\n`,
    );
    const after = fs.readFileSync(target, "utf8");
    expect(changedLines(before, after)).toEqual([
      [`    image: ${STAGE_IMAGE}`, `    image: ${DEV_IMAGE}`],
    ]);
    expect(after).toContain("# Promoted from dev; prod receives exactly this digest.");

    const again = await runCli(["promote", "--from", "dev", "--to", "stage", "--project-dir", dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `stage already runs dev's image (${DEV_IMAGE}); nothing to promote.\n`,
    );
  });

  it("refuses an image that is not pinned by digest, writing nothing", async () => {
    const dir = scratchProject();
    editFile(
      path.join(dir, "Pulumi.dev.yaml"),
      DEV_IMAGE,
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/trading-platform:latest",
    );
    const target = path.join(dir, "Pulumi.stage.yaml");
    const before = fs.readFileSync(target, "utf8");
    const run = await runCli(["promote", "--from", "dev", "--to", "stage", "--project-dir", dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `envstack promote: refusing: ${path.join(dir, "Pulumi.dev.yaml")}: envstack:service.image is not pinned by digest (expected <registry>/<repository>@sha256:<64 hex>, found "123456789012.dkr.ecr.eu-west-1.amazonaws.com/trading-platform:latest"). Promotion moves one immutable artifact; pin dev's image first.\n`,
    );
    expect(fs.readFileSync(target, "utf8")).toBe(before);
  });

  it("refuses when the source stack fails the gate", async () => {
    const dir = scratchProject();
    editFile(path.join(dir, "Pulumi.stage.yaml"), "multiAz: true", "multiAz: false");
    const target = path.join(dir, "Pulumi.prod.yaml");
    const before = fs.readFileSync(target, "utf8");
    editFile(path.join(dir, "Pulumi.stage.yaml"), STAGE_IMAGE, DEV_IMAGE);
    const run = await runCli(["promote", "--from", "stage", "--to", "prod", "--project-dir", dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("stage-mirrors-prod");
    expect(run.stderr).toMatch(
      /envstack promote: refusing: stage fails the gate \(mandatory violations above\); fix stage before promoting it to prod\.\n$/,
    );
    expect(fs.readFileSync(target, "utf8")).toBe(before);
  });

  it.each([
    [
      ["--from", "prod", "--to", "stage"],
      "refusing to promote from prod to stage: promotion goes one step forward (dev → stage → prod); stage receives only from dev",
    ],
    [
      ["--from", "dev", "--to", "prod"],
      "refusing to promote from dev to prod: promotion goes one step forward (dev → stage → prod); prod receives only from stage",
    ],
    [["--to", "dev"], "dev is the first environment: nothing promotes into it"],
    [["--to", "qa"], '--to: unknown stack "qa": expected one of dev, stage, prod'],
  ])("refuses %j with exit 2", async (args, message) => {
    const run = await runCli(["promote", ...args]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`envstack promote: ${message}\n`);
  });
});

describe("envstack policies", () => {
  it("lists every policy with its severity and level per stack", async () => {
    const run = await runCli(["policies"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^policy +severity +dev +stage +prod +suppressible$/);
    expect(lines).toHaveLength(POLICY_CATALOG.length + 3);
    for (const [i, p] of POLICY_CATALOG.entries()) {
      expect(lines[i + 2]!.split(/ +/)).toEqual([
        p.name,
        p.severity,
        p.levels.dev,
        p.levels.stage,
        p.levels.prod,
        p.suppressible ? "yes" : "no",
      ]);
    }
    expect(lines.at(-1)).toBe(`${POLICY_CATALOG.length} policies in envstack-policies.`);
  });
});
