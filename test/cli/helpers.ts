import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const BIN = path.join(ROOT, "bin", "envstack.js");

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a child process, as a user or CI would. */
export function runCli(args: readonly string[], cwd: string = ROOT): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * A scratch directory of stack files: copies of the committed ones, edited by the test. It holds
 * no Pulumi.yaml, so the gate runs this package's program with them (docs/GATE.md).
 */
export function scratchProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-cli-"));
  for (const file of ["Pulumi.dev.yaml", "Pulumi.stage.yaml", "Pulumi.prod.yaml"]) {
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  return dir;
}

/** Replaces exactly one occurrence of `from` in a file; fails loudly when it is not there once. */
export function editFile(file: string, from: string | RegExp, to: string): void {
  const text = fs.readFileSync(file, "utf8");
  const matches = text.match(
    typeof from === "string" ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g") : from,
  );
  if (!matches || matches.length !== 1) {
    throw new Error(`${file}: expected exactly one ${String(from)}, found ${matches?.length ?? 0}`);
  }
  fs.writeFileSync(file, text.replace(from, to));
}
