import type { ResourceValidationArgs } from "@pulumi/policy";
import type { StackName } from "../../src/model";
import { baselineOf } from "../baselines";
import { LOG_GROUP } from "../data-safety";
import { SECRET } from "../security";
import { isRecord, parseJson, read, type Report, type Settings } from "../support";

export const SSM_PARAMETER = "aws:ssm/parameter:Parameter";

/** The app the stack's committed file names, or a reported reason it cannot be read. */
export function appOf(settings: Settings, stack: StackName, report: Report): string | undefined {
  const baseline = baselineOf(settings, stack);
  if (!baseline.ok) {
    report(baseline.message);
    return undefined;
  }
  return baseline.spec.app;
}

/**
 * The provider's default tags. The engine hands provider inputs over JSON-encoded
 * (`defaultTags` is the string `{"tags":{...}}`); in-process callers may pass the object.
 */
export function providerDefaultTags(
  args: ResourceValidationArgs,
): Record<string, unknown> | "unknown" {
  const raw = read(args.provider?.props, "defaultTags");
  if (!raw.known) return "unknown";
  const parsed = parseJson(raw.value);
  const tags = isRecord(parsed) ? parseJson(parsed["tags"]) : undefined;
  return isRecord(tags) ? { ...tags } : {};
}

/** The name property of each scoped type. */
export const SCOPED: Readonly<Record<string, string>> = {
  [SSM_PARAMETER]: "name",
  [SECRET]: "name",
  [LOG_GROUP]: "name",
};

export const GITHUB_NAMES: Readonly<Record<string, string>> = {
  "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": "variableName",
  "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": "secretName",
};
