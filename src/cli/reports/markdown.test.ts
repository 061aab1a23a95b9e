import { describe, expect, it } from "vitest";
import { displayPath } from "../../engine/paths";
import { MARKDOWN_BUDGET, renderMarkdown } from "./markdown";
import type { StackName } from "../../model";
import { POLICY_CATALOG } from "../../../policies/catalog";
import {
  RDS,
  cellsOf,
  result,
  stageFixture,
  suppression,
  tablesOf,
  urnOf,
  verdict,
  violation,
} from "../../../test/cli/report-fixtures";

/** Every table has a header, a separator of as many columns, and rows of as many cells. */
function expectCompleteTables(markdown: string): void {
  const tables = tablesOf(markdown);
  expect(tables.length).toBeGreaterThan(0);
  for (const table of tables) {
    expect(table.length).toBeGreaterThanOrEqual(2);
    const columns = cellsOf(table[0]!).length;
    expect(cellsOf(table[1]!).every((c) => /^-+:?$|^:?-+:?$/.test(c))).toBe(true);
    for (const row of table) expect(cellsOf(row), row).toHaveLength(columns);
  }
  // A collapsed section is closed.
  expect(markdown.split("<details>").length).toBe(markdown.split("</details>").length);
}

const findingRows = (markdown: string) =>
  tablesOf(markdown)
    .filter((t) => t[0]!.startsWith("| enforcement | change |"))
    .flatMap((t) => t.slice(2));

describe("the Markdown comment", () => {
  const f = stageFixture();
  const markdown = renderMarkdown(result(f.verdict));

  it("lists one finding per root cause, with every policy it breaks", () => {
    const rows = findingRows(markdown).map(cellsOf);
    expect(rows.map((r) => [r[0], r[1]!.split("<br>")[0], r[2], r[3]])).toEqual([
      [
        ":x: mandatory",
        "`envstack:database.multiAz`",
        `\`${displayPath(f.file)}:8\``,
        "`redundancy-in-production`<br>`stage-mirrors-prod`",
      ],
      [
        ":x: mandatory",
        `\`${f.bucket}\``,
        expect.stringMatching(/src\/declared\.ts:4`$/),
        "`buckets-versioned-and-private`",
      ],
      [
        ":x: mandatory",
        `\`${f.unknown}\``,
        expect.stringMatching(/Pulumi\.stage\.yaml:1`$/),
        "`required-tags`",
      ],
      [
        ":warning: advisory",
        "(the stack)",
        expect.stringMatching(/Pulumi\.stage\.yaml:1`$/),
        "`deployment-environment-rules`",
      ],
    ]);
    // The key's row names the resource it shows on, by URN, and both messages.
    expect(rows[0]![1]).toBe(`\`envstack:database.multiAz\`<br>on \`${f.primary}\``);
    expect(rows[0]![4]!.split("<br>")).toEqual(
      f.verdict.violations.slice(0, 2).map((v) => v.message),
    );
  });

  it("shows each policy's remediation once, after the tables", () => {
    const remediation = markdown.slice(markdown.indexOf("### Remediation"));
    expect(markdown.indexOf("### Remediation")).toBeGreaterThan(
      markdown.lastIndexOf("| enforcement |"),
    );
    for (const policy of [
      "redundancy-in-production",
      "stage-mirrors-prod",
      "buckets-versioned-and-private",
    ]) {
      const text = POLICY_CATALOG.find((p) => p.name === policy)!.remediationSteps;
      expect(markdown.split(text.slice(0, 60)).length - 1, policy).toBe(1);
      expect(remediation).toContain(`- \`${policy}\`: `);
    }
  });

  it("lists suppressions apart, escaping what would break a table", () => {
    const table = tablesOf(markdown).find((t) =>
      t[0]!.startsWith("| policy | resource | owner |"),
    )!;
    expect(cellsOf(table[2]!)).toEqual([
      "`database-backup-retention`",
      `\`${f.primary}\``,
      "team-data",
      "2099-01-01",
      "Migrating \\| tracked in OPS-1",
      f.verdict.suppressions[0]!.original,
    ]);
    expectCompleteTables(markdown);
  });

  it("says so when nothing is wrong", () => {
    const clean = renderMarkdown(result(verdict("prod", f.file, {})));
    expect(clean).toContain(":white_check_mark: no mandatory violation");
    expect(clean).toContain("No violations.");
    expect(clean).not.toContain("### Remediation");
  });
});

/** Thousands of violations over every policy, on many resources, in every stack. */
function crowd(perStack: number) {
  const stacks = (["dev", "stage", "prod"] as const).map((stack: StackName) => {
    const f = stageFixture();
    const violations = Array.from({ length: perStack }, (_, i) => {
      const policy = POLICY_CATALOG[i % POLICY_CATALOG.length]!.name;
      const urn = urnOf(stack, RDS, `database-${i}`);
      return violation(
        stack,
        policy,
        urn,
        `Set tag owner to team-${i} on database-${i}: every ${stack} resource names its owner | (found ${"x".repeat(i % 50)}).`,
        i % 3 === 0 ? "mandatory" : "advisory",
      );
    });
    const suppressions = Array.from({ length: perStack / 10 }, (_, i) =>
      suppression(stack, "required-tags", urnOf(stack, RDS, `database-${i}`), `Set tag ${i}: x.`),
    );
    return verdict(stack, f.file, { resources: f.verdict.resources, violations, suppressions });
  });
  return result(...stacks);
}

describe("the Markdown comment under GitHub's size limit", () => {
  it("stays under the limit and valid with thousands of violations, saying it summarised", () => {
    const markdown = renderMarkdown(crowd(3000));
    expect(markdown.length).toBeLessThanOrEqual(MARKDOWN_BUDGET);
    expect(MARKDOWN_BUDGET).toBeLessThan(65_536);
    expectCompleteTables(markdown);
    expect(markdown).toMatch(/_Summarised to fit a pull-request comment: /);
    expect(markdown).toContain("## envstack preview: :x: 3000 mandatory violations");
  });

  it("degrades step by step: advisories to counts, then per policy, then per stack", () => {
    const report = crowd(60);
    const full = renderMarkdown(report, Number.MAX_SAFE_INTEGER);
    expect(full).not.toContain("_Summarised");
    expect(findingRows(full)).toHaveLength(180);

    const advisoriesCounted = renderMarkdown(report, full.length - 1);
    expect(advisoriesCounted).toContain(
      "advisory findings and suppressions are counted, not listed",
    );
    expect(findingRows(advisoriesCounted).every((r) => r.startsWith("| :x: mandatory"))).toBe(true);
    expect(findingRows(advisoriesCounted)).toHaveLength(60);
    expect(advisoriesCounted).toMatch(/40 advisory findings \(`[a-z-]+` × \d+/);
    expect(advisoriesCounted).toMatch(
      /\*\*Suppressed\*\*: 6 reviewed exceptions \(`required-tags` × 6\)/,
    );
    expectCompleteTables(advisoriesCounted);

    const perPolicy = renderMarkdown(report, advisoriesCounted.length - 1);
    expect(perPolicy).toContain("findings are counted per policy");
    expect(findingRows(perPolicy)).toEqual([]);
    expect(
      tablesOf(perPolicy).filter((t) => t[0] === "| policy | mandatory | advisory |"),
    ).toHaveLength(3);
    expectCompleteTables(perPolicy);

    const perStack = renderMarkdown(report, perPolicy.length - 1);
    expect(perStack).toContain("findings are counted per stack");
    expect(tablesOf(perStack)).toHaveLength(1);
    expect(tablesOf(perStack)[0]).toHaveLength(5);
    expectCompleteTables(perStack);
  });
});
