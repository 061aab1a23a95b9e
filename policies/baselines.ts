import * as fs from "node:fs";
import {
  ConfigErrors,
  loadSpecFromFile,
  STACKS,
  type EnvironmentSpec,
  type StackName,
} from "../src/model";
import { packPath, type Setting, type Settings } from "./support";

/**
 * The setting naming the stack file a stack uses: `<stack>StackFile`. Every policy that reads
 * stack files takes the same keys, so one map (the gate hands `stackFiles(projectDir,
 * --config-file overrides)`) reaches every policy, and no policy builds a path itself.
 */
export function stackFileKey(stack: StackName): string {
  return `${stack}StackFile`;
}

/**
 * The stack-file settings of a policy that reads stack files: one per stack, so one policy config
 * (the same map) serves every stack's run. The default is the project layout the Pulumi CLI runs
 * the pack in (`pulumi preview --policy-pack policies`): the pack directory sits in the project,
 * next to the Pulumi.<stack>.yaml files.
 */
export function stackFileSettings(): Record<string, Setting> {
  return Object.fromEntries(
    STACKS.map((stack) => [
      stackFileKey(stack),
      {
        type: "string",
        description: `The stack file ${stack} uses (a Pulumi.<stack>.yaml), relative to the pack directory.`,
        default: `../Pulumi.${stack}.yaml`,
      } satisfies Setting,
    ]),
  );
}

/** The stack file a stack uses, as the policy's settings name it, loaded through the model. */
export function baselineOf(settings: Settings, stack: StackName): Baseline {
  return loadBaseline(settings.text(stackFileKey(stack)), stack);
}

export type Baseline =
  | { readonly ok: true; readonly spec: EnvironmentSpec }
  | { readonly ok: false; readonly message: string };

const cache = new Map<string, { mtimeMs: number; baseline: Baseline }>();

/**
 * Loads a committed stack file through the model (same validation and defaults as the program).
 * A broken or missing file is a reportable message, never an exception.
 */
export function loadBaseline(file: string, stack: StackName): Baseline {
  const resolved = packPath(file);
  let mtimeMs = -1;
  try {
    mtimeMs = fs.statSync(resolved).mtimeMs;
  } catch {
    // loadSpecFromFile reports the unreadable file with its path.
  }
  const key = `${stack}:${resolved}`;
  const hit = cache.get(key);
  if (hit && hit.mtimeMs === mtimeMs && mtimeMs >= 0) return hit.baseline;
  let baseline: Baseline;
  try {
    baseline = { ok: true, spec: loadSpecFromFile(resolved, stack) };
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    baseline = {
      ok: false,
      message: `Fix the ${stack} baseline before this check can run: ${err.message.replace(/\n/g, "; ")}`,
    };
  }
  cache.set(key, { mtimeMs, baseline });
  return baseline;
}
