import type { PolicyResource } from "@pulumi/policy";
import { isRecord, read, toNumber } from "../support";

export const PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup";
export const FORCE_SSL = "rds.force_ssl";
/** RDS for PostgreSQL's default parameter groups force TLS from major version 15 on. */
export const DEFAULT_FORCES_SSL_FROM = 15;

/** The declared parameter group an instance names, through its dependency or by name. */
export function parameterGroupOf(
  instance: PolicyResource,
  resources: readonly PolicyResource[],
  name: unknown,
): PolicyResource | undefined {
  const named = resources.find((r) => {
    if (r.type !== PARAMETER_GROUP) return false;
    const own = read(r.props, "name");
    return own.known && own.value === name;
  });
  if (named) return named;
  const dependency = (instance.propertyDependencies?.["parameterGroupName"] ?? []).find(
    (d) => d.type === PARAMETER_GROUP,
  );
  const linked = dependency
    ? (resources.find((r) => r.urn === dependency.urn) ?? dependency)
    : undefined;
  // A group whose name the program sets is that name: an instance naming something else (a
  // default group edited in) is not using it, whatever it still depends on. A group named by
  // Pulumi (no name input) is known only through the dependency.
  const own = linked ? read(linked.props, "name") : undefined;
  return own && own.known && typeof own.value === "string" && own.value !== "" ? undefined : linked;
}

export function forcesSsl(group: PolicyResource): boolean | "unknown" {
  const parameters = read(group.props, "parameters");
  if (!parameters.known) return "unknown";
  const list = Array.isArray(parameters.value) ? parameters.value : [];
  const entry = list.find((p) => isRecord(p) && p["name"] === FORCE_SSL);
  return isRecord(entry) && toNumber(entry["value"]) === 1;
}

/** The major version a default group (`default.postgres16`) or an engine version names. */
export function majorOf(text: unknown): number {
  const match = typeof text === "string" ? /(\d+)/.exec(text) : null;
  return match ? Number(match[1]) : Number.NaN;
}
