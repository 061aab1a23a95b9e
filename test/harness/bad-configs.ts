import { SAMPLE } from "./sample";
import * as path from "node:path";
import { readStackConfigFile } from "../../src/model";

export const ROOT = path.resolve(__dirname, "../..");
export const stackFile = (stack: string) => path.join(ROOT, `Pulumi.${stack}.yaml`);

export const TAGGED_IMAGE = `123456789012.dkr.ecr.${SAMPLE.region}.amazonaws.com/${SAMPLE.repository}:1.4.2`;

/**
 * A committed stack file's config with one change: `path` is `envstack:<key>.<sub>...` or
 * `aws:region`; `undefined` deletes the key.
 */
export function changed(stack: string, keyPath: string, value: unknown): Record<string, unknown> {
  const config = structuredClone(readStackConfigFile(stackFile(stack)));
  const [top, ...rest] = keyPath.split(".") as [string, ...string[]];
  if (rest.length === 0) {
    if (value === undefined) delete config[top];
    else config[top] = value;
    return config;
  }
  let node = config[top] as Record<string, unknown>;
  for (const part of rest.slice(0, -1)) node = node[part] as Record<string, unknown>;
  const last = rest[rest.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return config;
}
