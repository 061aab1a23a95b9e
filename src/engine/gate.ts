import * as path from "node:path";
import { stackFileKey } from "../../policies/baselines";
import { POLICY_CATALOG, parseSuppressedMessage, type PolicyMeta } from "../../policies/catalog";
import {
  environments,
  environmentsFile,
  ENVIRONMENTS_FILE_VARIABLE,
  loadEnvironments,
  useEnvironments,
  type Environments,
  ConfigError,
  ConfigErrors,
  describeFound,
  loadGuardedSpecs,
  loadSpecFromFile,
  readInputFile,
  forRole,
  stackFileOf,
  stackFiles,
  readStackConfigFile,
  stackFileName,
  toEngineConfig,
  UnreadableFile,
  type StackName,
} from "../model";
import {
  AnalyzerError,
  reconcilePolicyConfig,
  type Diagnostic,
  type EnforcementLevel,
  type PackInfo,
  type Severity,
} from "./analyzer";
import { DEFAULT_JUDGE, startJudge, type Judge, type JudgeMode } from "./judge";
import type { RegisteredResource } from "./mock-run";
import { quietProgramRuntime } from "./program-runtime";
import { packageRoot } from "./paths";
import { locateProject, resolveProgram, type PulumiProject } from "./project-file";

/** The config or the program is wrong (exit 2); the message names the file and key. */
export class GateError extends Error {
  constructor(
    message: string,
    /** The underlying error, shown with --verbose. */
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = "GateError";
  }
}

export interface Violation {
  readonly stack: StackName;
  readonly policy: string;
  readonly enforcement: EnforcementLevel;
  readonly severity: Severity;
  /** Empty when the violation names no resource (a stack-wide finding). */
  readonly urn: string;
  readonly message: string;
  readonly remediation: string;
}

/** A violation a reviewed suppression turned advisory; always shown apart from the verdict. */
export interface Suppression {
  readonly stack: StackName;
  readonly policy: string;
  readonly severity: Severity;
  readonly urn: string;
  readonly owner: string;
  readonly expires: string;
  readonly reason: string;
  /** The violation's own message. */
  readonly original: string;
  /** The level the policy has in this stack, which the suppression waived. */
  readonly waivedLevel: EnforcementLevel;
}

export interface StackVerdict {
  readonly stack: StackName;
  /** The stack file the config came from (absolute). */
  readonly file: string;
  readonly resources: readonly RegisteredResource[];
  readonly pack: PackInfo;
  readonly violations: readonly Violation[];
  readonly suppressions: readonly Suppression[];
  readonly timings: { readonly programMs: number; readonly analyzeMs: number };
}

export interface GateResult {
  readonly stacks: readonly StackVerdict[];
  readonly catalog: readonly PolicyMeta[];
}

export interface GateOptions {
  readonly stacks: readonly StackName[];
  /** Where the committed stack files live; its Pulumi.yaml, if any, names the program. */
  readonly projectDir: string;
  /**
   * The project whose program runs. Defaults to the Pulumi.yaml in projectDir, else the one this
   * package ships with (a projectDir of stack files only).
   */
  readonly project?: PulumiProject;
  /** Stack files replacing the committed ones, per stack. */
  readonly configFiles?: Readonly<Partial<Record<StackName, string>>>;
  readonly packDir: string;
  /** The user's policy config (`--policy-config`), parsed, and its file for messages. */
  readonly policyConfig?: { readonly file: string; readonly values: Record<string, unknown> };
  /** How long one call to a pack may take (defaults to the analyzer's limit). */
  readonly callTimeoutMs?: number;
  /** How the pack judges each stack: in the gate's process (default) or in a pack process. */
  readonly judge?: JudgeMode;
  /**
   * Keep stack traces while programs run (--verbose). Off by default: the SDK takes one for
   * every promise it tracks and every registration it prepares, thousands nobody reads
   * (./program-runtime). The registrations' source positions are kept either way.
   */
  readonly programStackTraces?: boolean;
}

/** A stack the gate runs: its stack file, and the config the engine would hand the program. */
export interface GateTarget {
  readonly stack: StackName;
  readonly file: string;
  readonly engineConfig: Record<string, string>;
  readonly region: string;
}

export function mandatoryCount(result: GateResult): number {
  return result.stacks.reduce(
    (n, s) => n + s.violations.filter((v) => v.enforcement === "mandatory").length,
    0,
  );
}

/** 0: no mandatory violation; 1: at least one. (2 is a GateError, decided by the caller.) */
export function exitCode(result: GateResult): 0 | 1 {
  return mandatoryCount(result) > 0 ? 1 : 0;
}

/** The stack file used for a stack: an override, or the committed one in the project. */
export function stackFile(
  options: Pick<GateOptions, "projectDir" | "configFiles">,
  stack: StackName,
) {
  return path.resolve(
    options.configFiles?.[stack] ?? path.join(options.projectDir, stackFileName(stack)),
  );
}

/** Validates every requested stack's file before anything runs; all problems at once. */
function loadTargets(options: GateOptions): GateTarget[] {
  const errors: ConfigError[] = [];
  const targets: GateTarget[] = [];
  for (const stack of options.stacks) {
    const file = stackFile(options, stack);
    try {
      const spec = loadSpecFromFile(file, stack);
      // The guards stack declares every environment's guards from their stack files.
      if (environments().holdsGuards(stack))
        loadGuardedSpecs(spec, stackFiles(options.projectDir, options.configFiles));
      targets.push({
        stack,
        file,
        engineConfig: toEngineConfig(readStackConfigFile(file)),
        region: spec.region,
      });
    } catch (err) {
      if (err instanceof ConfigErrors) errors.push(...err.errors);
      else throw err;
    }
  }
  // A broken stack file is reported once, though the guards stack reads it too.
  const unique = [...new Map(errors.map((e) => [e.message, e])).values()];
  if (unique.length > 0) throw new ConfigErrors(unique);
  return targets;
}

/**
 * The one map of stack files this run uses (`--project-dir`, `--config-file`), as the pack
 * settings every policy that reads stack files takes (`<stack>StackFile`): a baseline overridden
 * with --config-file is the one every policy compares against.
 */
function baselineSettings(
  options: Pick<GateOptions, "projectDir" | "configFiles">,
): Record<string, string> {
  const files = stackFiles(options.projectDir, options.configFiles);
  return Object.fromEntries(
    environments().names.map((s) => [stackFileKey(s), stackFileOf(files, s)] as const),
  );
}

function withBaselines(
  pack: PackInfo,
  baselines: Record<string, unknown>,
  user: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const policy of pack.policies) {
    const props = policy.configSchema?.properties ?? {};
    const settings = Object.fromEntries(Object.entries(baselines).filter(([k]) => k in props));
    if (Object.keys(settings).length > 0) merged[policy.name] = settings;
  }
  for (const [name, given] of Object.entries(user)) {
    const base = merged[name];
    merged[name] =
      base && given && typeof given === "object" && !Array.isArray(given)
        ? { ...base, ...(given as Record<string, unknown>) }
        : base && typeof given === "string"
          ? { ...base, enforcementLevel: given }
          : given;
  }
  return merged;
}

/** A level the policy config asked of an unsuppressible policy, below its floor, and refused. */
export interface RefusedLevel {
  readonly policy: string;
  readonly refused: EnforcementLevel;
  /** Where the refused level came from: the policy's own entry, or the pack-wide `all`. */
  readonly from: "policy" | "all";
  /** The policy's level in the stack, which it keeps. */
  readonly floor: EnforcementLevel;
}

const RANK: Record<EnforcementLevel, number> = {
  disabled: 0,
  advisory: 1,
  mandatory: 2,
  remediate: 2,
};

/**
 * Applies the floors to a policy config: a policy that can never be suppressed keeps at least its
 * level in the stack, whatever the config (its own entry or `all`) asks. The SDK would otherwise
 * run it at the configured level, and not at all when disabled (@pulumi/policy server.js,
 * makeAnalyzeRpcFun: `if (enforcementLevel === "disabled") continue`). Other policies get the
 * configured level, as `pulumi preview --policy-pack-config` gives it.
 */
export function withFloors(
  stack: StackName,
  pack: PackInfo,
  config: Readonly<Record<string, unknown>>,
  source: string,
): { config: Record<string, unknown>; refused: RefusedLevel[] } {
  const reconciled = reconcilePolicyConfig(pack, config, source);
  const out: Record<string, unknown> = { ...config };
  const refused: RefusedLevel[] = [];
  for (const meta of POLICY_CATALOG) {
    const level = reconciled[meta.name]?.enforcementLevel;
    const floor = forRole(meta.levels, stack);
    if (meta.suppressible || level === undefined || RANK[level] >= RANK[floor]) continue;
    const given = config[meta.name];
    const own =
      typeof given === "string" ||
      (typeof given === "object" && given !== null && "enforcementLevel" in given);
    refused.push({ policy: meta.name, refused: level, from: own ? "policy" : "all", floor });
    out[meta.name] =
      typeof given === "object" && given !== null
        ? { ...(given as Record<string, unknown>), enforcementLevel: floor }
        : { enforcementLevel: floor };
  }
  return { config: out, refused };
}

/** The report's note for a refused level: advisory, on the policy, naming the level. */
export function refusedNote(stack: StackName, refused: RefusedLevel, source: string): Violation {
  const meta = POLICY_CATALOG.find((p) => p.name === refused.policy)!;
  const key = refused.from === "all" ? "all" : `${refused.policy}.enforcementLevel`;
  return {
    stack,
    policy: refused.policy,
    enforcement: "advisory",
    severity: meta.severity,
    urn: "",
    message: `Ignored ${key} "${refused.refused}" from ${source} for ${refused.policy}: it can never be suppressed, so it stays ${refused.floor} in ${stack}.`,
    remediation: `Remove the level from ${source}: a policy that can never be suppressed keeps its level in each stack.`,
  };
}

function remediationFor(policy: string, pack: PackInfo): string {
  return (
    POLICY_CATALOG.find((p) => p.name === policy)?.remediationSteps ??
    pack.policies.find((p) => p.name === policy)?.remediationSteps ??
    ""
  );
}

/** Splits the pack's diagnostics into violations and suppressions. */
export function classify(
  stack: StackName,
  pack: PackInfo,
  diagnostics: readonly Diagnostic[],
): { violations: Violation[]; suppressions: Suppression[] } {
  const violations: Violation[] = [];
  const suppressions: Suppression[] = [];
  const seen = new Set<string>();
  for (const d of diagnostics) {
    // AnalyzeStack may repeat what Analyze reported on the same resource.
    const key = `${d.policy}\u0000${d.urn}\u0000${d.enforcement}\u0000${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const suppressed = d.enforcement === "advisory" ? parseSuppressedMessage(d.message) : undefined;
    if (suppressed) {
      const meta = POLICY_CATALOG.find((p) => p.name === d.policy);
      suppressions.push({
        stack,
        policy: d.policy,
        severity: d.severity,
        urn: d.urn,
        ...suppressed,
        waivedLevel: meta ? forRole(meta.levels, stack) : "mandatory",
      });
      continue;
    }
    violations.push({
      stack,
      policy: d.policy,
      enforcement: d.enforcement === "remediate" ? "mandatory" : d.enforcement,
      severity: d.severity,
      urn: d.urn,
      message: d.message,
      remediation: remediationFor(d.policy, pack),
    });
  }
  const rank = (v: Violation) => (v.enforcement === "mandatory" ? 0 : 1);
  violations.sort((a, b) => rank(a) - rank(b));
  return { violations, suppressions };
}

function programError(
  stack: StackName,
  file: string,
  program: string,
  err: unknown,
  isRunError: (err: unknown) => boolean,
): GateError {
  if (err instanceof ConfigErrors) return new GateError(err.message, err);
  // The engine shows a RunError's message alone: the program's own words for the operator.
  if (isRunError(err)) return new GateError((err as Error).message, err);
  const message = err instanceof Error ? err.message : String(err);
  return new GateError(
    `${program}: the program failed for stack ${stack} (config ${file}): ${message.split("\n")[0]}`,
    err,
  );
}

/**
 * The offline gate: validates each stack's file, runs the program for each stack under the SDK's
 * mocks (sequentially: the SDK keeps one runtime per process), and has the policy pack judge
 * every registered resource: in the gate's own process by default, or in one pack process per
 * stack over the Analyzer protocol (started at once, so that they start while programs run).
 */
export async function runGate(options: GateOptions): Promise<GateResult> {
  // The project's chain of environments: the stacks it knows and their roles. The programs and
  // pack processes started below read the same file through the environment variable.
  useEnvironments(chainOf(options.projectDir));
  const restoreVariable = setVariable(
    ENVIRONMENTS_FILE_VARIABLE,
    environmentsFile(options.projectDir),
  );
  try {
    return await gateStacks(options);
  } finally {
    restoreVariable();
  }
}

/** The chain a project declares, a broken file failing the gate with the file and key. */
export function chainOf(projectDir: string): Environments {
  try {
    return loadEnvironments(projectDir);
  } catch (err) {
    if (err instanceof ConfigErrors) throw new GateError(err.message, err);
    throw err;
  }
}

/** Sets an environment variable of this process; returns what puts the old value back. */
function setVariable(name: string, value: string): () => void {
  const old = process.env[name];
  process.env[name] = value;
  return () => {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  };
}

async function gateStacks(options: GateOptions): Promise<GateResult> {
  const unknown = options.stacks.filter((s) => !environments().has(s));
  if (unknown.length > 0) {
    throw new GateError(
      `unknown stack ${unknown.map((s) => JSON.stringify(s)).join(", ")}: expected one of ${environments().names.join(", ")}`,
    );
  }
  // The program Pulumi.yaml names, resolved and checked before anything starts.
  const project = options.project ?? locateProject(options.projectDir, packageRoot());
  const entry = resolveProgram(project);
  const targets = loadTargets(options);
  let judge: Judge;
  try {
    judge = startJudge(
      options.judge ?? DEFAULT_JUDGE,
      options.packDir,
      targets.map((t) => ({ stack: t.stack, project: project.name, engineConfig: t.engineConfig })),
    );
  } catch (err) {
    if (err instanceof AnalyzerError) throw new GateError(err.message, err);
    throw err;
  }
  const restoreRuntime = quietProgramRuntime(options.programStackTraces === true);
  try {
    // Loaded only now, so the packs start while the SDK and the providers load here.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runProgram, isRunError } = require("./program-run") as typeof import("./program-run");
    const files = stackFiles(options.projectDir, options.configFiles);
    const analyses: Promise<StackVerdict>[] = [];
    for (const t of targets) {
      const started = Date.now();
      let resources: readonly RegisteredResource[];
      try {
        // runUnderMocks fails, naming what it waits for, if the program cannot finish.
        ({ resources } = await runProgram(project, entry, {
          stack: t.stack,
          config: t.engineConfig,
          region: t.region,
          stackFiles: files,
        }));
      } catch (err) {
        throw programError(t.stack, t.file, entry.program, err, isRunError);
      }
      const programMs = Date.now() - started;
      const verdict = judgeStack(judge, t, resources, programMs, {
        ...options,
        projectName: project.name,
      });
      analyses.push(verdict);
      // Surface a failed analysis only once every program has run (or failed) above.
      verdict.catch(() => undefined);
      // A pack judging in this process reads the runtime this program left set: it judges the
      // stack before the next program runs.
      if (!judge.concurrent) await verdict.catch(() => undefined);
    }
    const stacks = await Promise.all(analyses);
    return { stacks, catalog: POLICY_CATALOG };
  } catch (err) {
    if (err instanceof AnalyzerError) throw new GateError(err.message, err);
    throw err;
  } finally {
    restoreRuntime();
    judge.close();
  }
}

/**
 * The pack's verdict on one stack's resources: its diagnostics, classified, with any refused
 * level noted. The pack is configured as the gate configures it (the stack files this run uses,
 * the policy config, the floors).
 */
export async function judgeStack(
  judge: Judge,
  t: GateTarget,
  resources: readonly RegisteredResource[],
  programMs: number,
  options: Pick<GateOptions, "projectDir" | "configFiles" | "policyConfig" | "callTimeoutMs"> & {
    /** The project's name (Pulumi.yaml `name`), as the engine hands it to the pack. */
    readonly projectName: string;
  },
): Promise<StackVerdict> {
  const begun = Date.now();
  const baselines = baselineSettings(options);
  const user = options.policyConfig?.values ?? {};
  const source = options.policyConfig?.file ?? "policy config";
  const refused: RefusedLevel[] = [];
  const { pack: info, diagnostics } = await judge.judge(
    { stack: t.stack, project: options.projectName, engineConfig: t.engineConfig },
    resources,
    {
      policyConfig: (info) => {
        const floored = withFloors(t.stack, info, withBaselines(info, baselines, user), source);
        refused.push(...floored.refused);
        return floored.config;
      },
      policyConfigSource: source,
      ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
    },
  );
  const { violations, suppressions } = classify(t.stack, info, diagnostics);
  return {
    stack: t.stack,
    file: t.file,
    resources,
    pack: info,
    violations: [...violations, ...refused.map((r) => refusedNote(t.stack, r, source))],
    suppressions,
    timings: { programMs, analyzeMs: Date.now() - begun },
  };
}

/** Reads a `--policy-config` file (JSON, as the Pulumi CLI takes it). */
export function readPolicyConfig(file: string): { file: string; values: Record<string, unknown> } {
  let values: unknown;
  try {
    values = JSON.parse(readInputFile(file)) as unknown;
  } catch (err) {
    const found = err instanceof UnreadableFile ? err.found : (err as Error).message;
    throw new ConfigErrors([
      new ConfigError(file, "(file)", "a readable JSON policy config file", found),
    ]);
  }
  if (!values || typeof values !== "object" || Array.isArray(values)) {
    throw new ConfigErrors([
      new ConfigError(
        file,
        "(document)",
        "a map of policy names to settings",
        describeFound(values),
      ),
    ]);
  }
  return { file, values: values as Record<string, unknown> };
}
