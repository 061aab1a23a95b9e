import { MANAGED_BY, REQUIRED_TAG_KEYS } from "../../src/model";
import { stackFileSettings } from "../baselines";
import { isRecord, read, show, type ResourcePolicyDefinition } from "../support";
import { appOf, providerDefaultTags } from "./shared";

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
