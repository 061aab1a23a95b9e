import { expectProp, fsbp, isReplica, isTrue, type ResourcePolicyDefinition } from "../support";
import { RDS_INSTANCE, REPLICATION_GROUP } from "./shared";

export const redundancy: ResourcePolicyDefinition = {
  name: "redundancy-in-production",
  description:
    "Checks whether primary databases run Multi-AZ and caches fail over automatically across availability zones.",
  severity: "high",
  framework: fsbp(
    "RDS.5",
    "RDS DB instances should be configured with multiple Availability Zones",
  ),
  remediationSteps:
    "Set envstack:database.multiAz to true and envstack:cache.replicasPerShard to at least 1 (the cache component then enables automatic failover and Multi-AZ).",
  levels: { development: "disabled", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateResource: (args, report, { stack }) => {
    if (args.type === RDS_INSTANCE && !isReplica(args.props)) {
      expectProp(
        report,
        args.props,
        "multiAz",
        isTrue,
        `Set multiAz to true on ${args.name}: ${stack} runs its databases across availability zones.`,
      );
    }
    if (args.type === REPLICATION_GROUP) {
      expectProp(
        report,
        args.props,
        "automaticFailoverEnabled",
        isTrue,
        `Set automaticFailoverEnabled to true on ${args.name}: ${stack} caches fail over automatically.`,
      );
      expectProp(
        report,
        args.props,
        "multiAzEnabled",
        isTrue,
        `Set multiAzEnabled to true on ${args.name}: ${stack} caches keep replicas in another availability zone.`,
      );
    }
  },
};
