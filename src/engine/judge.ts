import {
  AnalyzerError,
  PackProcess,
  analyzeStack,
  analyzeWith,
  checkPackDir,
  type AnalysisResult,
  type AnalyzeOptions,
  type PackLaunch,
} from "./analyzer";
import type { RegisteredResource } from "./mock-run";
import { InProcessAnalyzer, servePackInProcess } from "./pack-in-process";
import { Watchdog } from "./watchdog";

/**
 * How the gate has the policy pack judge each stack:
 * - `in-process`: the pack's policies loaded in the gate's own process, judged by the
 *   `@pulumi/policy` server's own handlers (./pack-in-process), one fresh server and pack per
 *   stack. No process, no socket, no protobuf encoding.
 * - `pack-process`: the pack started as the Pulumi CLI starts it, one process per stack, each
 *   answering over the Analyzer gRPC protocol (./analyzer).
 * Both send the same requests and give the same verdicts (test/cli/conformance.e2e.test.ts).
 */
export const JUDGE_MODES = ["in-process", "pack-process"] as const;
export type JudgeMode = (typeof JUDGE_MODES)[number];
export const DEFAULT_JUDGE: JudgeMode = "in-process";

export function isJudgeMode(value: unknown): value is JudgeMode {
  return (JUDGE_MODES as readonly unknown[]).includes(value);
}

/** A stack to judge: what a pack needs to know of it (the CLI's environment for a pack). */
export type JudgeTarget = Pick<PackLaunch, "stack" | "project" | "engineConfig">;

export interface Judge {
  readonly mode: JudgeMode;
  /**
   * Whether a stack may be judged while the next stack's program runs. A pack in its own process
   * may; a pack in the gate's process reads the SDK runtime the stack's program left (its stack
   * name and config), so it judges each stack before the next program runs.
   */
  readonly concurrent: boolean;
  /** The engine's exchange with the pack for one stack: every diagnostic the pack reports. */
  judge(
    target: JudgeTarget,
    resources: readonly RegisteredResource[],
    options: AnalyzeOptions,
  ): Promise<AnalysisResult>;
  /** Stops whatever the judge started (pack processes, the watchdog). */
  close(): void;
}

/**
 * Prepares to judge `targets` with the pack in `packDir`. A pack process starts for every
 * target at once (each takes about a second to serve), so that they start while the programs
 * run; the in-process judge only checks the pack is built.
 */
export function startJudge(
  mode: JudgeMode,
  packDir: string,
  targets: readonly JudgeTarget[],
): Judge {
  return mode === "pack-process"
    ? new PackProcessJudge(packDir, targets)
    : new InProcessJudge(packDir);
}

class PackProcessJudge implements Judge {
  readonly mode = "pack-process";
  readonly concurrent = true;
  private readonly packs = new Map<string, PackProcess>();

  constructor(packDir: string, targets: readonly JudgeTarget[]) {
    try {
      for (const target of targets) {
        this.packs.set(target.stack, new PackProcess({ packDir, ...target }));
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  async judge(
    target: JudgeTarget,
    resources: readonly RegisteredResource[],
    options: AnalyzeOptions,
  ): Promise<AnalysisResult> {
    const pack = this.packs.get(target.stack);
    if (!pack) throw new AnalyzerError(`no policy pack was started for stack ${target.stack}`);
    try {
      return await analyzeStack(await pack.port, target, resources, options);
    } finally {
      pack.kill();
    }
  }

  close(): void {
    for (const pack of this.packs.values()) pack.kill();
  }
}

class InProcessJudge implements Judge {
  readonly mode = "in-process";
  readonly concurrent = false;
  private readonly watchdog = new Watchdog();
  // Errors raised by policies keep the traces they would have in a pack process, even while the
  // gate captures none during program runs (runGate).
  private readonly stackTraceLimit = Error.stackTraceLimit;

  constructor(private readonly packDir: string) {
    checkPackDir(packDir);
    this.watchdog.start();
  }

  async judge(
    target: JudgeTarget,
    resources: readonly RegisteredResource[],
    options: AnalyzeOptions,
  ): Promise<AnalysisResult> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const current = pulumi.getStack();
    if (current !== target.stack || pulumi.getProject() !== target.project) {
      throw new AnalyzerError(
        `the policy pack judges stack ${target.stack} in this process, but the SDK runtime is set for ${pulumi.getProject()}/${current}: run the stack's program first`,
      );
    }
    const limit = Error.stackTraceLimit;
    const cwd = process.cwd();
    Error.stackTraceLimit = this.stackTraceLimit;
    try {
      const handlers = servePackInProcess(this.packDir);
      // Where the CLI starts a pack: its policies see the same working directory.
      process.chdir(this.packDir);
      const session = new InProcessAnalyzer(handlers, options.callTimeoutMs, this.watchdog);
      return await Promise.race([analyzeWith(session, target, resources, options), session.failed]);
    } finally {
      process.chdir(cwd);
      Error.stackTraceLimit = limit;
    }
  }

  close(): void {
    this.watchdog.stop();
  }
}
