import { describe, expect, it } from "vitest";
import { displayPath } from "../../engine/paths";
import { renderText } from "./text";
import { result, stageFixture, verdict, violation } from "../../../test/cli/report-fixtures";

/** The lines of the violation whose heading names the policy, up to the next heading. */
function block(text: string, policy: string): string[] {
  const lines = text.split("\n");
  const at = lines.findIndex(
    (l) => / {4}(✖ mandatory|! advisory |~ suppressed) {2}/.test(l) && l.includes(`  ${policy}  `),
  );
  expect(at, policy).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > at && /^ {4}\S/.test(l));
  return lines.slice(at + 1, end === -1 ? undefined : end);
}

describe("the text report", () => {
  const f = stageFixture();
  const text = renderText(result(f.verdict), { color: false });

  it("names the URN of every resource-level violation, and the key's line when a config key is the cause", () => {
    expect(block(text, "redundancy-in-production").slice(0, 3)).toEqual([
      `      resource:    ${f.primary}`,
      `      change:      ${displayPath(f.file)}:8 envstack:database.multiAz`,
      `      ${f.verdict.violations[0]!.message}`,
    ]);
    expect(block(text, "stage-mirrors-prod")[1]).toBe(
      `      change:      ${displayPath(f.file)}:8 envstack:database.multiAz`,
    );
  });

  it("points a resource with no config key at the line that declared it", () => {
    expect(block(text, "buckets-versioned-and-private").slice(0, 2)).toEqual([
      `      resource:    ${f.bucket}`,
      `      declared:    ${displayPath(f.program.ts)}:4:3`,
    ]);
  });

  it("keeps an unknown URN and a stack-wide violation, with no line it cannot know", () => {
    expect(block(text, "required-tags").slice(0, 2)).toEqual([
      `      resource:    ${f.unknown}`,
      `      ${f.verdict.violations[4]!.message}`,
    ]);
    expect(block(text, "deployment-environment-rules").slice(0, 2)).toEqual([
      "      resource:    (the stack)",
      `      ${f.verdict.violations[3]!.message}`,
    ]);
  });

  it("locates suppressions the same way", () => {
    expect(block(text, "database-backup-retention").slice(0, 2)).toEqual([
      `      resource:    ${f.primary}`,
      `      change:      ${displayPath(f.file)}:4 envstack:database.backupRetentionDays`,
    ]);
  });

  it("names the URN on every resource-level violation of a large report", () => {
    const many = Array.from({ length: 2000 }, (_, i) =>
      violation(
        "stage",
        "required-tags",
        `urn:pulumi:stage::envstack::aws:s3/bucket:Bucket::b${i}`,
        `Set tag app on b${i}: x.`,
      ),
    );
    const big = renderText(result(verdict("stage", f.file, { violations: many })), {
      color: false,
    });
    const resources = big.split("\n").filter((l) => l.startsWith("      resource:    "));
    expect(resources).toHaveLength(2000);
    expect(resources.every((l, i) => l.endsWith(`::b${i}`))).toBe(true);
  });
});
