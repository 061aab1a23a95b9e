import type { PolicyResource } from "@pulumi/policy";
import {
  expectProp,
  fsbp,
  isReplica,
  isSet,
  isTrue,
  read,
  show,
  toNumber,
  whenKnown,
  type ResourcePolicyDefinition,
  type StackPolicyDefinition,
} from "./support";
import { environments } from "../src/model";

export const RDS_INSTANCE = "aws:rds/instance:Instance";
export const REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";
export const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
export const BUCKETS = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
export const VERSIONINGS = [
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketVersioningV2:BucketVersioningV2",
];
export const PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const PUBLIC_ACCESS_FLAGS = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
] as const;

/**
 * Stage and prod keep deletion protection and a final snapshot on the primary, prod also
 * Pulumi's `protect` (README, "What a stack declares"). Replicas are exempt: a replica holds no
 * data of its own and RDS deletes it only with SkipFinalSnapshot
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html), and its
 * deletion protection is compared with prod's by stage-mirrors-prod instead.
 */
export const prodDatabaseProtected: ResourcePolicyDefinition = {
  name: "prod-database-protected",
  description:
    "Checks whether the primary database of stage and prod has deletion protection and leaves a final snapshot, and in prod carries the protect resource option.",
  severity: "critical",
  framework: fsbp("RDS.8", "RDS DB instances should have deletion protection enabled"),
  remediationSteps:
    "Set envstack:database.deletionProtection to true in Pulumi.stage.yaml and Pulumi.prod.yaml; the database component sets skipFinalSnapshot false and a finalSnapshotIdentifier on the primary in stage and prod, and `protect: true` in prod. Deleting the database takes a reviewed change that lifts them.",
  levels: { development: "disabled", "production-like": "mandatory", production: "mandatory" },
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
    if (environments().role(stack) === "production" && args.opts.protect !== true) {
      report(
        `Set the protect resource option on ${args.name}: Pulumi must refuse to delete ${stack}'s primary database.`,
      );
    }
  },
};

export const backupRetention: ResourcePolicyDefinition = {
  name: "database-backup-retention",
  description:
    "Checks whether every primary database keeps automated backups for at least the stack's floor of days.",
  severity: "high",
  framework: fsbp("RDS.11", "RDS instances should have automatic backups enabled"),
  remediationSteps:
    "Raise envstack:database.backupRetentionDays to at least the floor (stage and prod: 7 by default; the pack config's minimumDays sets it).",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: (stack) => ({
    minimumDays: {
      type: "integer",
      minimum: 0,
      maximum: 35,
      description: "Fewest days of automated backups a primary database keeps.",
      default: environments().role(stack) === "development" ? 1 : 7,
    },
  }),
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== RDS_INSTANCE || isReplica(args.props)) return;
    const floor = settings.number("minimumDays");
    const r = read(args.props, "backupRetentionPeriod");
    if (!r.known) {
      report(`Cannot check backupRetentionPeriod during preview: ${r.reason}.`, {
        level: "advisory",
      });
      return;
    }
    const days = r.value === undefined ? 0 : toNumber(r.value);
    if (!(days >= floor)) {
      report(
        `Set backupRetentionPeriod to at least ${floor} on ${args.name}: ${stack} keeps at least ${floor} days of backups (found ${show(r.value)}).`,
      );
    }
  },
};

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

/** Resources of the given types whose `bucket` input refers to this bucket. */
function attachedTo(
  bucket: PolicyResource,
  resources: readonly PolicyResource[],
  types: readonly string[],
): PolicyResource[] {
  const names = [
    whenKnown(() => bucket.props["bucket"] as unknown),
    whenKnown(() => bucket.props["id"] as unknown),
    bucket.name,
  ].filter((n): n is string => typeof n === "string");
  return resources.filter((r) => {
    if (!types.includes(r.type)) return false;
    if ((r.propertyDependencies?.["bucket"] ?? []).some((d) => d.urn === bucket.urn)) return true;
    const ref = whenKnown(() => r.props["bucket"] as unknown);
    return typeof ref === "string" && names.includes(ref);
  });
}

export const bucketsVersionedAndPrivate: StackPolicyDefinition = {
  name: "buckets-versioned-and-private",
  description:
    "Checks whether every S3 bucket has versioning enabled and a public access block with all four settings on.",
  severity: "high",
  framework: fsbp("S3.8", "S3 general purpose buckets should block public access"),
  remediationSteps:
    "Declare, next to each bucket, an aws.s3.BucketVersioning with status Enabled and an aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateStack: (args, report, { stack }) => {
    for (const bucket of args.resources.filter((r) => BUCKETS.includes(r.type))) {
      const on = (message: string) => report(message, { urn: bucket.urn });
      const versionings = attachedTo(bucket, args.resources, VERSIONINGS);
      const enabled = versionings.some((v) => {
        const status = read(v.props, "versioningConfiguration.status");
        return !status.known || status.value === "Enabled";
      });
      if (!enabled) {
        on(
          `Declare a BucketVersioning with status Enabled for bucket ${bucket.name}: ${stack} keeps every object version.`,
        );
      }
      const blocks = attachedTo(bucket, args.resources, [PUBLIC_ACCESS_BLOCK]);
      if (blocks.length === 0) {
        on(
          `Declare a BucketPublicAccessBlock for bucket ${bucket.name}: no ${stack} bucket is public.`,
        );
        continue;
      }
      for (const flag of PUBLIC_ACCESS_FLAGS) {
        const all = blocks.every((b) => {
          const v = read(b.props, flag);
          return !v.known || isTrue(v.value);
        });
        if (!all)
          on(
            `Set ${flag} to true on the public access block of bucket ${bucket.name}: no ${stack} bucket is public.`,
          );
      }
    }
  },
};

export const logRetention: ResourcePolicyDefinition = {
  name: "log-retention-floor",
  description:
    "Checks whether every log group keeps its events for at least the stack's floor of days.",
  severity: "medium",
  framework: fsbp(
    "CloudWatch.16",
    "CloudWatch log groups should be retained for a specified time period",
  ),
  remediationSteps:
    "Raise envstack:observability.logRetentionDays to at least the floor (365 days in prod by default; the pack config's minimumDays sets it).",
  levels: { development: "disabled", "production-like": "disabled", production: "mandatory" },
  suppressible: true,
  settings: () => ({
    minimumDays: {
      type: "integer",
      minimum: 1,
      description: "Fewest days a log group keeps its events.",
      default: 365,
    },
  }),
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== LOG_GROUP) return;
    const floor = settings.number("minimumDays");
    const r = read(args.props, "retentionInDays");
    if (!r.known) {
      report(`Cannot check retentionInDays during preview: ${r.reason}.`, { level: "advisory" });
      return;
    }
    // Unset or 0 means events never expire.
    const days = r.value === undefined ? 0 : toNumber(r.value);
    if (days !== 0 && !(days >= floor)) {
      report(
        `Set retentionInDays to at least ${floor} on ${args.name}: ${stack} keeps logs for at least ${floor} days (found ${show(r.value)}).`,
      );
    }
  },
};

export const dataSafetyPolicies: readonly (ResourcePolicyDefinition | StackPolicyDefinition)[] = [
  prodDatabaseProtected,
  backupRetention,
  redundancy,
  bucketsVersionedAndPrivate,
  logRetention,
];
