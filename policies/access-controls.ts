import type { PolicyResource } from "@pulumi/policy";
import { RDS_INSTANCE, REPLICATION_GROUP } from "./data-safety";
import { IAM_ROLE, statementsOf } from "./security";
import {
  expectProp,
  isRecord,
  isReplica,
  isSet,
  isTrue,
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
  levels: { dev: "advisory", stage: "mandatory", prod: "mandatory" },
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
  levels: { dev: "advisory", stage: "mandatory", prod: "mandatory" },
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

export const stageDatabaseProtected: ResourcePolicyDefinition = {
  name: "stage-database-protected",
  description:
    "Checks whether stage's primary database has deletion protection and leaves a final snapshot when deleted.",
  severity: "high",
  remediationSteps:
    "Set envstack:database.deletionProtection to true in Pulumi.stage.yaml; the database component sets skipFinalSnapshot false and a finalSnapshotIdentifier in stage and prod (prod-database-protected checks prod, with the protect option).",
  levels: { dev: "disabled", stage: "mandatory", prod: "disabled" },
  suppressible: true,
  validateResource: (args, report, { stack }) => {
    if (args.type !== RDS_INSTANCE || isReplica(args.props)) return;
    expectProp(
      report,
      args.props,
      "deletionProtection",
      isTrue,
      `Set deletionProtection to true on ${args.name}: ${stack}'s primary database must not be deletable.`,
    );
    const skip = read(args.props, "skipFinalSnapshot");
    const id = read(args.props, "finalSnapshotIdentifier");
    if (!skip.known) {
      report(`Cannot check skipFinalSnapshot during preview: ${skip.reason}.`, {
        level: "advisory",
      });
    } else if (isTrue(skip.value) || (id.known && !isSet(id.value))) {
      report(
        `Set skipFinalSnapshot to false and a finalSnapshotIdentifier on ${args.name}: deleting ${stack}'s primary database must leave a snapshot.`,
      );
    }
  },
};

const MFA_PRESENT = "aws:multifactorauthpresent";
const MFA_AGE = "aws:multifactorauthage";
const TEAM_TAG = "aws:principaltag/team-role";

/**
 * A condition value by operator and key. IAM condition keys are case-insensitive, operators are
 * not: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
 */
function conditionValues(statement: Record<string, unknown>, operator: string, key: string) {
  const condition = statement["Condition"];
  const op = isRecord(condition) ? condition[operator] : undefined;
  if (!isRecord(op)) return [];
  const hit = Object.entries(op).find(([k]) => k.toLowerCase() === key);
  if (!hit) return [];
  return Array.isArray(hit[1]) ? [...(hit[1] as unknown[])] : [hit[1]];
}

function trustsAwsPrincipals(statement: Record<string, unknown>): boolean {
  const principal = statement["Principal"];
  return principal === "*" || (isRecord(principal) && principal["AWS"] !== undefined);
}

export const accessRolesRequireMfa: ResourcePolicyDefinition = {
  name: "access-roles-require-mfa",
  description:
    "Checks whether every role that people (AWS principals) may assume requires MFA within the last hour and, for a team role, the principal tag team-role of that team.",
  severity: "high",
  documentation:
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent",
  remediationSteps:
    'Declare access roles through the access component: its trust policy requires Bool aws:MultiFactorAuthPresent "true", NumericLessThan aws:MultiFactorAuthAge 3600 and StringEquals aws:PrincipalTag/team-role = the role\'s team. Never BoolIfExists: long-term credentials carry no MFA key at all.',
  levels: { dev: "mandatory", stage: "mandatory", prod: "mandatory" },
  suppressible: true,
  settings: () => ({
    maximumMfaAgeSeconds: {
      type: "integer",
      minimum: 1,
      description: "Longest time since the MFA sign-in a role accepts, seconds.",
      default: 3600,
    },
  }),
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== IAM_ROLE) return;
    const trust = read(args.props, "assumeRolePolicy");
    if (!trust.known) {
      report(`Cannot check assumeRolePolicy during preview: ${trust.reason}.`, {
        level: "advisory",
      });
      return;
    }
    const team = read(args.props, "tags.team-role");
    const maxAge = settings.number("maximumMfaAgeSeconds");
    for (const s of statementsOf(trust.value) ?? []) {
      if (s["Effect"] !== "Allow" || !trustsAwsPrincipals(s)) continue;
      // aws:MultiFactorAuthPresent is absent for long-term keys: only Bool "true" requires MFA.
      if (!conditionValues(s, "Bool", MFA_PRESENT).some(isTrue))
        report(
          `Require Bool aws:MultiFactorAuthPresent "true" in the trust policy of ${args.name}: people assume ${stack}'s roles only signed in with MFA.`,
        );
      const ages = [
        ...conditionValues(s, "NumericLessThan", MFA_AGE),
        ...conditionValues(s, "NumericLessThanEquals", MFA_AGE),
      ].map(toNumber);
      if (!ages.some((a) => a <= maxAge))
        report(
          `Require NumericLessThan aws:MultiFactorAuthAge ${maxAge} in the trust policy of ${args.name}: ${stack}'s roles accept an MFA sign-in of the last ${maxAge} seconds only (found ${show(ages.length > 0 ? ages : undefined)}).`,
        );
      if (team.known && typeof team.value === "string") {
        const tags = conditionValues(s, "StringEquals", TEAM_TAG);
        if (tags.length !== 1 || tags[0] !== team.value)
          report(
            `Require StringEquals aws:PrincipalTag/team-role ${team.value} in the trust policy of ${args.name}: only the ${team.value} team assumes it (found ${show(tags.length > 0 ? tags : undefined)}).`,
          );
      }
    }
  },
};

export const accessControlPolicies: readonly (ResourcePolicyDefinition | StackPolicyDefinition)[] =
  [databaseTlsEnforced, cacheRequiresAuth, stageDatabaseProtected, accessRolesRequireMfa];
