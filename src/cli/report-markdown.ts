import { displayPath } from "./paths";
import { countByType } from "./report-text";
import type { GateResult } from "./gate";

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
  return text ? `\`${text.replace(/`/g, "'")}\`` : "(the stack)";
}

/** A pull-request comment: the verdict, a table per stack, violations, suppressions, resources. */
export function renderMarkdown(result: GateResult): string {
  const out: string[] = [];
  const mandatory = result.stacks.reduce(
    (n, s) => n + s.violations.filter((v) => v.enforcement === "mandatory").length,
    0,
  );
  out.push(
    `## envstack preview: ${mandatory > 0 ? `:x: ${mandatory} mandatory violation${mandatory === 1 ? "" : "s"}` : ":white_check_mark: no mandatory violation"}`,
    "",
    "| stack | config | resources | mandatory | advisory | suppressed | verdict |",
    "|---|---|---:|---:|---:|---:|---|",
  );
  for (const s of result.stacks) {
    const m = s.violations.filter((v) => v.enforcement === "mandatory").length;
    out.push(
      `| \`${s.stack}\` | \`${cell(displayPath(s.file))}\` | ${s.resources.length} | ${m} | ${s.violations.length - m} | ${s.suppressions.length} | ${m > 0 ? ":x: fail" : ":white_check_mark: pass"} |`,
    );
  }
  for (const s of result.stacks) {
    out.push("", `### \`${s.stack}\``);
    if (s.violations.length > 0) {
      out.push(
        "",
        "| enforcement | policy | severity | resource | message | remediation |",
        "|---|---|---|---|---|---|",
      );
      for (const v of s.violations) {
        out.push(
          `| ${v.enforcement === "mandatory" ? ":x: mandatory" : ":warning: advisory"} | \`${v.policy}\` | ${v.severity} | ${code(v.urn)} | ${cell(v.message)} | ${cell(v.remediation)} |`,
        );
      }
    } else {
      out.push("", "No violations.");
    }
    if (s.suppressions.length > 0) {
      out.push(
        "",
        `**Suppressed** (reviewed exceptions, not part of the verdict):`,
        "",
        "| policy | resource | owner | expires | reason | violation |",
        "|---|---|---|---|---|---|",
      );
      for (const x of s.suppressions) {
        out.push(
          `| \`${x.policy}\` | ${code(x.urn)} | ${cell(x.owner)} | ${x.expires} | ${cell(x.reason)} | ${cell(x.original)} |`,
        );
      }
    }
    out.push(
      "",
      `<details><summary>${s.resources.length} resources to create</summary>`,
      "",
      "| type | count |",
      "|---|---:|",
      ...countByType(s).map(([type, n]) => `| \`${type}\` | ${n} |`),
      "",
      "</details>",
    );
  }
  return `${out.join("\n")}\n`;
}
