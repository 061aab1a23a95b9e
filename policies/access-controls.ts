import type { PolicyResource } from "@pulumi/policy";
import { RDS_INSTANCE, REPLICATION_GROUP } from "./data-safety";
import {
  expectProp,
  isRecord,
  isSet,
  read,
  show,
  toNumber,
  type ResourcePolicyDefinition,
  type StackPolicyDefinition,
} from "./support";

export const PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup";
const FORCE_SSL = "rds.force_ssl";
/** RDS for PostgreSQL's default parameter groups force TLS from major version 15 on. */
const DEFAULT_FORCES_SSL_FROM = 15;

/** The declared parameter group an instance names, through its dependency or by name. */
function parameterGroupOf(
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

function forcesSsl(group: PolicyResource): boolean | "unknown" {
  const parameters = read(group.props, "parameters");
  if (!parameters.known) return "unknown";
  const list = Array.isArray(parameters.value) ? parameters.value : [];
  const entry = list.find((p) => isRecord(p) && p["name"] === FORCE_SSL);
  return isRecord(entry) && toNumber(entry["value"]) === 1;
}

/** The major version a default group (`default.postgres16`) or an engine version names. */
function majorOf(text: unknown): number {
  const match = typeof text === "string" ? /(\d+)/.exec(text) : null;
  return match ? Number(match[1]) : Number.NaN;
}

export const databaseTlsEnforced: StackPolicyDefinition = {
  name: "database-tls-enforced",
  description:
    "Checks whether every PostgreSQL database (primary and replicas) uses a parameter group that sets rds.force_ssl to 1, so the database refuses connections without TLS.",
  severity: "high",
  documentation:
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html#PostgreSQL.Concepts.General.SSL.Requiring",
  remediationSteps:
    "Declare the database's parameter group in the stack with rds.force_ssl set to 1 (the database component does) and name it in parameterGroupName on the primary and its replicas. RDS's default groups force TLS only from PostgreSQL 15 on.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateStack: (args, report, { stack }) => {
    const reported = new Set<string>();
    for (const instance of args.resources) {
      if (instance.type !== RDS_INSTANCE) continue;
      const on = (message: string) => report(message, { urn: instance.urn });
      const name = read(instance.props, "parameterGroupName");
      const group = parameterGroupOf(instance, args.resources, name.known ? name.value : "");
      if (!group) {
        if (!name.known) {
          report(`Cannot check parameterGroupName during preview: ${name.reason}.`, {
            level: "advisory",
            urn: instance.urn,
          });
          continue;
        }
        const fallback = isSet(name.value) ? name.value : undefined;
        // Without a group of its own, RDS applies default.postgres<major>, which forces TLS
        // from 15 on (rds.force_ssl defaults to 1 there, 0 before).
        if (fallback === undefined || /^default\./.test(String(fallback))) {
          const version = read(instance.props, "engineVersion");
          const major = majorOf(fallback ?? (version.known ? version.value : undefined));
          if (!(major >= DEFAULT_FORCES_SSL_FROM))
            on(
              `Set parameterGroupName on ${instance.name} to a parameter group with ${FORCE_SSL} = 1: ${stack} accepts only TLS connections to PostgreSQL (found ${show(fallback ?? "the default group")}, which does not force TLS before PostgreSQL ${DEFAULT_FORCES_SSL_FROM}).`,
            );
          continue;
        }
        on(
          `Set parameterGroupName on ${instance.name} to a parameter group the stack declares with ${FORCE_SSL} = 1: ${stack} accepts only TLS connections to PostgreSQL (found ${show(fallback)}, not declared here).`,
        );
        continue;
      }
      if (reported.has(group.urn)) continue;
      const forced = forcesSsl(group);
      if (forced === "unknown") {
        report(`Cannot check the parameters of ${group.name} during preview.`, {
          level: "advisory",
          urn: group.urn,
        });
      } else if (!forced) {
        reported.add(group.urn);
        report(
          `Set ${FORCE_SSL} to 1 in parameter group ${group.name}: ${stack} accepts only TLS connections to PostgreSQL (${instance.name} uses it).`,
          { urn: group.urn },
        );
      }
    }
  },
};

export const cacheRequiresAuth: ResourcePolicyDefinition = {
  name: "cache-requires-auth",
  description:
    "Checks whether every Redis replication group requires clients to authenticate: an AUTH token (kept in Secrets Manager) or RBAC user groups.",
  severity: "high",
  documentation: "https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/auth.html",
  remediationSteps:
    "Set authToken on the replication group from the generated secret (the cache component does), with transitEncryptionEnabled: ElastiCache enables AUTH only with in-transit encryption.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateResource: (args, report, { stack }) => {
    if (args.type !== REPLICATION_GROUP) return;
    const groups = read(args.props, "userGroupIds");
    if (groups.known && Array.isArray(groups.value) && groups.value.length > 0) return;
    // A token computed during the update (the generated secret) is still a token.
    expectProp(
      report,
      args.props,
      "authToken",
      isSet,
      `Set authToken on ${args.name} from its Secrets Manager secret: ${stack}'s Redis answers only clients that authenticate.`,
      "passes",
    );
  },
};

export const accessControlPolicies: readonly (ResourcePolicyDefinition | StackPolicyDefinition)[] =
  [databaseTlsEnforced, cacheRequiresAuth];
