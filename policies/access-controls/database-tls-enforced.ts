import { RDS_INSTANCE } from "../data-safety";
import { isSet, read, show, type StackPolicyDefinition } from "../support";
import { FORCE_SSL, DEFAULT_FORCES_SSL_FROM, parameterGroupOf, forcesSsl, majorOf } from "./shared";

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
