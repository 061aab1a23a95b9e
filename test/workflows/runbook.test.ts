import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { describeSource, environmentOfBranch } from "../../src/model/branch-flow";
import { environments } from "../../src/model/environments";

const runbook = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "RUNBOOK.md"), "utf8");

function section(title: string): string {
  const start = runbook.indexOf(title);
  if (start < 0) throw new Error(`RUNBOOK.md has no "${title}"`);
  const end = runbook.indexOf("\n#", start + title.length);
  return runbook.slice(start, end < 0 ? undefined : end);
}

/** Table rows of a section as cells, header and separator dropped. */
function rows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .slice(2)
    .map((line) =>
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
}

function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? "");
}

describe("docs/RUNBOOK.md follows src/model", () => {
  it("lists, per environment branch, exactly the sources branch-flow allows", () => {
    const table = rows(section("### Who may merge into what"));
    const documented = table
      .filter(([into]) => into !== undefined && into.startsWith("`"))
      .map(([into = "", from = ""]) => {
        const branch = codeSpans(into)[0] ?? "";
        // The parenthesis explains the rule; the sources are the code spans before it.
        return [branch, codeSpans(from.split("(")[0] ?? "")] as const;
      });
    const expected = environments().names.flatMap((stack) =>
      environments()
        .get(stack)
        .branches.map(
          (branch) =>
            [branch, environments().get(stack).allowedSources.map(describeSource)] as const,
        ),
    );
    expect([...documented].sort()).toEqual([...expected].sort());
    for (const [branch] of documented) expect(environmentOfBranch(branch)).toBeDefined();
  });

  it("names every required check in the pipeline table", () => {
    const checks = rows(section("## The pipeline")).flatMap(([, , jobs = ""]) => codeSpans(jobs));
    const required = new Set(
      environments().names.flatMap((s) => environments().get(s).merge.requiredChecks),
    );
    for (const check of required) expect(checks).toContain(check);
  });
});
