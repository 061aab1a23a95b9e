import { REPLICATION_GROUP } from "../data-safety";
import { expectProp, isSet, read, type ResourcePolicyDefinition } from "../support";

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
