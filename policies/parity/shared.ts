import type { StackValidationArgs } from "@pulumi/policy";
import {
  attributesFor,
  expectedValue,
  observe,
  sameValue,
  type DeclaredResource,
  type ParityAttribute,
  type StackName,
} from "../../src/model";
import { baselineOf } from "../baselines";
import { show, type Report, type Settings } from "../support";

export function declared(args: StackValidationArgs): DeclaredResource[] {
  return args.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props }));
}

/** The services the stack declares: the `service` tags of its ECS services, where known. */
export function declaredServices(resources: readonly DeclaredResource[]): Set<string> {
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
export function compare(
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
