import { AWS_DOCS } from "../../src/model";
import { REPLICATION_GROUP } from "../data-safety";
import { isTrue, read, toNumber, type ResourcePolicyDefinition } from "../support";
import { EVERYWHERE, known } from "./shared";

export const cacheFailoverShape: ResourcePolicyDefinition = {
  name: "cache-failover-shape",
  description:
    "Checks whether every cluster-mode replication group enables automatic failover, and whether Multi-AZ is only asked for with automatic failover and at least one replica.",
  severity: "high",
  documentation: AWS_DOCS.createReplicationGroup,
  remediationSteps:
    "Keep automaticFailoverEnabled true on cluster-mode replication groups (the cache component does), and set multiAzEnabled only with replicas (envstack:cache.replicasPerShard above 0).",
  levels: EVERYWHERE,
  suppressible: false,
  validateResource: (args, report) => {
    if (args.type !== REPLICATION_GROUP) return;
    const mode = read(args.props, "clusterMode");
    const group = read(args.props, "parameterGroupName");
    const clusterMode =
      (mode.known && mode.value === "enabled") ||
      (group.known && typeof group.value === "string" && group.value.endsWith(".cluster.on"));
    const failover = known(report, args.props, "automaticFailoverEnabled");
    if (failover === undefined) return;
    const failsOver = isTrue(failover.value);
    if (clusterMode && !failsOver) {
      report(
        `Set automaticFailoverEnabled to true on ${args.name}: ElastiCache refuses a cluster-mode replication group without automatic failover.`,
      );
    }
    const multiAz = known(report, args.props, "multiAzEnabled");
    if (multiAz === undefined || !isTrue(multiAz.value)) return;
    if (!failsOver) {
      report(
        `Set automaticFailoverEnabled to true on ${args.name}, or multiAzEnabled to false: Multi-AZ needs automatic failover.`,
      );
    }
    const replicas = clusterMode
      ? read(args.props, "replicasPerNodeGroup")
      : read(args.props, "numCacheClusters");
    if (!replicas.known) {
      report(`Cannot check the replicas of ${args.name} during preview: ${replicas.reason}.`, {
        level: "advisory",
      });
      return;
    }
    const count = clusterMode ? toNumber(replicas.value ?? 0) : toNumber(replicas.value ?? 1) - 1;
    if (count === 0) {
      report(
        `Set multiAzEnabled to false on ${args.name}, or give it replicas: Multi-AZ needs a replica in another availability zone to promote.`,
      );
    }
  },
};
