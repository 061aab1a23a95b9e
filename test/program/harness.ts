import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { RegisteredResource } from "../../src/engine/mock-run";
import { runUnderMocks } from "../../src/engine/mock-run";
import {
  environments,
  loadSpecFromEngineConfig,
  type StackName,
  readStackConfigFile,
  toEngineConfig,
  type EnvironmentSpec,
} from "../../src/model";
import { declareEnvironment } from "../../src/program";

export const ROOT = path.resolve(__dirname, "../..");

export function stackFile(stack: string): string {
  return path.join(ROOT, `Pulumi.${stack}.yaml`);
}

/** A stack's committed config in the engine's form, optionally with keys replaced. */
export function engineConfig(
  stack: string,
  overrides: Readonly<Record<string, unknown>> = {},
): Record<string, string> {
  const values: Record<string, unknown> = {
    ...readStackConfigFile(stackFile(stack)),
    ...overrides,
  };
  // An override of undefined removes the key.
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete values[key];
  return toEngineConfig(values);
}

export interface ProgramRun {
  readonly spec: EnvironmentSpec;
  readonly resources: readonly RegisteredResource[];
  readonly outputs: Record<string, unknown>;
}

/** Config overrides for other stacks' files, as the guards stack reads them. */
export type OtherStacks = Readonly<Partial<Record<StackName, Readonly<Record<string, unknown>>>>>;

/**
 * Runs the program for a stack under the SDK's mocks with the committed stack file (plus any
 * overrides): config is read through the same path `src/program/main.ts` takes (engine form ->
 * loadSpecFromEngineConfig; the guards stack also reads every other stack file, here with
 * `others` applied), then `declareEnvironment` declares the resources.
 */
export async function runStack(
  stack: string,
  overrides: Readonly<Record<string, unknown>> = {},
  others: OtherStacks = {},
): Promise<ProgramRun> {
  const config = engineConfig(stack, overrides);
  const spec = loadSpecFromEngineConfig(stack, config);
  const guarded = environments().holdsGuards(spec.stack)
    ? environments().names.map((s) =>
        s === spec.stack ? spec : loadSpecFromEngineConfig(s, engineConfig(s, others[s] ?? {})),
      )
    : [];
  const result = await runUnderMocks({
    project: "envstack",
    stack,
    config,
    region: spec.region,
    program: () => declareEnvironment(spec, guarded),
  });
  return { spec, resources: result.resources, outputs: result.outputs as Record<string, unknown> };
}

/** Resources of the AWS provider (GitHub governance shares the run; it is not asserted here). */
export function awsResources(run: ProgramRun): RegisteredResource[] {
  return run.resources.filter(
    (r) => r.type.startsWith("aws:") || r.type.startsWith("envstack:aws:"),
  );
}

export function ofType(run: ProgramRun, type: string): RegisteredResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function one(run: ProgramRun, type: string, name: string): RegisteredResource {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
  }
  return found[0]!;
}

/** A JSON string input parsed (policies, container definitions, dashboard bodies). */
export function json<T = unknown>(value: unknown): T {
  if (typeof value !== "string") throw new Error(`expected a JSON string, found ${typeof value}`);
  return JSON.parse(value) as T;
}

/** Unwraps values the SDK marked secret (`{<sig>: <secret sig>, value}`), recursively. */
export function unsecret(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unsecret);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
      return unsecret(record["value"]);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unsecret(v)]));
  }
  return value;
}

/** Whether a value is wrapped as a secret. */
export function isSecret(value: unknown): boolean {
  return (
    !!value &&
    typeof value === "object" &&
    (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] ===
      pulumi.runtime.specialSecretSig
  );
}
