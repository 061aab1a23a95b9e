import { Locator, rootCauseKey, type Located } from "../../engine/locations";
import { displayPath } from "../../engine/paths";
import { countByType } from "./text";
import type { GateResult, StackVerdict, Violation } from "../../engine/gate";

/**
 * The most a report may hold: GitHub refuses an issue or pull-request comment body over 65,536
 * characters; the rest is room for the workflow's marker line.
 * https://docs.github.com/en/rest/issues/comments#create-an-issue-comment (body limit, 422)
 */
export const MARKDOWN_BUDGET = 60_000;

/** Escapes text for a Markdown table cell (pipes, newlines) and inline HTML. */
function cell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, "<br>");
}

function code(text: string): string {
  return text ? `\`${text.replace(/`/g, "'").replace(/\|/g, "\\|")}\`` : "(the stack)";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** One root cause in one stack: every violation it draws, from every policy. */
interface Finding {
  readonly mandatory: boolean;
  readonly located: Located;
  readonly violations: readonly Violation[];
}

/**
 * Violations grouped by root cause: a config key, or a resource, breaking several policies is one
 * finding. A stack-wide violation that names neither is a finding of its own.
 */
export function findingsOf(verdict: StackVerdict): Finding[] {
  const locator = new Locator(verdict);
  const groups = new Map<string, { located: Located; violations: Violation[] }>();
  for (const v of verdict.violations) {
    const located = locator.locate(v);
    const key =
      located.rootCause.kind === "stack"
        ? `stack\u0000${v.policy}\u0000${v.message}`
        : `${located.rootCause.kind}\u0000${rootCauseKey(located.rootCause)}`;
    const group = groups.get(key);
    if (group) group.violations.push(v);
    else groups.set(key, { located, violations: [v] });
  }
  const findings = [...groups.values()].map((g) => ({
    ...g,
    mandatory: g.violations.some((v) => v.enforcement === "mandatory"),
  }));
  return findings.sort((a, b) => Number(b.mandatory) - Number(a.mandatory));
}

function what(found: Located): string {
  switch (found.rootCause.kind) {
    case "config":
      return code(found.rootCause.key);
    case "resource":
      return code(found.rootCause.urn);
    case "stack":
      return "(the stack)";
  }
}

function where(found: Located): string {
  const { file, line } = found.location;
  return code(`${displayPath(file)}:${line}`);
}

function findingRow(f: Finding): string {
  const policies = [...new Set(f.violations.map((v) => v.policy))];
  const advisoryOnly = new Set(
    policies.filter((p) =>
      f.violations.every((v) => v.policy !== p || v.enforcement !== "mandatory"),
    ),
  );
  const named = policies
    .map((p) => `${code(p)}${f.mandatory && advisoryOnly.has(p) ? " (advisory)" : ""}`)
    .join("<br>");
  const urns = [...new Set(f.violations.map((v) => v.urn).filter((u) => u))];
  const resource =
    f.located.rootCause.kind === "config" && urns.length > 0
      ? `<br>on ${urns.map(code).join("<br>")}`
      : "";
  const messages = [...new Set(f.violations.map((v) => v.message))].map(cell).join("<br>");
  return `| ${f.mandatory ? ":x: mandatory" : ":warning: advisory"} | ${what(f.located)}${resource} | ${where(f.located)} | ${named} | ${messages} |`;
}

const FINDINGS_HEADER = [
  "| enforcement | change | where | policies | what to do |",
  "|---|---|---|---|---|",
];

/** `policy` × n, most frequent first. */
function countsByPolicy(items: readonly { readonly policy: string }[]): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.policy, (counts.get(i.policy) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([p, n]) => `${code(p)} × ${n}`)
    .join(", ");
}

/**
 * How much the report shows: 0 everything; 1 advisories and suppressions as counts; 2 counts per
 * policy; 3 counts per stack. The renderer takes the first that fits the budget.
 */
type Detail = 0 | 1 | 2 | 3;

const SUMMARISED: Record<Exclude<Detail, 0>, string> = {
  1: "advisory findings and suppressions are counted, not listed",
  2: "findings are counted per policy",
  3: "findings are counted per stack",
};

function stackSection(s: StackVerdict, findings: readonly Finding[], detail: Detail): string[] {
  const out: string[] = ["", `### \`${s.stack}\``];
  if (detail === 3) return [];
  if (s.violations.length === 0) out.push("", "No violations.");
  else if (detail === 2) {
    const policies = [...new Set(s.violations.map((v) => v.policy))];
    out.push("", "| policy | mandatory | advisory |", "|---|---:|---:|");
    for (const p of policies) {
      const of = s.violations.filter((v) => v.policy === p);
      const m = of.filter((v) => v.enforcement === "mandatory").length;
      out.push(`| ${code(p)} | ${m} | ${of.length - m} |`);
    }
  } else {
    const shown = detail === 0 ? findings : findings.filter((f) => f.mandatory);
    if (shown.length > 0) out.push("", ...FINDINGS_HEADER, ...shown.map(findingRow));
    const hidden = findings.filter((f) => !shown.includes(f));
    if (hidden.length > 0) {
      const violations = hidden.flatMap((f) => f.violations);
      out.push(
        "",
        `${plural(hidden.length, "advisory finding")} (${countsByPolicy(violations)}): see the job log.`,
      );
    }
  }
  if (s.suppressions.length > 0) {
    if (detail === 0) {
      out.push(
        "",
        `**Suppressed** (reviewed exceptions, not part of the verdict):`,
        "",
        "| policy | resource | owner | expires | reason | violation |",
        "|---|---|---|---|---|---|",
        ...s.suppressions.map(
          (x) =>
            `| ${code(x.policy)} | ${code(x.urn)} | ${cell(x.owner)} | ${cell(x.expires)} | ${cell(x.reason)} | ${cell(x.original)} |`,
        ),
      );
    } else {
      out.push(
        "",
        `**Suppressed**: ${plural(s.suppressions.length, "reviewed exception")} (${countsByPolicy(s.suppressions)}), not part of the verdict.`,
      );
    }
  }
  if (detail <= 1) {
    out.push(
      "",
      `<details><summary>${s.resources.length} resources to create</summary>`,
      "",
      "| type | count |",
      "|---|---:|",
      ...countByType(s).map(([type, n]) => `| ${code(type)} | ${n} |`),
      "",
      "</details>",
    );
  }
  return out;
}

/** Each policy's remediation once, for the policies the shown findings name. */
function remediationSection(result: GateResult, detail: Detail): string[] {
  if (detail === 3) return [];
  const shown = result.stacks.flatMap((s) =>
    s.violations.filter((v) => detail === 0 || v.enforcement === "mandatory"),
  );
  const remediation = new Map<string, string>();
  for (const v of shown)
    if (v.remediation && !remediation.has(v.policy)) remediation.set(v.policy, v.remediation);
  if (remediation.size === 0) return [];
  return [
    "",
    "### Remediation",
    "",
    ...[...remediation.entries()].map(
      ([policy, text]) => `- ${code(policy)}: ${cell(text).replace(/<br>/g, " ")}`,
    ),
  ];
}

function render(result: GateResult, findings: readonly Finding[][], detail: Detail): string {
  const out: string[] = [];
  const mandatory = result.stacks.reduce(
    (n, s) => n + s.violations.filter((v) => v.enforcement === "mandatory").length,
    0,
  );
  out.push(
    `## envstack preview: ${mandatory > 0 ? `:x: ${plural(mandatory, "mandatory violation")}` : ":white_check_mark: no mandatory violation"}`,
    "",
    "| stack | config | resources | mandatory | advisory | suppressed | verdict |",
    "|---|---|---:|---:|---:|---:|---|",
  );
  for (const s of result.stacks) {
    const m = s.violations.filter((v) => v.enforcement === "mandatory").length;
    out.push(
      `| \`${s.stack}\` | ${code(displayPath(s.file))} | ${s.resources.length} | ${m} | ${s.violations.length - m} | ${s.suppressions.length} | ${m > 0 ? ":x: fail" : ":white_check_mark: pass"} |`,
    );
  }
  if (detail > 0) {
    out.push(
      "",
      `_Summarised to fit a pull-request comment: ${SUMMARISED[detail as Exclude<Detail, 0>]}. The job log holds the full report; \`npx envstack preview --stack <stack>\` prints it locally._`,
    );
  }
  result.stacks.forEach((s, i) => out.push(...stackSection(s, findings[i]!, detail)));
  out.push(...remediationSection(result, detail));
  return `${out.join("\n")}\n`;
}

/**
 * A pull-request comment: the verdict, a summary table, per stack one row per root cause (a
 * config key or a resource with every policy it breaks, where to change it, what to do), the
 * suppressions, the resources by type; each policy's remediation once, after the tables. Over
 * the budget it summarises, never cutting a table: advisories and suppressions to counts, then
 * counts per policy, then per stack.
 */
export function renderMarkdown(result: GateResult, budget: number = MARKDOWN_BUDGET): string {
  const findings = result.stacks.map(findingsOf);
  let text = "";
  for (const detail of [0, 1, 2, 3] as const) {
    text = render(result, findings, detail);
    if (text.length <= budget) return text;
  }
  return text;
}
