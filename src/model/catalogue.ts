/**
 * What AWS accepts at `pulumi up`: the one maintained list of regions, engine versions and sizes
 * the config and the policy pack check against. Checked 2026-11-22 against the sources below
 * (stored copies; none is a live query of the AWS APIs). Move it forward when AWS deprecates a
 * version: RDS refuses to create an instance on a deprecated minor version.
 *
 * Sources and what each confirmed:
 * - Regions: the `Region` enum of @pulumi/aws 7.48.0 (node_modules/@pulumi/aws/types/enums),
 *   commercial partition (`aws`) only: China (`aws-cn`), GovCloud (`aws-us-gov`), ISO and the
 *   European Sovereign Cloud (`aws-eusc`) are other partitions with their own ARNs.
 * - PostgreSQL versions: the RDS release calendar,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html
 *   was not in the stored docs itself. What was: the RDS deprecation notice (quoted in
 *   https://github.com/saayam-for-all/database/wiki/AWS-RDS-instances-%E2%80%90-Health-Checks and
 *   https://lucaberton.com/blog/aws-rds-postgresql-minor-version-deprecation-may-2026/): from
 *   2026-05-01 no new instance on 14.14-14.17, 15.9-15.12, 16.5-16.8, 17.1-17.4; upgrades go to
 *   14.20, 15.15, 16.11, 17.7 or higher. 16.1-16.4 were deprecated before that
 *   (https://github.com/aws/aws-cdk/issues/37079, https://github.com/aws/aws-cdk/pull/35951).
 *   The newest versions named come from aws-cdk's PostgresEngineVersion
 *   (packages/aws-cdk-lib/aws-rds/lib/instance-engine.ts, stored copy of 2026: up to 16.13,
 *   17.9, 18.3). Listed: only the versions at or above the notice's upgrade targets, so none
 *   that the notice deprecates. Not confirmed by the stored docs: whether 16.9/16.10 and
 *   17.5/17.6 are still creatable (left out), and whether any listed version reached its end
 *   of standard support between mid-2026 and today.
 * - RDS instance classes for PostgreSQL: the families of
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html
 *   (stored copy; its per-engine table was not readable), limited to the current-generation
 *   families this project would choose. Regional availability is not modelled: see
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.RegionSupport.html
 * - ElastiCache engine versions for node-based clusters:
 *   https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/supported-engine-versions.html
 *   (Redis OSS 7.1, 7.0, 6.2, 6.0 and older; Valkey 7.2, 8.0, 8.1, 8.2; a 9.0 and 9.1 appear in
 *   the stored engine-versions page, listed too).
 * - ElastiCache node types: the current-generation list of
 *   https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CacheNode.html
 */

/** AWS regions of the commercial partition (`arn:aws:`). */
export const AWS_REGIONS = [
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
] as const;

/** The ARN partition of every region above. */
export const AWS_PARTITION = "aws";

/** RDS for PostgreSQL versions a new instance can be created on (see the header). */
export const POSTGRES_VERSIONS = [
  "16.11",
  "16.12",
  "16.13",
  "17.7",
  "17.8",
  "17.9",
  "18.1",
  "18.2",
  "18.3",
] as const;

const sizes = (family: string, list: readonly string[]) => list.map((s) => `${family}.${s}`);
const BURSTABLE = ["micro", "small", "medium", "large", "xlarge", "2xlarge"];
const GRAVITON = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];
const INTEL = [...GRAVITON, "24xlarge", "32xlarge"];
/** Seventh-generation Intel sizes (m7i, r7i). */
const INTEL_7 = [
  "large",
  "xlarge",
  "2xlarge",
  "4xlarge",
  "8xlarge",
  "12xlarge",
  "16xlarge",
  "24xlarge",
  "48xlarge",
];

/** RDS instance classes RDS for PostgreSQL supports, current generation. */
export const RDS_POSTGRES_INSTANCE_CLASSES: readonly string[] = [
  ...sizes("db.t3", BURSTABLE),
  ...sizes("db.t4g", BURSTABLE),
  ...sizes("db.m6g", GRAVITON),
  ...sizes("db.m7g", GRAVITON),
  ...sizes("db.m6i", INTEL),
  ...sizes("db.m7i", INTEL_7),
  ...sizes("db.r6g", GRAVITON),
  ...sizes("db.r7g", GRAVITON),
  ...sizes("db.r6i", INTEL),
  ...sizes("db.r7i", INTEL_7),
];

/** ElastiCache Redis OSS versions for node-based clusters, in the `major.minor` form. */
export const ELASTICACHE_REDIS_VERSIONS = ["6.0", "6.2", "7.0", "7.1"] as const;
/** ElastiCache Valkey versions for node-based clusters (the cache component runs Redis OSS). */
export const ELASTICACHE_VALKEY_VERSIONS = ["7.2", "8.0", "8.1", "8.2", "9.0", "9.1"] as const;

const CACHE_GRAVITON = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];

/** ElastiCache node types, current generation. */
export const ELASTICACHE_NODE_TYPES: readonly string[] = [
  ...sizes("cache.t3", ["micro", "small", "medium"]),
  ...sizes("cache.t4g", ["micro", "small", "medium"]),
  ...sizes("cache.m5", ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"]),
  ...sizes("cache.m6g", CACHE_GRAVITON),
  ...sizes("cache.m7g", CACHE_GRAVITON),
  ...sizes("cache.r5", ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"]),
  ...sizes("cache.r6g", CACHE_GRAVITON),
  ...sizes("cache.r7g", CACHE_GRAVITON),
];

export const isAwsRegion = (value: string): boolean =>
  (AWS_REGIONS as readonly string[]).includes(value);
export const isPostgresVersion = (value: string): boolean =>
  (POSTGRES_VERSIONS as readonly string[]).includes(value);
export const isPostgresInstanceClass = (value: string): boolean =>
  RDS_POSTGRES_INSTANCE_CLASSES.includes(value);
export const isRedisVersion = (value: string): boolean =>
  (ELASTICACHE_REDIS_VERSIONS as readonly string[]).includes(value);
export const isCacheNodeType = (value: string): boolean => ELASTICACHE_NODE_TYPES.includes(value);

/** Where each rule that rests on AWS behaviour is documented; policies cite these. */
export const AWS_DOCS = {
  postgresVersions:
    "https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html",
  rdsInstanceClasses:
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html",
  createReplicationGroup:
    "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html",
  cacheNodeTypes:
    "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CacheNode.html",
  cacheVersions:
    "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/supported-engine-versions.html",
  acmRegions: "https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html",
  createVpc: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html",
  vpcPeeringOverlap:
    "https://docs.aws.amazon.com/vpc/latest/peering/create-vpc-peering-connection.html",
} as const;
