import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { ConfigErrors, writeFileAtomic } from "../model";
import { GateError } from "../engine/gate";

/** Where a command writes. Tests and the bench pass their own. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stdout is a terminal (colour only then). */
  readonly isTty: boolean;
}

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTty: process.stdout.isTTY === true && !process.env["NO_COLOR"],
};

/** Exit codes of every command. */
export const EXIT = { ok: 0, violations: 1, error: 2 } as const;

/**
 * Prints a usage, config or program error: the message only (it names the file and key), the
 * stack trace only with --verbose. Returns exit code 2.
 */
export function reportError(io: Io, command: string, err: unknown, verbose: boolean): number {
  if (err instanceof ConfigErrors) {
    io.stderr(`envstack ${command}: invalid config:\n${err.message}\n`);
  } else if (err instanceof GateError) {
    io.stderr(`envstack ${command}: ${err.message}\n`);
    if (verbose && err.cause instanceof Error && err.cause.stack) {
      io.stderr(`${err.cause.stack}\n`);
    }
    return EXIT.error;
  } else if (err instanceof Error) {
    io.stderr(`envstack ${command}: ${err.message}\n`);
  } else {
    io.stderr(`envstack ${command}: ${String(err)}\n`);
  }
  if (verbose && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  return EXIT.error;
}

/** Writes a report to a file (creating its directory) or to stdout. */
export function emit(io: Io, text: string, output: string | undefined): void {
  if (output === undefined || output === "-") {
    io.stdout(text);
    return;
  }
  writeFileAtomic(output, text);
}

/**
 * A command's options, parsed strictly (node:util parseArgs: unknown options and positionals
 * refused). A bad command line is a GateError (exit 2) carrying the command's usage.
 */
export function parseOptions<const T extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new GateError(`${(err as Error).message}\n\n${usage}`);
  }
}
