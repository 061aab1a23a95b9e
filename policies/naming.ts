import type { ResourceValidationArgs } from "@pulumi/policy";
import {
  environments,
  MANAGED_BY,
  REQUIRED_TAG_KEYS,
  scopePrefix,
  type StackName,
} from "../src/model";
import { baselineOf, stackFileSettings } from "./baselines";
import { LOG_GROUP } from "./data-safety";
import { SECRET } from "./security";
import {
  isRecord,
  parseJson,
  read,
  show,
  type Report,
  type ResourcePolicyDefinition,
  type Settings,
} from "./support";

export const SSM_PARAMETER = "aws:ssm/parameter:Parameter";

/** The app the stack's committed file names, or a reported reason it cannot be read. */
function appOf(settings: Settings, stack: StackName, report: Report): string | undefined {
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

export const requiredTags: ResourcePolicyDefinition = {
  name: "required-tags",
  description:
    "Checks whether every AWS resource carries the env, app and managed-by tags with the stack's values, on itself or through its provider's default tags.",
  severity: "medium",
  remediationSteps:
    "Declare AWS resources under the stack's explicit aws.Provider, whose defaultTags come from src/model defaultTags(stack, app); never override env, app or managed-by on a resource.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: stackFileSettings,
  validateResource: (args, report, { stack, settings }) => {
    if (!args.type.startsWith("aws:")) return;
    const defaults = providerDefaultTags(args);
    const own = read(args.props, "tags");
    if (defaults === "unknown" || !own.known) {
      report(
        `Cannot check the tags of ${args.name} during preview: ${own.known ? "the provider's default tags are unknown" : own.reason}.`,
        { level: "advisory" },
      );
      return;
    }
    const app = appOf(settings, stack, report);
    if (app === undefined) return;
    const tags: Record<string, unknown> = {
      ...defaults,
      ...(isRecord(own.value) ? own.value : {}),
    };
    const expected: Record<(typeof REQUIRED_TAG_KEYS)[number], string> = {
      env: stack,
      app,
      "managed-by": MANAGED_BY,
    };
    const missing = REQUIRED_TAG_KEYS.filter((k) => tags[k] === undefined);
    if (missing.length > 0) {
      report(
        `Tag ${args.name} with ${missing.map((k) => `${k}=${expected[k]}`).join(", ")}: every AWS resource of ${stack} carries env, app and managed-by (declare it under the stack's provider, whose default tags set them).`,
      );
    }
    for (const key of REQUIRED_TAG_KEYS) {
      const value = tags[key];
      if (value !== undefined && value !== expected[key])
        report(
          `Set tag ${key} to ${expected[key]} on ${args.name}: it belongs to ${app} in ${stack} (found ${show(value)}).`,
        );
    }
  },
};

/** The name property of each scoped type. */
const SCOPED: Readonly<Record<string, string>> = {
  [SSM_PARAMETER]: "name",
  [SECRET]: "name",
  [LOG_GROUP]: "name",
};

export const awsNamesScoped: ResourcePolicyDefinition = {
  name: "aws-names-scoped",
  description:
    "Checks whether SSM parameters, secrets and log groups are named under the stack's scope /<stack>/<app>/.",
  severity: "medium",
  remediationSteps:
    "Name them with src/model scopedName(stack, app, ...) or logGroupName(stack, app, component); IAM grants are scoped to that prefix.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: stackFileSettings,
  validateResource: (args, report, { stack, settings }) => {
    const property = SCOPED[args.type];
    if (!property) return;
    const name = read(args.props, property);
    if (!name.known) {
      report(`Cannot check ${property} during preview: ${name.reason}.`, { level: "advisory" });
      return;
    }
    const app = appOf(settings, stack, report);
    if (app === undefined) return;
    const prefix = scopePrefix(stack, app);
    if (typeof name.value === "string" && name.value.startsWith(prefix)) return;
    report(
      `Name ${args.name} under ${prefix}: parameters, secrets and log groups stay in their stack's scope (found ${name.value === undefined ? "a generated name" : show(name.value)}).`,
    );
  },
};

const GITHUB_NAMES: Readonly<Record<string, string>> = {
  "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": "variableName",
  "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": "secretName",
};

export const githubNamesPrefixed: ResourcePolicyDefinition = {
  name: "github-names-prefixed",
  description:
    "Checks whether GitHub environment variables and secrets are named with their environment's prefix (DEV_, STAGE_, PROD_).",
  severity: "low",
  remediationSteps:
    "Name them with src/model variableName(stack, name), so a workflow can never read another environment's value by mistake.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateResource: (args, report) => {
    const property = GITHUB_NAMES[args.type];
    if (!property) return;
    const name = read(args.props, property);
    const environment = read(args.props, "environment");
    if (!name.known || !environment.known) {
      const [what, reason] = !name.known
        ? [property, name.reason]
        : ["environment", environment.known ? "" : environment.reason];
      report(`Cannot check ${what} during preview: ${reason}.`, { level: "advisory" });
      return;
    }
    // The guards stack declares every environment's variables: each takes its own prefix.
    const owner = environment.value;
    if (!environments().has(owner)) return;
    const prefix = environments().get(owner).variablePrefix;
    const value = typeof name.value === "string" ? name.value : "";
    if (value.startsWith(prefix)) return;
    const other = environments()
      .names.map((s) => environments().get(s).variablePrefix)
      .find((p) => value.startsWith(p));
    const bare = other ? value.slice(other.length) : value;
    report(
      `Rename ${value || args.name} to ${prefix}${bare}: ${owner}'s GitHub environment variables and secrets are prefixed ${prefix}.`,
    );
  },
};

export const namingPolicies: readonly ResourcePolicyDefinition[] = [
  requiredTags,
  awsNamesScoped,
  githubNamesPrefixed,
];
