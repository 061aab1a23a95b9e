import * as fs from "node:fs";
import * as path from "node:path";
import {
  ConfigErrors,
  loadSpecFromFile,
  STACK_FILES_VARIABLE,
  STACKS,
  stackFilesFromEnvironment,
  type EnvironmentSpec,
  type StackName,
} from "../src/model";
import { packDir, packPath, type Setting, type Settings } from "./support";

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
        description: `The stack file ${stack} uses (a Pulumi.<stack>.yaml), relative to the pack directory. Left at the default, the file ENVSTACK_STACK_FILES names for ${stack} when that variable is set, as the program reads it.`,
        default: defaultStackFile(stack),
      } satisfies Setting,
    ]),
  );
}

const defaultStackFile = (stack: StackName) => `../Pulumi.${stack}.yaml`;

/**
 * The stack file a stack uses, loaded through the model: the one the policy's settings name, or,
 * where they leave the default, the one the program reads. `pulumi preview` starts the pack with
 * the CLI's environment (`constructEnv` begins with `os.Environ()`:
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/resource/plugin/analyzer_plugin.go),
 * so a run with ENVSTACK_STACK_FILES set judges against the files the program declared from.
 */
export function baselineOf(settings: Settings, stack: StackName): Baseline {
  const configured = settings.text(stackFileKey(stack));
  if (configured !== defaultStackFile(stack) || process.env[STACK_FILES_VARIABLE] === undefined) {
    return loadBaseline(configured, stack);
  }
  let files: Readonly<Record<StackName, string>>;
  try {
    files = stackFilesFromEnvironment(path.resolve(packDir(), ".."), process.env);
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    return {
      ok: false,
      message: `Fix the ${stack} baseline before this check can run: ${err.message.replace(/\n/g, "; ")}`,
    };
  }
  return loadBaseline(files[stack], stack);
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
