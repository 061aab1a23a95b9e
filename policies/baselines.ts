import * as fs from "node:fs";
import { ConfigErrors, loadSpecFromFile, type EnvironmentSpec, type StackName } from "../src/model";
import { packPath, type Setting } from "./support";

/** The committed stack file a setting defaults to, relative to the pack directory. */
export function stackFileSetting(stack: StackName, what: string): Setting {
  return {
    type: "string",
    description: `${what} (a Pulumi.<stack>.yaml), relative to the pack directory.`,
    default: `../Pulumi.${stack}.yaml`,
  };
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
