import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSuppressions } from "../../policies/suppressions";
import { readInputFile, UnreadableFile, writeFileAtomic } from "../../src/model";
import { BIN, ROOT, runCli, scratchProject } from "./helpers";

// The gate as the CLI runs it, compiled (it loads the program's modules at run time).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runGate } = require(
  path.join(ROOT, "dist", "src", "engine", "gate.js"),
) as typeof import("../../src/engine/gate");
const STALLING_PACK = path.join(__dirname, "fixtures", "stalling-pack");
const hasProc = fs.existsSync("/proc/self/stat");

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "envstack-robust-"));
}

function fifo(dir: string, name: string): string {
  const file = path.join(dir, name);
  execFileSync("mkfifo", [file]);
  return file;
}

/** `/proc/<pid>/stat`: its parent's pid (field 4) and state (field 3), or undefined if gone. */
function procStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => procStat(p)?.ppid === pid);
}

/** Whether a process runs the policy pack server (its command line names run-policy-pack). */
function servesPolicies(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("run-policy-pack");
  } catch {
    return false;
  }
}

/** A process that is gone or a zombie (exited, not yet reaped) no longer runs. */
function running(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== "Z";
}

async function until<T>(probe: () => T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`nothing within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("inputs that could hang the gate are refused at once", () => {
  it("refuses a FIFO as a stack file, naming the file", async () => {
    const dir = scratchProject();
    const file = path.join(dir, "Pulumi.stage.yaml");
    fs.rmSync(file);
    fifo(dir, "Pulumi.stage.yaml");
    const run = await runCli(["preview", "--config-file", file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(
      `${file}: (file): expected a readable stack file, found a named pipe (FIFO)`,
    );
  });

  it("refuses a directory as the policy config", async () => {
    const dir = tmpDir();
    const run = await runCli(["preview", "--stack", "dev", "--policy-config", dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${dir}: (file): expected a readable JSON policy config file, found a directory`,
    );
  });

  it("refuses a FIFO as the suppressions file, suppressing nothing", () => {
    const dir = tmpDir();
    const file = fifo(dir, "suppressions.yaml");
    expect(() => readInputFile(file)).toThrow(UnreadableFile);
    const loaded = loadSuppressions(file);
    expect(loaded.entries).toEqual([]);
    expect(loaded.errors.map((e) => e.message)).toEqual([
      `${file}: (file): expected a readable suppressions file, found a named pipe (FIFO)`,
    ]);
  });

  it("refuses a file over the size limit", () => {
    const file = path.join(tmpDir(), "Pulumi.dev.yaml");
    fs.writeFileSync(file, "x".repeat(2048));
    expect(() => readInputFile(file, 1024)).toThrow(`${file}: a file of 2048 bytes (at most 1024)`);
  });

  it.each([
    ["an existing directory", (dir: string) => dir, "a directory"],
    [
      "a path below a regular file",
      (dir: string) => {
        fs.writeFileSync(path.join(dir, "plain"), "");
        return path.join(dir, "plain", "report.json");
      },
      "is a regular file, not a directory",
    ],
    ["a FIFO", (dir: string) => fifo(dir, "report.sarif"), "a named pipe (FIFO)"],
  ])("fails at once on an --output that is %s, before running anything", async (_, make, found) => {
    const output = make(tmpDir());
    const started = Date.now();
    const run = await runCli(["preview", "--stack", "dev", "--format", "json", "--output", output]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`envstack preview: --output ${output}: expected a writable file`);
    expect(run.stderr).toContain(found);
    // Refused before the program and the pack ran: far below one stack's run.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("writes are atomic", () => {
  it("replaces a file in one step, keeping its mode and leaving no temporary file", () => {
    const dir = tmpDir();
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, "before\n", { mode: 0o640 });
    writeFileAtomic(file, "after\n");
    expect(fs.readFileSync(file, "utf8")).toBe("after\n");
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(dir)).toEqual(["Pulumi.prod.yaml"]);
  });

  it("leaves the file as it was, and no temporary file, when the write cannot complete", () => {
    const dir = tmpDir();
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, "before\n");
    // A directory where the rename must land: the rename fails after the temp file is written.
    const blocked = path.join(dir, "blocked");
    fs.mkdirSync(path.join(blocked, "child"), { recursive: true });
    expect(() => writeFileAtomic(blocked, "after\n")).toThrow();
    expect(fs.readdirSync(blocked)).toEqual(["child"]);
    expect(fs.readdirSync(dir).sort()).toEqual(["Pulumi.prod.yaml", "blocked"]);
    expect(fs.readFileSync(file, "utf8")).toBe("before\n");
  });
});

describe("a pack that never answers", () => {
  it("fails the gate with the call named once the call time limit passes, and stops the pack (pack-process)", async () => {
    const error = await runGate({
      stacks: ["dev"],
      projectDir: ROOT,
      packDir: STALLING_PACK,
      callTimeoutMs: 3_000,
      judge: "pack-process",
    }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toMatch(
      /^the policy pack did not answer Analyze urn:pulumi:dev::envstack::\S+ within 3 s \(a policy that never returns\?\)$/,
    );
    if (hasProc) {
      await until(() => (childrenOf(process.pid).some(running) ? undefined : true), 5_000);
    }
  });

  it("fails the gate with the call named once the call time limit passes (in-process: the policy's loop is ended)", async () => {
    // In a process of its own: ending the loop ends the execution it runs in.
    const script = `
      const { runGate } = require(${JSON.stringify(path.join(ROOT, "dist", "src", "engine", "gate.js"))});
      runGate({ stacks: ["dev"], projectDir: ${JSON.stringify(ROOT)}, packDir: ${JSON.stringify(STALLING_PACK)}, callTimeoutMs: 3000, judge: "in-process" })
        .then(() => process.stdout.write("passed"), (err) => process.stdout.write(err.message));`;
    const started = Date.now();
    const child = spawn(process.execPath, ["-e", script], { cwd: ROOT });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(stdout).toMatch(
      /^the policy pack did not answer Analyze urn:pulumi:dev::envstack::\S+ within 3 s \(a policy that never returns\?\)$/,
    );
    // The process ends by itself: no timer of the abandoned call keeps it alive.
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it.skipIf(!hasProc).each(["SIGTERM", "SIGINT"] as const)(
    "on %s the gate stops its pack processes and dies of the signal (pack-process)",
    async (signal) => {
      const gate = spawn(
        process.execPath,
        [
          BIN,
          "preview",
          "--stack",
          "dev",
          "--policy-pack",
          STALLING_PACK,
          "--judge",
          "pack-process",
        ],
        { cwd: ROOT, stdio: "ignore" },
      );
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        gate.once("exit", (code, sig) => resolve(sig ?? code)),
      );
      // The pack once it runs the policy server: a child still between fork and exec holds
      // the gate's signal handlers, not the pack's.
      const pack = await until(
        () => childrenOf(gate.pid!).find((pid) => running(pid) && servesPolicies(pid)),
        30_000,
      );
      gate.kill(signal);
      expect(await exited).toBe(signal);
      // Generous: on a loaded 2-core runner the kernel reaps a busy process late.
      await until(() => (running(pack) ? undefined : true), 20_000);
      expect(running(pack)).toBe(false);
    },
  );

  it.each(["SIGTERM", "SIGINT"] as const)(
    "on %s the gate dies of the signal at once, even while a policy loops in its own thread (in-process)",
    async (signal) => {
      const marker = path.join(tmpDir(), "stuck");
      const gate = spawn(
        process.execPath,
        [BIN, "preview", "--stack", "dev", "--policy-pack", STALLING_PACK],
        {
          cwd: ROOT,
          stdio: "ignore",
          env: { ...process.env, STALLING_PACK_MARKER: marker },
        },
      );
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        gate.once("exit", (code, sig) => resolve(sig ?? code)),
      );
      await until(() => (fs.existsSync(marker) ? true : undefined), 30_000);
      const killed = Date.now();
      gate.kill(signal);
      expect(await exited).toBe(signal);
      expect(Date.now() - killed).toBeLessThan(5_000);
    },
  );
});
