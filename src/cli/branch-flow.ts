import { parseArgs } from "node:util";
import * as path from "node:path";
import { ConfigErrors, loadEnvironments, projectDirAbove, useEnvironments } from "../model";
import { checkBranchFlow } from "../model/branch-flow";

export const BRANCH_FLOW_USAGE = `Usage: envstack branch-flow --base <branch> --head <branch> [--project-dir <dir>]

Checks that a pull request from --head into --base follows the promotion model of the
project's environments (envstack.yaml; the project is --project-dir, default the nearest
directory holding a Pulumi.yaml at or above the working directory).
Exit 0: allowed. Exit 1: refused (the message names the allowed sources). Exit 2: bad usage.`;

/** Where the command writes; the defaults are the process's streams and environment. */
export interface BranchFlowIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const processIo: BranchFlowIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

/** Workflow command data escaping (`%`, CR, LF), so a branch name cannot end the command early. */
function escapeWorkflowCommand(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/**
 * `envstack branch-flow --base <branch> --head <branch>`; `argv` holds the arguments after the
 * subcommand. Returns the exit code.
 */
export function runBranchFlow(argv: string[], io: BranchFlowIo = processIo): number {
  let values: { base?: string; head?: string; "project-dir"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        base: { type: "string" },
        head: { type: "string" },
        "project-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr(`envstack branch-flow: ${error instanceof Error ? error.message : String(error)}`);
    io.stderr(BRANCH_FLOW_USAGE);
    return 2;
  }
  if (values.help === true) {
    io.stdout(BRANCH_FLOW_USAGE);
    return 0;
  }
  const missing = (["base", "head"] as const).filter((key) => !values[key]?.trim());
  if (missing.length > 0) {
    // An empty --head is what a push event (no head_ref) would pass: refuse to judge it.
    io.stderr(
      `envstack branch-flow: ${missing.map((key) => `--${key}`).join(" and ")} must name a branch`,
    );
    io.stderr(BRANCH_FLOW_USAGE);
    return 2;
  }
  const projectDir = path.resolve(
    values["project-dir"] ?? projectDirAbove(process.cwd()) ?? process.cwd(),
  );
  try {
    useEnvironments(loadEnvironments(projectDir));
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    io.stderr(`envstack branch-flow: ${error.message}`);
    return 2;
  }
  const verdict = checkBranchFlow(values.base ?? "", values.head ?? "");
  if (verdict.allowed) {
    io.stdout(`branch-flow: ok: ${verdict.message}`);
    return 0;
  }
  io.stderr(`branch-flow: refused: ${verdict.message}`);
  // On GitHub Actions an error annotation puts the verdict on the pull request's checks page.
  if (io.env.GITHUB_ACTIONS === "true") {
    io.stdout(`::error title=branch-flow::${escapeWorkflowCommand(verdict.message)}`);
  }
  return 1;
}
