import * as path from "node:path";
import { baselinePolicyConfig } from "../../policies/baseline-config";
import { PACK_NAME, POLICY_CATALOG, type PolicyMeta } from "../../policies/catalog";
import { loadEnvironments, ROLES, stackFilesFromEnvironment, useEnvironments } from "../model";
import { GateError } from "../engine/gate";
import { EXIT, processIo, reportError, parseOptions, type Io } from "./io";
import { defaultProjectDir } from "../engine/paths";

export const POLICIES_USAGE = `Usage: envstack policies [--format text|json|markdown]
       envstack policies --config [--project-dir <dir>]

Lists the policy pack's policies with their severity and enforcement level in each stack.

With --config, prints instead a policy config (JSON) that gives every policy reading stack files
its baselines: the config: map of each stack file, validated first. Enable a published pack with
it (pulumi policy enable <org>/envstack-policies <version> --config <file>), where the pack has
no stack files to read.

Options:
  -f, --format <format>    text (default), json or markdown.
  -c, --config             Print the baselines policy config.
  -p, --project-dir <dir>  Where the stack files are (default: the nearest directory holding a
                           Pulumi.yaml from the current one up, else this package); the files
                           ENVSTACK_STACK_FILES names replace them, as the program reads.
  -h, --help               This help.`;

export function policiesText(catalog: readonly PolicyMeta[]): string {
  const header = ["policy", "severity", ...ROLES, "suppressible"];
  const rows = catalog.map((p) => [
    p.name,
    p.severity,
    ...ROLES.map((r) => p.levels[r]),
    p.suppressible ? "yes" : "no",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return `${[line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")}\n${catalog.length} policies in ${PACK_NAME}.\n`;
}

export function policiesMarkdown(catalog: readonly PolicyMeta[]): string {
  const lines = [
    `| policy | severity | ${ROLES.join(" | ")} | suppressible | description |`,
    `|---|---|${ROLES.map(() => "---").join("|")}|---|---|`,
    ...catalog.map(
      (p) =>
        `| \`${p.name}\` | ${p.severity} | ${ROLES.map((r) => p.levels[r]).join(" | ")} | ${p.suppressible ? "yes" : "no"} | ${p.description.replace(/\|/g, "\\|")} |`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

/** `envstack policies`: returns the exit code. */
export function runPolicies(argv: readonly string[], io: Io = processIo): number {
  try {
    const values = parseOptions(
      argv,
      {
        format: { type: "string", short: "f" },
        config: { type: "boolean", short: "c" },
        "project-dir": { type: "string", short: "p" },
        help: { type: "boolean", short: "h" },
      },
      POLICIES_USAGE,
    );
    if (values.help) {
      io.stdout(`${POLICIES_USAGE}\n`);
      return EXIT.ok;
    }
    if (values.config) {
      if (values.format !== undefined)
        throw new GateError(`--format: not with --config, which prints JSON\n\n${POLICIES_USAGE}`);
      const projectDir = path.resolve(values["project-dir"] ?? defaultProjectDir());
      // The project's chain names the stacks whose baselines the config carries.
      useEnvironments(loadEnvironments(projectDir));
      // A broken stack file is ConfigErrors: reported naming the file and key, exit 2.
      const config = baselinePolicyConfig(stackFilesFromEnvironment(projectDir, process.env));
      io.stdout(`${JSON.stringify(config, null, 2)}\n`);
      return EXIT.ok;
    }
    if (values["project-dir"] !== undefined)
      throw new GateError(`--project-dir: only with --config\n\n${POLICIES_USAGE}`);
    switch (values.format ?? "text") {
      case "text":
        io.stdout(policiesText(POLICY_CATALOG));
        return EXIT.ok;
      case "json":
        io.stdout(`${JSON.stringify({ pack: PACK_NAME, policies: POLICY_CATALOG }, null, 2)}\n`);
        return EXIT.ok;
      case "markdown":
        io.stdout(policiesMarkdown(POLICY_CATALOG));
        return EXIT.ok;
      default:
        throw new GateError(`--format: expected text, json or markdown, found "${values.format}"`);
    }
  } catch (err) {
    return reportError(io, "policies", err, false);
  }
}
