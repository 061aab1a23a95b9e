import * as fs from "node:fs";
import * as path from "node:path";
import Ajv04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import type * as sarif from "sarif";
import { describe, expect, it } from "vitest";
import { FINGERPRINT_KEY, MAX_RESULTS_PER_RUN, sarifReport } from "./sarif";
import { STACK_FILE, result, stageFixture, verdict, violation } from "../../../test/cli/report-fixtures";

const SARIF_SCHEMA = require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");

function validator() {
  const ajv = new Ajv04({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(fs.readFileSync(SARIF_SCHEMA, "utf8")) as object);
}

type Region = Required<Pick<sarif.Region, "startLine" | "startColumn" | "endLine" | "endColumn">>;

function placeOf(r: sarif.Result): { uri: string; region: Region } {
  const physical = r.locations![0]!.physicalLocation!;
  return { uri: physical.artifactLocation!.uri!, region: physical.region as Region };
}

describe("SARIF for code scanning", () => {
  const f = stageFixture();
  const log = sarifReport(result(f.verdict), f.dir);
  const run = log.runs[0]!;
  const results = run.results!;

  it("validates against the official SARIF 2.1.0 schema", () => {
    const validate = validator();
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
  });

  it("gives every result a region GitHub can show, in the file that caused it", () => {
    expect(results.map((r) => [r.ruleId, placeOf(r).uri, placeOf(r).region])).toEqual([
      [
        "redundancy-in-production",
        "Pulumi.stage.yaml",
        { startLine: 8, startColumn: 5, endLine: 8, endColumn: 19 },
      ],
      [
        "stage-mirrors-prod",
        "Pulumi.stage.yaml",
        { startLine: 8, startColumn: 5, endLine: 8, endColumn: 19 },
      ],
      [
        "buckets-versioned-and-private",
        "src/declared.ts",
        { startLine: 4, startColumn: 3, endLine: 4, endColumn: 21 },
      ],
      [
        "deployment-environment-rules",
        "Pulumi.stage.yaml",
        { startLine: 1, startColumn: 1, endLine: 1, endColumn: 8 },
      ],
      [
        "required-tags",
        "Pulumi.stage.yaml",
        { startLine: 1, startColumn: 1, endLine: 1, endColumn: 8 },
      ],
      [
        "database-backup-retention",
        "Pulumi.stage.yaml",
        { startLine: 4, startColumn: 3, endLine: 4, endColumn: 21 },
      ],
    ]);
    for (const r of results) {
      expect(r.locations![0]!.physicalLocation!.artifactLocation!.uriBaseId).toBe("PROJECTROOT");
    }
  });

  it("names the root cause and keeps the URN as the logical location", () => {
    expect(results[0]!.properties!.rootCause).toEqual({
      kind: "config",
      key: "envstack:database.multiAz",
    });
    expect(results[0]!.locations![0]!.logicalLocations![0]!.fullyQualifiedName).toBe(f.primary);
    expect(results[3]!.properties!.rootCause).toEqual({ kind: "stack", key: "" });
    expect(results[3]!.locations![0]!.logicalLocations).toEqual([]);
  });

  it("fingerprints each finding under GitHub's key and its own, distinct per policy and resource", () => {
    const ids = results.map((r) => r.partialFingerprints!);
    for (const id of ids) {
      expect(id[FINGERPRINT_KEY]).toMatch(/^[0-9a-f]{32}$/);
      expect(id.primaryLocationLineHash).toBe(id[FINGERPRINT_KEY]);
    }
    expect(new Set(ids.map((id) => id[FINGERPRINT_KEY])).size).toBe(results.length);
  });

  it("keeps fingerprints when lines move and when the found value changes", () => {
    const moved = stageFixture();
    fs.writeFileSync(moved.file, `# A comment pushes every key down.\n\n${STACK_FILE}`);
    const again = sarifReport(result(moved.verdict), moved.dir).runs[0]!.results!;
    expect(placeOf(again[0]!).region.startLine).toBe(10);
    expect(again.map((r) => r.partialFingerprints)).toEqual(
      results.map((r) => r.partialFingerprints),
    );
    const changed = verdict("stage", moved.file, {
      violations: [
        {
          ...moved.verdict.violations[1]!,
          message: moved.verdict.violations[1]!.message.replace("declares false", "declares null"),
        },
      ],
    });
    expect(
      sarifReport(result(changed), moved.dir).runs[0]!.results![0]!.partialFingerprints,
    ).toEqual(results[1]!.partialFingerprints);
  });

  it("gives a suppressed result the fingerprint its violation has, so the alert is the same", () => {
    const x = f.verdict.suppressions[0]!;
    const open = verdict("stage", f.file, {
      resources: f.verdict.resources,
      violations: [violation("stage", x.policy, x.urn, x.original)],
    });
    const unsuppressed = sarifReport(result(open), f.dir).runs[0]!.results![0]!;
    expect(results[5]!.suppressions).toHaveLength(1);
    expect(results[5]!.partialFingerprints).toEqual(unsuppressed.partialFingerprints);
  });

  it("describes rules as code scanning requires: security tag, severity, precision, valid levels", () => {
    const rules = run.tool.driver.rules!;
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      const props = rule.properties!;
      expect(props.tags).toContain("security");
      expect((props.tags as string[]).length).toBeLessThanOrEqual(20);
      expect(Number(props["security-severity"])).toBeGreaterThan(0);
      expect(Number(props["security-severity"])).toBeLessThanOrEqual(10);
      expect(["very-high", "high", "medium", "low"]).toContain(props.precision);
      expect(["error", "warning", "recommendation"]).toContain(props["problem.severity"]);
      expect(["note", "warning", "error"]).toContain(rule.defaultConfiguration!.level);
      expect(rule.shortDescription!.text.length).toBeLessThanOrEqual(1024);
      expect(rule.help!.text).not.toBe("");
    }
    const disabled = rules.find((r) => r.id === "dev-follows-stage-versions")!;
    expect(disabled.defaultConfiguration).toEqual({ level: "note", enabled: false });
    for (const r of results) expect(["note", "warning", "error"]).toContain(r.level);
  });

  it("gives each stack its own category, one run per stack", () => {
    const prod = verdict("prod", path.join(f.dir, "Pulumi.prod.yaml"), {});
    const both = sarifReport(result(f.verdict, prod), f.dir);
    expect(both.runs.map((r) => r.automationDetails!.id)).toEqual([
      "envstack-preview/stage/",
      "envstack-preview/prod/",
    ]);
  });

  it("keeps a run within code scanning's result limit, the most severe first", () => {
    const advisory = Array.from({ length: MAX_RESULTS_PER_RUN }, (_, i) =>
      violation("stage", "required-tags", "", `Set tag n${i} on the stack: x.`, "advisory"),
    );
    const mandatory = violation(
      "stage",
      "stage-mirrors-prod",
      "",
      "Set database.multiAz to true: x.",
    );
    const big = verdict("stage", f.file, { violations: [...advisory, mandatory] });
    const out = sarifReport(result(big), f.dir).runs[0]!;
    expect(out.results).toHaveLength(MAX_RESULTS_PER_RUN);
    expect(out.results![0]!.level).toBe("error");
    expect(out.properties!.omittedResults).toBe(1);
  });
});
