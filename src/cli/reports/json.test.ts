import { describe, expect, it } from "vitest";
import { displayPath } from "../../engine/paths";
import { jsonReport } from "./json";
import { result, stageFixture } from "../../../test/cli/report-fixtures";

describe("the JSON report", () => {
  const f = stageFixture();
  const report = jsonReport(result(f.verdict));
  const stage = report.stacks[0]!;

  it("keeps the contract's keys and adds each violation's location and root cause", () => {
    for (const v of stage.violations) {
      expect(Object.keys(v)).toEqual([
        "policy",
        "enforcement",
        "severity",
        "urn",
        "message",
        "remediation",
        "location",
        "rootCause",
      ]);
    }
    expect(stage.violations.map((v) => [v.policy, v.location, v.rootCause])).toEqual([
      [
        "redundancy-in-production",
        { file: displayPath(f.file), line: 8, column: 5 },
        { kind: "config", key: "envstack:database.multiAz" },
      ],
      [
        "stage-mirrors-prod",
        { file: displayPath(f.file), line: 8, column: 5 },
        { kind: "config", key: "envstack:database.multiAz" },
      ],
      [
        "buckets-versioned-and-private",
        { file: displayPath(f.program.ts), line: 4, column: 3 },
        { kind: "resource", key: f.bucket },
      ],
      [
        "deployment-environment-rules",
        { file: displayPath(f.file), line: 1, column: 1 },
        { kind: "stack", key: "" },
      ],
      [
        "required-tags",
        { file: displayPath(f.file), line: 1, column: 1 },
        { kind: "resource", key: f.unknown },
      ],
    ]);
  });

  it("locates suppressions too", () => {
    expect(stage.suppressions.map((x) => [x.location, x.rootCause])).toEqual([
      [
        { file: displayPath(f.file), line: 4, column: 3 },
        { kind: "config", key: "envstack:database.backupRetentionDays" },
      ],
    ]);
  });

  it("counts as before", () => {
    expect(report.summary).toEqual({
      stacks: 1,
      resources: 2,
      mandatory: 4,
      advisory: 1,
      suppressed: 1,
      passed: false,
    });
  });
});
