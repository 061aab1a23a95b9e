import { runBranchFlow } from "./branch-flow";
import { runCodeowners } from "./codeowners";
import { EXIT, processIo, type Io } from "./io";
import { runPolicies } from "./policies";
import { runPreview } from "./preview";
import { runPromote } from "./promote";
import { runReleaseNotes } from "./release-notes";
import { runVerifyDeploy } from "./verify-deploy";
import { runWorkflows } from "./workflows";

export const USAGE = `Usage: envstack <command> [options]

Commands:
  preview        Run the program and the policy pack for each stack offline; report (the gate).
  promote        Copy a stack's image digest one step forward (dev → stage → prod).
  policies       List the policies with their severity and level per role of environment.
  branch-flow    Check a pull request's base and head branches against the promotion model.
  codeowners     Write .github/CODEOWNERS from the prod stack file (--check: compare only).
  release-notes  The record of a prod release: image digests, the stage deployment, approvers.
  verify-deploy  After pulumi up: each service runs what the update declared; alarms quiet; app up.
  workflows      Write the deploy workflows from the environments (--check: compare only).

Run \`envstack <command> --help\` for a command's options.`;

/** Dispatches a command line (the arguments after the program name); returns the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "preview":
      return runPreview(rest, io);
    case "promote":
      return runPromote(rest, io);
    case "policies":
      return runPolicies(rest, io);
    case "codeowners":
      return runCodeowners(rest, io);
    case "release-notes":
      return runReleaseNotes(rest, io);
    case "verify-deploy":
      return runVerifyDeploy(rest, io);
    case "workflows":
      return runWorkflows(rest, io);
    case "branch-flow":
      return runBranchFlow([...rest], {
        stdout: (line) => io.stdout(`${line}\n`),
        stderr: (line) => io.stderr(`${line}\n`),
        env: process.env,
      });
    case undefined:
    case "help":
    case "--help":
    case "-h":
      io.stdout(`${USAGE}\n`);
      return command === undefined ? EXIT.error : EXIT.ok;
    default:
      io.stderr(`envstack: unknown command "${command}"\n\n${USAGE}\n`);
      return EXIT.error;
  }
}

/** The bin's entry: runs the command line and sets the process's exit code. */
export function cli(argv: readonly string[] = process.argv.slice(2)): void {
  // Signals: see the pack processes' handlers in ./analyzer (installed only while packs run).
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `envstack: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = EXIT.error;
    },
  );
}
