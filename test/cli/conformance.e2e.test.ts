import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { POLICY_CATALOG } from "../../policies/catalog";
import { latestExpiry, today } from "../../policies/suppressions";
import { JUDGE_MODES } from "../../src/engine/judge";
import { CORPUS, corpusStackFiles } from "./corpus/cases";
import { ROOT, editFile, runCli, scratchProject, type CliRun } from "./helpers";

/**
 * A preview to run with every judge: the project (its Pulumi.yaml and stack files, the gate's
 * --project-dir) and the rest of the command line. `prepare` builds what the case needs first.
 */
export interface ConformanceCase {
  readonly name: string;
  readonly projectDir: string;
  readonly args?: readonly string[] | (() => Promise<readonly string[]>);
  /** What the case must show in the report, so that it tests what it names. */
  readonly shows?: (report: ReportJson) => void;
}

interface ReportJson {
  stacks: {
    stack: string;
    violations: { policy: string; enforcement: string; urn: string; message: string }[];
    suppressions: { policy: string }[];
  }[];
}

const messages = (report: ReportJson) =>
  report.stacks.flatMap((s) => s.violations.map((v) => `${v.enforcement} ${v.message}`));

function preview(c: ConformanceCase, args: readonly string[], judge: string): Promise<CliRun> {
  return runCli([
    "preview",
    "--project-dir",
    c.projectDir,
    ...args,
    "--format",
    "json",
    "--judge",
    judge,
  ]);
}

/**
 * The judges conform on a case when they give the same verdict: the same exit code, the same
 * errors, and byte for byte the same JSON report (every violation, suppression, location).
 */
export function describeConformance(title: string, cases: readonly ConformanceCase[]): void {
  describe(title, () => {
    it.each(cases.map((c) => [c.name, c] as const))(
      "%s: the same report from every judge",
      async (_, c) => {
        const args = typeof c.args === "function" ? await c.args() : (c.args ?? []);
        const runs = await Promise.all(JUDGE_MODES.map((judge) => preview(c, args, judge)));
        const [first, ...others] = runs;
        for (const other of others) {
          expect(other.code).toBe(first!.code);
          expect(other.stderr).toBe(first!.stderr);
          expect(other.stdout).toBe(first!.stdout);
        }
        // A report, not an error both judges share.
        expect([0, 1]).toContain(first!.code);
        const report = JSON.parse(first!.stdout) as ReportJson;
        expect(report.stacks.length).toBeGreaterThan(0);
        c.shows?.(report);
      },
      240_000,
    );
  });
}

/** The committed stack file of `stack` copied into a scratch project, with one edit. */
function editedStack(stack: string, from: string | RegExp, to: string): string {
  const file = path.join(scratchProject(), `Pulumi.${stack}.yaml`);
  editFile(file, from, to);
  return file;
}

/**
 * Suppressions that exercise every branch: one waiving a violation the edited stage file
 * causes, one that matches nothing (stale), one expired, one invalid; pointed at by every
 * policy's `suppressionsFile` setting, in a policy config.
 */
async function suppressionsCase(): Promise<readonly string[]> {
  const stageFile = editedStack("stage", "multiAz: true", "multiAz: false");
  const found = await runCli(["preview", "--config-file", stageFile, "--format", "json"]);
  const parity = (JSON.parse(found.stdout) as ReportJson).stacks[0]!.violations.find(
    (v) => v.policy === "stage-mirrors-prod",
  )!;
  const dir = path.dirname(stageFile);
  const suppressions = path.join(dir, "suppressions.yaml");
  const entry = (fields: Record<string, string>) =>
    `  - ${Object.entries(fields)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join("\n    ")}\n`;
  const common = { owner: "@dba-team", reason: "Single-AZ while the failover drill is rebuilt." };
  fs.writeFileSync(
    suppressions,
    "suppressions:\n" +
      entry({
        policy: "stage-mirrors-prod",
        resource: parity.urn,
        attribute: "database.multiAz",
        ...common,
        expires: latestExpiry(today()),
      }) +
      entry({
        policy: "stage-mirrors-prod",
        resource: parity.urn,
        attribute: "database.storageGb",
        ...common,
        expires: latestExpiry(today()),
      }) +
      entry({
        policy: "encryption-at-rest",
        resource: parity.urn,
        ...common,
        expires: "2024-01-31",
      }) +
      entry({ policy: "stage-mirrors-prod", resource: "aws:*", ...common, expires: "2024-01-31" }),
  );
  const config = path.join(dir, "policy-config.json");
  fs.writeFileSync(
    config,
    JSON.stringify(
      Object.fromEntries(POLICY_CATALOG.map((p) => [p.name, { suppressionsFile: suppressions }])),
    ),
  );
  return ["--stack", "stage", "--config-file", stageFile, "--policy-config", config];
}

/** A policy config that asks for levels below the floors, and lowers a suppressible one. */
function refusedLevelsCase(): readonly string[] {
  const stageFile = editedStack("stage", "multiAz: true", "multiAz: false");
  const config = path.join(path.dirname(stageFile), "policy-config.json");
  fs.writeFileSync(config, JSON.stringify({ all: "disabled", "stage-mirrors-prod": "advisory" }));
  return ["--all", "--config-file", stageFile, "--policy-config", config];
}

export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  {
    name: "the committed stacks",
    projectDir: ROOT,
    args: ["--all"],
    shows: (r) => expect(r.stacks.map((s) => s.stack)).toEqual(["dev", "stage", "prod"]),
  },
  {
    name: "stage hand-edited to single-AZ",
    projectDir: ROOT,
    args: () =>
      Promise.resolve([
        "--all",
        "--config-file",
        editedStack("stage", "multiAz: true", "multiAz: false"),
      ]),
    shows: (r) =>
      expect(messages(r)).toContainEqual(expect.stringMatching(/^mandatory Set database.multiAz/)),
  },
  {
    name: "prod against a stage file with another digest",
    projectDir: ROOT,
    args: () =>
      Promise.resolve([
        "--stack",
        "prod",
        "--config-file",
        editedStack("stage", /@sha256:[0-9a-f]{64}/, `@sha256:${"b".repeat(64)}`),
      ]),
    shows: (r) =>
      expect(r.stacks[0]!.violations.map((v) => v.policy)).toContain("prod-runs-stage-digest"),
  },
  {
    name: "a policy config with levels refused below the floors",
    projectDir: ROOT,
    args: () => Promise.resolve(refusedLevelsCase()),
    shows: (r) =>
      expect(messages(r)).toContainEqual(expect.stringMatching(/^advisory Ignored all "disabled"/)),
  },
  {
    name: "suppressions: active, stale, expired and invalid",
    projectDir: ROOT,
    args: suppressionsCase,
    shows: (r) => {
      expect(r.stacks[0]!.suppressions.map((s) => s.policy)).toEqual(["stage-mirrors-prod"]);
      const all = messages(r).join("\n");
      expect(all).toContain("so it suppresses nothing");
      expect(all).toContain("expired on 2024-01-31");
    },
  },
  {
    name: "the example policy config",
    projectDir: ROOT,
    args: ["--all", "--policy-config", path.join(ROOT, "policies", "policy-config.example.json")],
  },
];

describeConformance(
  "in-process and pack-process judging give the same verdicts",
  CONFORMANCE_CASES,
);

/**
 * Every program of the corpus (test/cli/corpus) that registers resources in its own way, on the
 * stacks its verdict is known for, with copies of the committed stack files: the
 * Analyzer-protocol path must agree with the default judge on the programs people write, not
 * only on the envstack program. The cases about how a program is loaded are left out: both
 * judges run the program the same way.
 */
export const CORPUS_CONFORMANCE_CASES: readonly ConformanceCase[] = CORPUS.filter(
  (c) => c.about !== "loading",
).map((c) => ({
  name: `the corpus program ${c.name}`,
  projectDir: c.dir,
  args: () => {
    const files = corpusStackFiles();
    return Promise.resolve([
      ...c.stacks.flatMap((s) => ["--stack", s]),
      ...Object.values(files).flatMap((file) => ["--config-file", file]),
    ]);
  },
  shows: (r) => expect(r.stacks.map((s) => s.stack)).toEqual(c.stacks),
}));

describeConformance(
  "in-process and pack-process judging give the same verdicts on the corpus",
  CORPUS_CONFORMANCE_CASES,
);
