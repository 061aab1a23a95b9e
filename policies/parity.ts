import type { StackValidationArgs } from "@pulumi/policy";
import {
  PARITY,
  attributesFor,
  expectedValue,
  mustEqualAttributes,
  observe,
  sameValue,
  type DeclaredResource,
  type ParityAttribute,
  type StackName,
  environments,
} from "../src/model";
import { baselineOf, stackFileSettings } from "./baselines";
import { show, type Report, type Settings, type StackPolicyDefinition } from "./support";

function declared(args: StackValidationArgs): DeclaredResource[] {
  return args.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props }));
}

/** The services the stack declares: the `service` tags of its ECS services, where known. */
function declaredServices(resources: readonly DeclaredResource[]): Set<string> {
  const names = new Set<string>();
  for (const r of resources) {
    if (r.type !== "aws:ecs/service:Service") continue;
    try {
      const tags = r.props["tags"];
      const name =
        tags !== null && typeof tags === "object"
          ? (tags as Record<string, unknown>)["service"]
          : undefined;
      if (typeof name === "string") names.add(name);
    } catch {
      // Unknown during preview: the per-service readings say so on their own resources.
    }
  }
  return names;
}

/**
 * Compares the stack's declared resources with a baseline stack file on the given attributes:
 * every instance that carries an attribute is compared on its own, and each that differs is one
 * violation on its URN, naming the attribute; an instance unknown during preview is an advisory
 * note on that instance.
 */
function compare(
  args: StackValidationArgs,
  report: Report,
  attributes: readonly ParityAttribute[],
  baselineStack: StackName,
  settings: Settings,
  why: (attribute: ParityAttribute, found: string) => string,
): void {
  const baseline = baselineOf(settings, baselineStack);
  if (!baseline.ok) {
    report(baseline.message);
    return;
  }
  const resources = declared(args);
  const services = declaredServices(resources);
  for (const attribute of attributesFor(attributes, baseline.spec)) {
    if (!attribute.observed) continue;
    // A service the stack does not declare at all is reported once, on the `services` key.
    if (attribute.service !== undefined && !services.has(attribute.service)) continue;
    const expected = expectedValue(attribute, baseline.spec);
    for (const reading of observe(attribute.observed, resources)) {
      const urn = reading.on?.urn ?? reading.resources[0]?.urn;
      const where = (urn === undefined ? {} : { urn }) as { urn?: string };
      const on = reading.on ? ` on ${reading.on.name}` : "";
      if (!reading.known) {
        report(`Cannot check ${attribute.key}${on} during preview: ${reading.reason}.`, {
          ...where,
          level: "advisory",
        });
        continue;
      }
      if (sameValue(reading.value, expected)) continue;
      report(
        `Set ${attribute.key} to ${show(expected)}${on}: ${why(attribute, show(reading.value))}`,
        {
          ...where,
          attribute: attribute.key,
        },
      );
    }
  }
}

export const stageMirrorsProd: StackPolicyDefinition = {
  name: "stage-mirrors-prod",
  description:
    "Checks whether the resources a production-like stack declares match the committed prod stack file on every must-equal attribute of the parity contract.",
  severity: "high",
  remediationSteps:
    "Change the stack's config (or the code that overrides it) so the attribute equals prod's committed value, or change prod and stage together in one reviewed change. Only attributes listed as may-differ in the parity contract may differ.",
  levels: { development: "disabled", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  attributes: mustEqualAttributes()
    .filter((a) => a.observed)
    .map((a) => a.key),
  settings: stackFileSettings,
  validateStack: (args, report, { stack, settings }) => {
    const production = environments().production;
    compare(args, report, mustEqualAttributes(), production, settings, (_attribute, found) =>
      stack === production
        ? `${production} must match its committed Pulumi.${production}.yaml (${production} declares ${found}).`
        : `${stack} must mirror ${production} (${stack} declares ${found}).`,
    );
  },
};

export const devFollowsStage: StackPolicyDefinition = {
  name: "dev-follows-stage-versions",
  description:
    "Checks whether dev runs the same database and cache engine versions as the committed stage stack file.",
  severity: "low",
  remediationSteps:
    "Set the engine version in Pulumi.dev.yaml to stage's, or upgrade stage first: versions move forward through dev and stage together.",
  levels: { development: "advisory", "production-like": "disabled", production: "disabled" },
  suppressible: true,
  attributes: PARITY.filter((a) => a.devFollowsStage === true && a.observed).map((a) => a.key),
  settings: stackFileSettings,
  validateStack: (args, report, { stack, settings }) => {
    // The first production-like environment of the chain (stage by default).
    const chain = environments();
    const stage = chain.names.find((s) => chain.role(s) === "production-like");
    if (stage === undefined) return;
    compare(
      args,
      report,
      PARITY.filter((a) => a.devFollowsStage === true),
      stage,
      settings,
      (_attribute, found) =>
        `${stack} must run the engine versions ${stage} runs (${stack} declares ${found}).`,
    );
  },
};

export const parityPolicies: readonly StackPolicyDefinition[] = [stageMirrorsProd, devFollowsStage];
