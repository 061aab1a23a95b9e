import { SAMPLE } from "../harness/sample";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { POLICY_CATALOG } from "../../policies/catalog";
import { promotionSummary, setImage, setMigrationVersion } from "../../src/cli/promote";
import { loadSpecFromFile, type StackName } from "../../src/model";
import { editFile, runCli, scratchProject } from "./helpers";

const DEV_IMAGE = `123456789012.dkr.ecr.${SAMPLE.region}.amazonaws.com/${SAMPLE.repository}@sha256:9a8b7c6d5e4f30211f2e3d4c5b6a79881f2e3d4c5b6a7988a1b2c3d4e5f60718`;
const STAGE_IMAGE = `123456789012.dkr.ecr.${SAMPLE.region}.amazonaws.com/${SAMPLE.repository}@sha256:4f1c2a7be0d9e3c5a6b8f7e2d1c0b9a8f7e6d5c4b3a2918f7e6d5c4b3a291807`;

function changedLines(before: string, after: string): [string, string][] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b).toHaveLength(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [[line, b[i]!] as [string, string]]));
}

const DEV_WORKER = `123456789012.dkr.ecr.${SAMPLE.region}.amazonaws.com/${SAMPLE.app}-worker@sha256:0718a1b2c3d4e5f69a8b7c6d5e4f30211f2e3d4c5b6a79881f2e3d4c5b6a7988`;
const STAGE_WORKER = `123456789012.dkr.ecr.${SAMPLE.region}.amazonaws.com/${SAMPLE.app}-worker@sha256:c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2`;

describe("promotionSummary", () => {
  it("shows each service as changed, unchanged or not promoted", () => {
    const text = promotionSummary({ from: "stage", to: "prod" }, "Pulumi.prod.yaml", [
      {
        service: "api",
        before: "r/api@sha256:1",
        after: "r/api@sha256:2",
        migration: { before: "41", after: "42" },
      },
      { service: "worker", before: "r/w@sha256:3", after: "r/w@sha256:3" },
      {
        service: "jobs",
        before: "r/j@sha256:4",
        after: "r/j@sha256:4",
        migration: { before: "7", after: "8" },
      },
      {
        service: "admin",
        before: "r/a@sha256:5",
        after: "r/a@sha256:5",
        migration: { before: "3", after: "3" },
      },
      {
        service: "search",
        before: "r/s@sha256:6",
        after: "r/s@sha256:6",
        migration: { before: undefined, after: undefined, held: "declare it in prod first" },
      },
      { service: "web", before: undefined, after: undefined },
    ]);
    expect(text.split("\n")).toEqual([
      "## Promote stage → prod",
      "",
      "2 service(s) of prod take the image stage runs and the migration version it migrated to, which passed the gate in stage (no mandatory violation). Only these image digests and migration versions change in `Pulumi.prod.yaml`; every other setting stays prod's.",
      "",
      "| Service | prod runs now | after the merge | migration version |",
      "| --- | --- | --- | --- |",
      "| api | `r/api@sha256:1` | `r/api@sha256:2` | `41` → `42` |",
      "| worker | `r/w@sha256:3` | unchanged | none |",
      "| jobs | `r/j@sha256:4` | unchanged | `7` → `8` |",
      "| admin | `r/a@sha256:5` | unchanged | `3` unchanged |",
      "| search | `r/s@sha256:6` | unchanged | none (declare it in prod first) |",
      "| web | not declared | not promoted: declare it in prod first | — |",
      "",
    ]);
    expect(
      promotionSummary({ from: "stage", to: "prod" }, "f", [
        { service: "api", before: "a", after: "a", migration: { before: "1", after: "1" } },
      ]),
    ).toContain("prod already runs stage's images and migration versions: nothing changes.");
  });
});

describe("setImage", () => {
  const text = [
    "# header comment",
    "config:",
    "  envstack:services:",
    "    api:",
    "      # Promoted from dev.",
    `      image: ${STAGE_IMAGE} # trailing`,
    "      cpu: 1024",
    `    worker: { image: "${STAGE_WORKER}", cpu: 512 }`,
    '  envstack:database: { engineVersion: "16.13", accessCidrs: [10.0.0.0/8] }',
    "",
  ].join("\n");

  it("changes only the service's image scalar, keeping comments, quoting, flow maps and the other services", () => {
    const change = setImage(text, "Pulumi.stage.yaml", "api", DEV_IMAGE);
    expect([change.service, change.before, change.after]).toEqual(["api", STAGE_IMAGE, DEV_IMAGE]);
    expect(changedLines(text, change.text)).toEqual([
      [`      image: ${STAGE_IMAGE} # trailing`, `      image: ${DEV_IMAGE} # trailing`],
    ]);
  });

  it("keeps a flow map's quoting when it changes a service written inline", () => {
    const change = setImage(text, "Pulumi.stage.yaml", "worker", DEV_WORKER);
    expect(change.before).toBe(STAGE_WORKER);
    expect(changedLines(text, change.text)).toEqual([
      [
        `    worker: { image: "${STAGE_WORKER}", cpu: 512 }`,
        `    worker: { image: "${DEV_WORKER}", cpu: 512 }`,
      ],
    ]);
  });

  it("adds the key when the target file has none", () => {
    const change = setImage(
      `config:\n  aws:region: ${SAMPLE.region}\n`,
      "Pulumi.stage.yaml",
      "api",
      DEV_IMAGE,
    );
    expect(change.before).toBeUndefined();
    expect(change.text).toBe(
      `config:\n  aws:region: ${SAMPLE.region}\n  envstack:services:\n    api:\n      image: ${DEV_IMAGE}\n`,
    );
  });
});

describe("setMigrationVersion", () => {
  const text = [
    "config:",
    "  envstack:services:",
    "    api:",
    "      migrations:",
    '        command: ["./migrate", "up"]',
    "        version: v7 # the schema",
    "    web: { migrations: { command: [m], version: '3' } }",
    "",
  ].join("\n");

  it("changes only the version scalar, quoting one YAML would read as a number", () => {
    const change = setMigrationVersion(text, "Pulumi.prod.yaml", "api", "42");
    expect([change.before, change.after]).toEqual(["v7", "42"]);
    expect(changedLines(text, change.text)).toEqual([
      ["        version: v7 # the schema", '        version: "42" # the schema'],
    ]);
    expect(changedLines(text, setMigrationVersion(text, "f", "api", "v8").text)).toEqual([
      ["        version: v7 # the schema", "        version: v8 # the schema"],
    ]);
  });

  it("keeps a flow map's quoting", () => {
    expect(changedLines(text, setMigrationVersion(text, "f", "web", "4").text)).toEqual([
      [
        "    web: { migrations: { command: [m], version: '3' } }",
        "    web: { migrations: { command: [m], version: '4' } }",
      ],
    ]);
  });
});

describe("envstack promote (end to end)", () => {
  it("copies dev's digests and migration versions into stage, service by service, and nothing else", async () => {
    const dir = scratchProject();
    const target = path.join(dir, "Pulumi.stage.yaml");
    const stageVersion = loadSpecFromFile(target, "stage").services["api"]!.migrations!.version;
    const devVersion = `${stageVersion}.1`;
    editFile(
      path.join(dir, "Pulumi.dev.yaml"),
      `version: "${stageVersion}"`,
      `version: "${devVersion}"`,
    );
    const before = fs.readFileSync(target, "utf8");
    const change = (key: string, from: string, to: string) =>
      `${target}: envstack:services.${key}.image (dev → stage)\n  - ${from}\n  + ${to}\n`;
    const migration = `${target}: envstack:services.api.migrations.version (dev → stage)\n  - ${stageVersion}\n  + ${devVersion}\n`;
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
      change("api", STAGE_IMAGE, DEV_IMAGE) +
        migration +
        change("worker", STAGE_WORKER, DEV_WORKER) +
        "Dry run: nothing written.\n",
    );
    expect(fs.readFileSync(target, "utf8")).toBe(before);

    const run = await runCli(["promote", "--to", "stage", "--project-dir", dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      change("api", STAGE_IMAGE, DEV_IMAGE) +
        migration +
        change("worker", STAGE_WORKER, DEV_WORKER) +
        `Wrote ${target}.\n`,
    );
    const after = fs.readFileSync(target, "utf8");
    expect(changedLines(before, after)).toEqual([
      [`      image: ${STAGE_IMAGE}`, `      image: ${DEV_IMAGE}`],
      [`        version: "${stageVersion}"`, `        version: "${devVersion}"`],
      [`      image: ${STAGE_WORKER}`, `      image: ${DEV_WORKER}`],
    ]);
    expect(after).toContain("# Promoted from dev; prod receives exactly these digests");

    const again = await runCli(["promote", "--from", "dev", "--to", "stage", "--project-dir", dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `${target}: envstack:services.api.image: already dev's (${DEV_IMAGE})\n` +
        `${target}: envstack:services.api.migrations.version: already dev's (${devVersion})\n` +
        `${target}: envstack:services.worker.image: already dev's (${DEV_WORKER})\n` +
        "stage already runs dev's images and migration versions; nothing to promote.\n",
    );
  });

  it("promotes one service with --service, leaving the others as they are", async () => {
    const dir = scratchProject();
    const target = path.join(dir, "Pulumi.stage.yaml");
    const before = fs.readFileSync(target, "utf8");
    const run = await runCli([
      "promote",
      "--to",
      "stage",
      "--service",
      "worker",
      "--project-dir",
      dir,
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `${target}: envstack:services.worker.image (dev → stage)\n  - ${STAGE_WORKER}\n  + ${DEV_WORKER}\nWrote ${target}.\n`,
    );
    expect(changedLines(before, fs.readFileSync(target, "utf8"))).toEqual([
      [`      image: ${STAGE_WORKER}`, `      image: ${DEV_WORKER}`],
    ]);
  });

  it("writes the change a reviewer approves as Markdown with --summary", async () => {
    const dir = scratchProject();
    const images = (stack: StackName) =>
      loadSpecFromFile(path.join(dir, `Pulumi.${stack}.yaml`), stack).services;
    const dev = images("dev");
    const stage = images("stage");
    const summary = path.join(dir, "pr-body.md");
    const run = await runCli([
      "promote",
      "--to",
      "stage",
      "--dry-run",
      "--summary",
      summary,
      "--project-dir",
      dir,
    ]);
    expect(run.code).toBe(0);
    const text = fs.readFileSync(summary, "utf8");
    expect(text.split("\n")[0]).toBe("## Promote dev → stage");
    for (const [name, service] of Object.entries(dev)) {
      expect(text).toContain(`| ${name} | \`${stage[name]!.image}\` | \`${service.image}\` |`);
    }
    expect(text).toContain(
      `Only these image digests and migration versions change in \`${path.join(dir, "Pulumi.stage.yaml")}\``,
    );
    for (const [name, service] of Object.entries(stage)) {
      if (service.migrations === undefined) continue;
      expect(text).toContain(`| \`${service.migrations.version}\` unchanged |`);
      expect(text.split("\n").find((l) => l.startsWith(`| ${name} |`))).toMatch(/unchanged \|$/);
    }
  });

  it("holds the version back where the target declares no migrations for the service", async () => {
    const dir = scratchProject();
    const target = path.join(dir, "Pulumi.stage.yaml");
    const text = fs.readFileSync(target, "utf8");
    fs.writeFileSync(target, text.replace(/\n\s+migrations:\n\s+command: .*\n\s+version: .*/, ""));
    const before = fs.readFileSync(target, "utf8");
    const run = await runCli([
      "promote",
      "--to",
      "stage",
      "--service",
      "api",
      "--project-dir",
      dir,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `${target}: envstack:services.api.migrations.version: not promoted: stage declares no migrations for service api (declare them there first: their command)\n`,
    );
    expect(changedLines(before, fs.readFileSync(target, "utf8"))).toEqual([
      [`      image: ${STAGE_IMAGE}`, `      image: ${DEV_IMAGE}`],
    ]);
  });

  it("refuses a --summary it cannot write before running anything", async () => {
    const dir = scratchProject();
    const run = await runCli(["promote", "--to", "stage", "--summary", dir, "--project-dir", dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--summary ${dir}: `);
    expect(run.stdout).toBe("");
  });

  it("refuses --service naming a service either stack does not declare, writing nothing", async () => {
    const dir = scratchProject();
    const target = path.join(dir, "Pulumi.stage.yaml");
    const before = fs.readFileSync(target, "utf8");
    const run = await runCli([
      "promote",
      "--to",
      "stage",
      "--service",
      "billing",
      "--project-dir",
      dir,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `envstack promote: refusing: ${path.join(dir, "Pulumi.dev.yaml")}: envstack:services has no service "billing" (dev declares api, worker).\n`,
    );
    expect(fs.readFileSync(target, "utf8")).toBe(before);
  });

  it("reports a service the target does not declare yet instead of adding it", async () => {
    const dir = scratchProject();
    // Dev gains a worker-sized service stage has not declared.
    editFile(
      path.join(dir, "Pulumi.dev.yaml"),
      "    # Background jobs: no port, no load balancer.\n",
      `    reports:\n      image: ${DEV_WORKER}\n    # Background jobs: no port, no load balancer.\n`,
    );
    const target = path.join(dir, "Pulumi.stage.yaml");
    const refused = await runCli([
      "promote",
      "--to",
      "stage",
      "--service",
      "reports",
      "--project-dir",
      dir,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `envstack promote: refusing: ${target}: envstack:services has no service "reports" (stage declares api, worker). Declare it in stage first (its size, port and routing); promotion moves images only.\n`,
    );
    const all = await runCli(["promote", "--to", "stage", "--dry-run", "--project-dir", dir]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(
      `${target}: envstack:services.reports.image: not promoted: stage does not declare service reports (declare it there first: its size, port and routing)\n`,
    );
    expect(all.stdout).toContain(`${target}: envstack:services.api.image (dev → stage)\n`);
  });

  it("refuses an image that is not pinned by digest, writing nothing", async () => {
    const dir = scratchProject();
    editFile(
      path.join(dir, "Pulumi.dev.yaml"),
      DEV_IMAGE,
      `123456789012.dkr.ecr.${SAMPLE.region}.amazonaws.com/${SAMPLE.repository}:latest`,
    );
    const target = path.join(dir, "Pulumi.stage.yaml");
    const before = fs.readFileSync(target, "utf8");
    const run = await runCli(["promote", "--from", "dev", "--to", "stage", "--project-dir", dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `envstack promote: refusing: ${path.join(dir, "Pulumi.dev.yaml")}: envstack:services.api.image is not pinned by digest (expected <registry>/<repository>@sha256:<64 hex>, found "123456789012.dkr.ecr.${SAMPLE.region}.amazonaws.com/${SAMPLE.repository}:latest"). Promotion moves one immutable artifact; pin dev's image first.\n`,
    );
    expect(fs.readFileSync(target, "utf8")).toBe(before);
    // Another service's image is not held back by it.
    const worker = await runCli([
      "promote",
      "--to",
      "stage",
      "--service",
      "worker",
      "--dry-run",
      "--project-dir",
      dir,
    ]);
    expect(worker.code).toBe(0);
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
  it("lists every policy with its severity and level per role of environment", async () => {
    const run = await runCli(["policies"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^policy +severity +development +production-like +production +suppressible$/,
    );
    expect(lines).toHaveLength(POLICY_CATALOG.length + 3);
    for (const [i, p] of POLICY_CATALOG.entries()) {
      expect(lines[i + 2]!.split(/ +/)).toEqual([
        p.name,
        p.severity,
        p.levels.development,
        p.levels["production-like"],
        p.levels.production,
        p.suppressible ? "yes" : "no",
      ]);
    }
    expect(lines.at(-1)).toBe(`${POLICY_CATALOG.length} policies in envstack-policies.`);
  });
});
