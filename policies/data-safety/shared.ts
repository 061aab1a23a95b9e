import type { PolicyResource } from "@pulumi/policy";
import { whenKnown } from "../support";

export const RDS_INSTANCE = "aws:rds/instance:Instance";
export const REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";
export const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
export const BUCKETS = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
export const VERSIONINGS = [
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketVersioningV2:BucketVersioningV2",
];
export const PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
export const PUBLIC_ACCESS_FLAGS = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
] as const;

/** Resources of the given types whose `bucket` input refers to this bucket. */
export function attachedTo(
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
