import { Locator, type Located } from "../../engine/locations";
import { displayPath } from "../../engine/paths";
import type { GateResult, StackVerdict } from "../../engine/gate";

export interface TextOptions {
  /** ANSI colour; only when writing to a terminal. */
  readonly color: boolean;
}

type Paint = (code: string, text: string) => string;

/** Resource counts by type, most numerous first, then by type token. */
export function countByType(verdict: StackVerdict): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of verdict.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => `${prefix}${line}`)
    .join("\n");
}

/**
 * The place to change, when known: the config key's line in the stack file
 * (`Pulumi.stage.yaml:15 envstack:database.multiAz`), or where the resource is declared.
 */
function changeLine(found: Located): string | undefined {
  const { file, line, column } = found.location;
  if (found.at === "config-key" && found.rootCause.kind === "config") {
    return `      change:      ${displayPath(file)}:${line} ${found.rootCause.key}`;
  }
  if (found.at === "declaration")
    return `      declared:    ${displayPath(file)}:${line}:${column}`;
  return undefined;
}

function stackSection(s: StackVerdict, paint: Paint): string[] {
  const lines: string[] = [];
  const locator = new Locator(s);
  const mandatory = s.violations.filter((v) => v.enforcement === "mandatory").length;
  const verdict = mandatory > 0 ? paint("31;1", "FAIL") : paint("32;1", "PASS");
  lines.push(
    `${paint("1", s.stack)}  ${displayPath(s.file)}  ${plural(s.resources.length, "resource")}  ${verdict}`,
  );
  lines.push("  Resources to create:");
  const counts = countByType(s);
  const width = Math.max(0, ...counts.map(([type]) => type.length));
  for (const [type, n] of counts) lines.push(`    ${type.padEnd(width)}  ${String(n).padStart(4)}`);
  if (s.violations.length === 0) {
    lines.push(`  Violations: ${paint("32", "none")}`);
  } else {
    lines.push(
      `  Violations (${mandatory} mandatory, ${s.violations.length - mandatory} advisory):`,
    );
    for (const v of s.violations) {
      const mark =
        v.enforcement === "mandatory" ? paint("31;1", "✖ mandatory") : paint("33", "! advisory ");
      lines.push(`    ${mark}  ${paint("1", v.policy)}  [${v.severity}]`);
      lines.push(`      resource:    ${v.urn || "(the stack)"}`);
      const change = changeLine(locator.locate(v));
      if (change) lines.push(change);
      lines.push(indent(v.message, "      "));
      if (v.remediation) lines.push(indent(`remediation: ${v.remediation}`, "      "));
    }
  }
  if (s.suppressions.length > 0) {
    lines.push(
      `  Suppressed (${s.suppressions.length}, reviewed exceptions; not part of the verdict):`,
    );
    for (const x of s.suppressions) {
      lines.push(
        `    ${paint("36", "~ suppressed")}  ${paint("1", x.policy)}  [${x.severity}, ${x.waivedLevel} in ${s.stack}]`,
      );
      lines.push(`      resource:    ${x.urn || "(the stack)"}`);
      const change = changeLine(locator.locate({ urn: x.urn, message: x.original }));
      if (change) lines.push(change);
      lines.push(`      owner:       ${x.owner}, expires ${x.expires}`);
      lines.push(`      reason:      ${x.reason}`);
      lines.push(indent(x.original, "      "));
    }
  }
  return lines;
}

/** The text report: per stack its resources by type, violations, suppressions; a summary line. */
export function renderText(result: GateResult, options: TextOptions): string {
  const paint: Paint = options.color
    ? (code, text) => `\u001b[${code}m${text}\u001b[0m`
    : (_c, t) => t;
  const lines: string[] = [];
  for (const s of result.stacks) {
    lines.push(...stackSection(s, paint), "");
  }
  const all = result.stacks.flatMap((s) => s.violations);
  const mandatory = all.filter((v) => v.enforcement === "mandatory").length;
  const resources = result.stacks.reduce((n, s) => n + s.resources.length, 0);
  const suppressed = result.stacks.reduce((n, s) => n + s.suppressions.length, 0);
  const failing = result.stacks
    .filter((s) => s.violations.some((v) => v.enforcement === "mandatory"))
    .map((s) => s.stack);
  const verdict =
    mandatory > 0 ? paint("31;1", `FAIL (${failing.join(", ")})`) : paint("32;1", "PASS");
  lines.push(
    `Summary: ${plural(result.stacks.length, "stack")}, ${plural(resources, "resource")}, ${plural(mandatory, "mandatory violation")}, ${plural(all.length - mandatory, "advisory violation")}, ${plural(suppressed, "suppression")}: ${verdict}`,
  );
  return `${lines.join("\n")}\n`;
}
