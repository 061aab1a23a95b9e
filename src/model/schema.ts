import { z } from "zod";
import {
  AWS_PARTITION,
  ELASTICACHE_NODE_TYPES,
  ELASTICACHE_REDIS_VERSIONS,
  POSTGRES_VERSIONS,
  RDS_POSTGRES_INSTANCE_CLASSES,
  isCacheNodeType,
  isPostgresInstanceClass,
  isPostgresVersion,
  isRedisVersion,
} from "./catalogue";
import { environments, CHECKS, type StackName } from "./environments";
import { duplicates, splitReviewers } from "./github-rules";
import { reachesInternet } from "./internet";
import { hasHostBits, networkOf, parseIpv4Block } from "./ipv4";

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

/** Fargate task sizes: memory (MiB) allowed for each cpu unit value. */
export const FARGATE_MEMORY: Readonly<Record<number, readonly [number, number]>> = {
  256: [512, 2048],
  512: [1024, 4096],
  1024: [2048, 8192],
  2048: [4096, 16384],
  4096: [8192, 30720],
  8192: [16384, 61440],
  16384: [32768, 122880],
};

export const ACCESS_LEVELS = ["none", "read-only", "deploy", "admin"] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];
export const TEAM_ROLES = [
  "developer",
  "qa",
  "devops",
  "releaseManager",
  "productManager",
] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

/**
 * The longest session a team role's access role allows, and the longest an MFA sign-in stays
 * good for assuming it, seconds. Read by the access component and the pack.
 */
export const MAX_ACCESS_SESSION_SECONDS = 3600;

export const GITHUB_PLANS = ["free", "pro", "team", "enterprise"] as const;
export type GithubPlan = (typeof GITHUB_PLANS)[number];

const octet = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4_CIDR = new RegExp(`^${octet}(\\.${octet}){3}/(3[0-2]|[12]?\\d)$`);
/** `<registry>/<repository>@sha256:<64 hex>` */
export const DIGEST_IMAGE = /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$/;
const TAGGED_IMAGE =
  /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]{1,128})?(@sha256:[a-f0-9]{64})?$/;

/** `arn:<partition>:acm:<region>:<account>:certificate/<id>`; groups: partition, region. */
export const ACM_CERTIFICATE_ARN =
  /^arn:(aws[a-z-]*):acm:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:certificate\/[A-Za-z0-9-]+$/;

export function isDigestPinned(image: string): boolean {
  return DIGEST_IMAGE.test(image);
}

/** The digest of a pinned image reference (`sha256:...`), or undefined. */
export function imageDigest(image: string): string | undefined {
  const at = image.lastIndexOf("@");
  return at >= 0 && isDigestPinned(image) ? image.slice(at + 1) : undefined;
}

const cidr = z
  .string()
  .regex(IPV4_CIDR, { error: "an IPv4 CIDR block such as 10.30.0.0/16", abort: true });
const int = (min: number, max: number, error = `a whole number from ${min} to ${max}`) =>
  z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
const version = z
  .string()
  .regex(/^\d+\.\d+$/, { error: 'a "major.minor" version string such as "16.13"', abort: true });

/** The families of a list of `<prefix>.<family>.<size>` names, for messages. */
function families(names: readonly string[]): string {
  return [...new Set(names.map((n) => n.split(".").slice(0, 2).join(".")))].join(", ");
}
const accessLevel = z.enum(ACCESS_LEVELS, { error: `one of ${ACCESS_LEVELS.join(", ")}` });
const image = z.string().regex(TAGGED_IMAGE, {
  error: "an image reference <registry>/<repository>@sha256:<64 hex digits>",
});

export const networkSchema = z.strictObject({
  cidr: cidr
    .refine((v) => Number(v.split("/")[1]) >= 16 && Number(v.split("/")[1]) <= 20, {
      error: "a CIDR block from /16 to /20 (room for three subnet tiers per AZ)",
    })
    // The AWS provider refuses a VPC block with host bits set at plan time
    // (terraform-provider-aws internal/verify/validate.go, ValidateIPv4CIDRBlock).
    .refine((v) => !hasHostBits(parseIpv4Block(v)!), {
      error: (issue) =>
        `a network address without host bits set (did you mean ${networkOf(parseIpv4Block(String(issue.input))!)}?)`,
    }),
  availabilityZones: int(1, 6),
  natGateways: z.enum(["one-per-az", "single"], { error: "one-per-az or single" }),
});

export const databaseSchema = z.strictObject({
  engine: z.literal("postgres", { error: "postgres" }),
  // RDS refuses to create an instance on a deprecated minor version: see src/model/catalogue.ts.
  engineVersion: version.refine(isPostgresVersion, {
    error: `a PostgreSQL version RDS can create today: ${POSTGRES_VERSIONS.join(", ")}`,
  }),
  instanceClass: z
    .string()
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, {
      error: "an RDS instance class such as db.r6g.large",
      abort: true,
    })
    .refine(isPostgresInstanceClass, {
      error: `an RDS for PostgreSQL instance class of the families ${families(RDS_POSTGRES_INSTANCE_CLASSES)}, such as db.r6g.large`,
    }),
  multiAz: z.boolean({ error: "true or false" }),
  storageGb: int(20, 65536),
  backupRetentionDays: int(0, 35),
  deletionProtection: z.boolean({ error: "true or false" }),
  readReplicas: int(0, 5),
  accessCidrs: z.array(
    cidr.refine((block) => !reachesInternet(block), {
      error:
        "a private IPv4 CIDR block (inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10): the database is never reachable from the internet",
    }),
    { error: "a list of IPv4 CIDR blocks" },
  ),
});

export const cacheSchema = z.strictObject({
  engineVersion: version.refine(isRedisVersion, {
    error: `a Redis OSS version ElastiCache supports: ${ELASTICACHE_REDIS_VERSIONS.join(", ")}`,
  }),
  nodeType: z
    .string()
    .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, {
      error: "an ElastiCache node type such as cache.r7g.large",
      abort: true,
    })
    .refine(isCacheNodeType, {
      error: `an ElastiCache node type of the families ${families(ELASTICACHE_NODE_TYPES)}, such as cache.r7g.large`,
    }),
  shards: int(1, 90),
  replicasPerShard: int(0, 5),
});

/**
 * How ECS rolls a new revision out. `blue-green`, `canary` and `linear` are ECS's own strategies
 * behind the load balancer (a second target group, traffic shifted by ECS, rolled back on
 * alarm); `rolling` replaces tasks in place, for a worker
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html).
 */
export const ROLLOUT_STRATEGIES = ["blue-green", "canary", "linear", "rolling"] as const;
export type RolloutStrategy = (typeof ROLLOUT_STRATEGIES)[number];
/** The strategies that shift traffic between two target groups (they need a port). */
export const TRAFFIC_SHIFTING: readonly RolloutStrategy[] = ["blue-green", "canary", "linear"];

/**
 * ECS takes bake times of 0 to 1440 minutes, and shares in multiples of 0.1: a canary's from 0.1,
 * a linear step's from 3.0, to 100
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LinearConfiguration.html).
 */
const minutes = int(0, 1440);
const percent = (min: number, error: string) =>
  z
    .number({ error })
    .min(min, { error })
    .max(100, { error })
    .refine((v) => Math.abs(v * 10 - Math.round(v * 10)) < 1e-9, { error });

export const deploymentSchema = z.strictObject({
  strategy: z.enum(ROLLOUT_STRATEGIES, { error: ROLLOUT_STRATEGIES.join(", ") }),
  /**
   * Minutes the new revision takes all traffic while the old one still runs, rolled back when a
   * rollback alarm fires (ECS bakeTimeInMinutes). Not with rolling.
   */
  bakeMinutes: minutes.optional(),
  /** canary: the share of production traffic the new revision takes first (ECS: 0.1 to 100). */
  canaryPercent: percent(0.1, "a percentage from 0.1 to 100 in steps of 0.1").optional(),
  /** canary: minutes at canaryPercent before the rest shifts. */
  canaryBakeMinutes: minutes.optional(),
  /** linear: the share shifted at each step (ECS: 3 to 100). */
  stepPercent: percent(3, "a percentage from 3 to 100 in steps of 0.1").optional(),
  /** linear: minutes between steps. */
  stepBakeMinutes: minutes.optional(),
  /**
   * linear: traffic shares at which the rollout hook holds the shift for holdMinutes, each a
   * multiple of stepPercent below 100, ascending (a ladder such as 5, 25, 50 on 5% steps).
   */
  holds: z
    .array(int(1, 99), { error: "a list of whole percentages below 100" })
    .max(10, { error: "at most 10 holds" })
    .optional(),
  /** linear with holds: minutes each hold lasts. */
  holdMinutes: int(1, 1440).optional(),
});

/**
 * A service name: a DNS label of at most 12 characters, so that every AWS name derived from it
 * fits. The tightest is the target group name, `<app>-<stack>-<service>-<colour>` within 32
 * characters, letters, digits and hyphens, not starting or ending with a hyphen
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html);
 * src/aws/naming.ts physicalName shortens the app part, never the service, so 12 leaves the app
 * at least 7 characters in stage. The others are roomier: ECS service names and task definition
 * families take 255 letters, digits, hyphens and underscores
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html),
 * container names 255 of the same (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html),
 * log group names 512 (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html).
 */
export const SERVICE_NAME = /^[a-z](?:[a-z0-9-]{0,10}[a-z0-9])?$/;
export const MAX_SERVICE_NAME_LENGTH = 12;
/** Container names the tasks use besides the service's own: a service may not take them. */
export const RESERVED_CONTAINER_NAMES = ["xray-daemon"] as const;

/**
 * Listener rule limits (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html):
 * up to three values per condition and five per rule, priorities 1 to 50000, path patterns and
 * host names of at most 128 characters from a fixed alphabet, with `*` and `?` wildcards; a host
 * name has a "." and only letters after the last one.
 */
export const MAX_VALUES_PER_CONDITION = 3;
export const MAX_VALUES_PER_RULE = 5;
const PATH_PATTERN = /^\/[A-Za-z0-9_\-.$/~"'@:+&*?]{0,127}$/;
const HOST_PATTERN = /^[A-Za-z0-9_\-.*?]{0,126}\.[A-Za-z*?]+$/;

export const portSchema = z.strictObject({
  containerPort: int(1, 65535),
  healthCheckPath: z.string().regex(/^\/[\x21-\x7e]*$/, { error: "a path starting with /" }),
});

/**
 * Listener rule priorities (1 to 50000, lowest matched first, unique per listener:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html).
 * Each web service's test rule (test traffic, matched by header, ahead of every production rule)
 * takes one of 1 to 99, the services' production rules 100 to 49999, and the default service's
 * catch-all production rule (`/*`) 50000.
 */
export const TEST_RULE_PRIORITIES = { first: 1, last: 99 } as const;
export const ROUTED_RULE_PRIORITIES = { first: 100, last: 49999 } as const;
export const DEFAULT_RULE_PRIORITY = 50000;
const PRIORITY_PHRASE = `a rule priority from ${ROUTED_RULE_PRIORITIES.first} to ${ROUTED_RULE_PRIORITIES.last} (${TEST_RULE_PRIORITIES.first} to ${TEST_RULE_PRIORITIES.last} hold the services' test rules, ${DEFAULT_RULE_PRIORITY} the default service's)`;

export const routingSchema = z.strictObject({
  /** The service the listener's default action sends what no rule matches to. */
  default: z.boolean({ error: "true or false" }).optional(),
  /** Rule priority: lower is evaluated first, unique per listener. */
  priority: int(
    ROUTED_RULE_PRIORITIES.first,
    ROUTED_RULE_PRIORITIES.last,
    PRIORITY_PHRASE,
  ).optional(),
  paths: z
    .array(
      z
        .string()
        .max(128, { error: "a path pattern of at most 128 characters" })
        .regex(PATH_PATTERN, {
          error:
            "a path pattern such as /api/* (letters, digits, _-.$/~\"'@:+& and the wildcards * ?)",
        }),
      { error: "a list of path patterns" },
    )
    .max(MAX_VALUES_PER_CONDITION, {
      error: `at most ${MAX_VALUES_PER_CONDITION} path patterns (an ALB condition's limit)`,
    })
    .optional(),
  hosts: z
    .array(
      z.string().max(128, { error: "a host name of at most 128 characters" }).regex(HOST_PATTERN, {
        error: "a host name such as api.example.com (letters, digits, -_. and the wildcards * ?)",
      }),
      { error: "a list of host names" },
    )
    .max(MAX_VALUES_PER_CONDITION, {
      error: `at most ${MAX_VALUES_PER_CONDITION} host names (an ALB condition's limit)`,
    })
    .optional(),
});

/** `MIGRATION_VERSION`: the schema version a migration brings the database to. */
export const MIGRATION_VERSION = /^[A-Za-z0-9._-]{1,64}$/;
/** Minutes a migration may run when `timeoutMinutes` is unset. */
export const DEFAULT_MIGRATION_TIMEOUT_MINUTES = 30;
/**
 * RunTask takes at most 8192 characters of overrides, JSON formatting included
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html, `overrides`): the
 * command keeps well within it, leaving room for the container's name and MIGRATION_VERSION.
 */
export const MAX_MIGRATION_COMMAND_CHARS = 4096;

/**
 * A service's database migration: a one-off ECS task of the revision being deployed, run with
 * `command` and `MIGRATION_VERSION` before the revision starts (the rollout hook at PRE_SCALE_UP).
 */
export const migrationsSchema = z.strictObject({
  /** The container's command for the migration, one argument per item. No default. */
  command: z
    .array(z.string().min(1, { error: "a non-empty argument" }), {
      error: 'a list of command arguments such as ["./migrate", "up"]',
    })
    .min(1, { error: "at least one argument (the migration tool)" })
    .refine((c) => JSON.stringify(c).length <= MAX_MIGRATION_COMMAND_CHARS, {
      error: `a command of at most ${MAX_MIGRATION_COMMAND_CHARS} characters as JSON (RunTask's overrides hold 8192)`,
    }),
  /** The schema version the migration brings the database to, passed as MIGRATION_VERSION. */
  version: z
    .string({ error: 'a version string such as "2024.06.1" or "42"' })
    .regex(MIGRATION_VERSION, {
      error: 'a version of 1 to 64 letters, digits, ".", "_" and "-", such as "2024.06.1" or "42"',
    }),
  /** Minutes the migration may run before it is stopped and the deployment rolled back. */
  timeoutMinutes: int(1, 1440).optional(),
});

export const serviceSchema = z.strictObject({
  image,
  cpu: z.union(
    Object.keys(FARGATE_MEMORY).map((c) => z.literal(Number(c))),
    { error: `a Fargate cpu value: ${Object.keys(FARGATE_MEMORY).join(", ")}` },
  ),
  memoryMb: int(512, 122880),
  desiredCount: int(1, 100),
  /** The port behind the load balancer; unset for a worker, which takes no traffic. */
  port: portSchema.optional(),
  /** Which requests reach the service; only with a port. */
  routing: routingSchema.optional(),
  deployment: deploymentSchema,
  /** The database migration run before each rollout; only with blue-green, canary or linear. */
  migrations: migrationsSchema.optional(),
});

export const servicesSchema = z
  .record(
    z.string().regex(SERVICE_NAME, {
      error: `a service name of 1 to ${MAX_SERVICE_NAME_LENGTH} lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
    }),
    serviceSchema,
    { error: "a map of service names to services" },
  )
  .refine((s) => Object.keys(s).length > 0, { error: "at least one service" });

export const loadBalancerSchema = z.strictObject({
  certificateArn: z.string().regex(ACM_CERTIFICATE_ARN, {
    error:
      "an ACM certificate ARN arn:<partition>:acm:<region>:<12-digit account>:certificate/<id>",
  }),
});

export const observabilitySchema = z.strictObject({
  logRetentionDays: z.union(
    LOG_RETENTION_DAYS.map((d) => z.literal(d)),
    { error: `a CloudWatch retention period: ${LOG_RETENTION_DAYS.join(", ")}` },
  ),
  latencyP99Ms: int(1, 60000),
  errorRatePercent: z
    .number({ error: "a percentage above 0 and at most 100" })
    .gt(0, { error: "a percentage above 0 and at most 100" })
    .max(100, { error: "a percentage above 0 and at most 100" }),
  tracing: z.boolean({ error: "true or false" }),
  /** The X-Ray daemon sidecar's image; needed while tracing, pinned by digest in stage and prod. */
  xrayDaemonImage: image.optional(),
  alarmEmail: z.email({ error: "an email address" }),
});

export const featureFlagsSchema = z.record(
  z.string().regex(/^[a-z][A-Za-z0-9]{0,63}$/, { error: "a camelCase flag name" }),
  z.union([z.boolean(), z.string(), z.number()], { error: "a boolean, string or number" }),
  { error: "a map of flag names to values" },
);

export const accessSchema = z.strictObject(
  Object.fromEntries(TEAM_ROLES.map((r) => [r, accessLevel])) as Record<
    TeamRole,
    typeof accessLevel
  >,
);

const slug = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { error: "a GitHub name (letters, digits, . _ -)" });
/** A deployment reviewer: a team slug, or a user login written `@login`. */
const reviewer = z
  .string()
  .regex(/^@?[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { error: "a team slug or @user login" });

export const githubSchema = z.strictObject({
  owner: slug,
  repository: slug,
  plan: z.enum(GITHUB_PLANS, { error: `one of ${GITHUB_PLANS.join(", ")}` }),
  visibility: z.enum(["public", "private", "internal"], { error: "public, private or internal" }),
  requiredApprovals: int(0, 10),
  requiredChecks: z.array(z.string().min(1, { error: "a non-empty check name" }), {
    error: "a list of status check names",
  }),
  deploymentReviewers: z.array(reviewer, { error: "a list of team slugs or @user logins" }).max(6, {
    error: "at most 6 reviewers (GitHub's limit)",
  }),
  waitTimerMinutes: int(0, 43200),
  /** Teams that may bypass the pull-request rule only (never the other rules). */
  pullRequestBypassTeams: z.array(slug, { error: "a list of team slugs" }),
  /**
   * Who owns every file of the repository (team slugs or `@user` logins), written to
   * `.github/CODEOWNERS` by `envstack codeowners`. Required where the branch needs a code
   * owner's review: with no owner, GitHub's rule has nobody to ask and requires nothing.
   */
  codeOwners: z.array(reviewer, { error: "a list of team slugs or @user logins" }),
  /** Whether this stack creates the account's GitHub OIDC provider or looks up an existing one. */
  oidcProvider: z.enum(["create", "existing"], { error: "create or existing" }),
  /** S3 bucket of a self-managed Pulumi backend the CI deploy role may use; unset with Pulumi Cloud. */
  stateBucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "an S3 bucket name" })
    .optional(),
  /** KMS key of the stack's awskms secrets provider the CI deploy role may use; unset otherwise. */
  secretsKeyArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/, {
      error: "a KMS key or alias ARN",
    })
    .optional(),
});

/** The `envstack:*` keys of a stack's config, after defaults. */
export const configSchema = z.strictObject({
  app: z.string().regex(/^[a-z][a-z0-9-]{1,23}$/, {
    error: "an app name matching [a-z][a-z0-9-]{1,23}",
  }),
  /**
   * The AWS account this environment deploys into. Unset: the account of the credentials running
   * the stack (the shared-account layout). Set: the stack's provider refuses any other account,
   * and the guards stack publishes this environment's deploy role in it.
   */
  accountId: z
    .string()
    .regex(/^\d{12}$/, { error: "a 12-digit AWS account id (quoted in YAML)" })
    .optional(),
  network: networkSchema,
  database: databaseSchema,
  cache: cacheSchema,
  /** The one load balancer of the environment; needed when a service has a port. */
  loadBalancer: loadBalancerSchema.optional(),
  services: servicesSchema,
  observability: observabilitySchema,
  featureFlags: featureFlagsSchema,
  access: accessSchema,
  github: githubSchema,
});

export type EnvstackConfig = z.infer<typeof configSchema>;
export type NetworkConfig = EnvstackConfig["network"];
export type DatabaseConfig = EnvstackConfig["database"];
export type CacheConfig = EnvstackConfig["cache"];
export type ServiceConfig = EnvstackConfig["services"][string];
export type DeploymentConfig = ServiceConfig["deployment"];
export type RoutingConfig = NonNullable<ServiceConfig["routing"]>;
export type PortConfig = NonNullable<ServiceConfig["port"]>;
export type MigrationsConfig = NonNullable<ServiceConfig["migrations"]>;
export type ObservabilityConfig = EnvstackConfig["observability"];
export type AccessConfig = EnvstackConfig["access"];
export type GithubConfig = EnvstackConfig["github"];

/** A deeply partial config: what an operator writes before defaults apply. */
type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * Per-environment defaults: what a key means when the stack file leaves it out. Development
 * environments are sized down; production-like and production environments share one
 * production-sized default, so that omitting a key keeps them in parity.
 */
export function defaultsFor(stack: StackName): DeepPartial<EnvstackConfig> {
  const small = environments().role(stack) === "development";
  return {
    network: { availabilityZones: small ? 2 : 3, natGateways: small ? "single" : "one-per-az" },
    database: {
      engine: "postgres",
      engineVersion: "16.13",
      instanceClass: small ? "db.t4g.medium" : "db.r6g.large",
      multiAz: !small,
      storageGb: small ? 20 : 100,
      backupRetentionDays: small ? 1 : 14,
      deletionProtection: !small,
      readReplicas: small ? 0 : 1,
      accessCidrs: [],
    },
    cache: {
      engineVersion: "7.1",
      nodeType: small ? "cache.t4g.small" : "cache.r7g.large",
      shards: small ? 1 : 2,
      replicasPerShard: small ? 0 : 1,
    },
    observability: {
      logRetentionDays: small ? 30 : 365,
      latencyP99Ms: small ? 500 : 100,
      errorRatePercent: small ? 5 : 1,
      tracing: !small,
    },
    featureFlags: {},
    access: {
      developer: small ? "deploy" : "read-only",
      qa: "read-only",
      devops: "admin",
      releaseManager: "deploy",
      productManager: "read-only",
    },
    github: {
      plan: "team",
      visibility: "private",
      requiredApprovals: environments().get(stack).merge.minApprovals,
      requiredChecks: [...environments().get(stack).merge.requiredChecks],
      deploymentReviewers: [],
      waitTimerMinutes: 0,
      pullRequestBypassTeams: [],
      codeOwners: [],
      oidcProvider: environments().holdsGuards(stack) ? "create" : "existing",
    },
  };
}

/**
 * What a service's keys mean when its entry leaves them out. Stage and prod share one
 * production-sized default, as for the other keys.
 */
export function serviceDefaultsFor(stack: StackName): DeepPartial<ServiceConfig> {
  const small = environments().role(stack) === "development";
  return {
    cpu: small ? 256 : 1024,
    memoryMb: small ? 512 : 2048,
    desiredCount: small ? 1 : 3,
    deployment: webDeploymentDefault(stack),
  };
}

/**
 * A web service's rollout when its entry names none: blue-green, baked 10 minutes in stage and
 * prod (none in development). A worker's is `{ strategy: rolling }`. A `deployment` given in the
 * stack file is taken whole: its keys are not merged with these.
 */
export function webDeploymentDefault(stack: StackName): DeploymentConfig {
  return {
    strategy: "blue-green",
    bakeMinutes: environments().role(stack) === "development" ? 0 : 10,
  };
}
export const WORKER_DEPLOYMENT_DEFAULT: DeploymentConfig = { strategy: "rolling" };

/** A rule that depends on the stack or on several keys at once. */
export interface CrossKeyIssue {
  readonly path: readonly (string | number)[];
  readonly expected: string;
  readonly found: unknown;
}

/** Rules spanning keys or depending on the stack; run only once each key is well-formed. */
export function crossKeyIssues(stack: StackName, config: EnvstackConfig): CrossKeyIssue[] {
  const issues: CrossKeyIssue[] = [];
  const add = (path: (string | number)[], expected: string, found: unknown) =>
    issues.push({ path, expected, found });
  const { database, network, access, github, observability } = config;

  if (environments().isProductionLike(stack)) {
    if (access.developer === "deploy" || access.developer === "admin") {
      add(
        ["access", "developer"],
        `none or read-only (developers never get write in ${stack})`,
        access.developer,
      );
    }
  }
  issues.push(...serviceIssues(stack, config));
  if (observability.tracing && observability.xrayDaemonImage === undefined) {
    add(
      ["observability", "xrayDaemonImage"],
      "the X-Ray daemon image the tasks run beside the app while tracing is true",
      undefined,
    );
  } else if (
    environments().isProductionLike(stack) &&
    observability.xrayDaemonImage !== undefined &&
    !isDigestPinned(observability.xrayDaemonImage)
  ) {
    add(
      ["observability", "xrayDaemonImage"],
      `an image pinned by digest in ${stack}`,
      observability.xrayDaemonImage,
    );
  }
  if (database.readReplicas > 0 && database.backupRetentionDays < 1) {
    add(
      ["database", "backupRetentionDays"],
      "at least 1 while readReplicas is above 0 (RDS replicas need automated backups)",
      database.backupRetentionDays,
    );
  }
  if (network.natGateways === "one-per-az" && network.availabilityZones < 2) {
    // Not wrong, but the operator almost certainly meant "single"; say so rather than guess.
    add(["network", "natGateways"], "single when availabilityZones is 1", network.natGateways);
  }
  const floor = environments().get(stack).merge.minApprovals;
  if (github.requiredApprovals < floor) {
    add(
      ["github", "requiredApprovals"],
      `at least ${floor} in ${stack} (the promotion model)`,
      github.requiredApprovals,
    );
  }
  for (const check of environments().get(stack).merge.requiredChecks) {
    if (!github.requiredChecks.includes(check)) {
      add(["github", "requiredChecks"], `a list that includes "${check}"`, github.requiredChecks);
    }
  }
  // GitHub rejects a ruleset or an environment naming the same check, team or user twice.
  if (environments().get(stack).merge.codeOwnerReview && github.codeOwners.length === 0) {
    add(
      ["github", "codeOwners"],
      `at least one team or @user: ${stack}'s branches require a code owner's review, and with no code owner that rule requires nothing`,
      github.codeOwners,
    );
  }
  for (const key of [
    "requiredChecks",
    "deploymentReviewers",
    "pullRequestBypassTeams",
    "codeOwners",
  ] as const) {
    const dup = duplicates(github[key]);
    if (dup.length > 0) {
      add(
        ["github", key],
        `a list without duplicates (${dup.map((d) => JSON.stringify(d)).join(", ")} repeated)`,
        github[key],
      );
    }
  }
  const deploy = environments().get(stack).deploy;
  if (deploy.humanApproval) {
    const distinct = new Set(github.deploymentReviewers.map((r) => r.toLowerCase()));
    if (distinct.size === 0) {
      add(
        ["github", "deploymentReviewers"],
        `at least one reviewer: ${stack} deploys need a human approval`,
        github.deploymentReviewers,
      );
    } else if (deploy.preventSelfReview && !deploy.adminBypass && distinct.size < 2) {
      add(
        ["github", "deploymentReviewers"],
        `at least two distinct reviewers: with self-review prevented and no admin bypass, a lone reviewer can never approve their own ${stack} deployment`,
        github.deploymentReviewers,
      );
    }
  }
  issues.push(...planIssues(stack, github));
  return issues;
}

/** The services that take traffic through the load balancer (those with a port). */
export function webServices(config: Pick<EnvstackConfig, "services">): string[] {
  return Object.entries(config.services)
    .filter(([, s]) => s.port !== undefined)
    .map(([name]) => name);
}

/** The service the listener's default action serves, if any. */
export function defaultService(config: Pick<EnvstackConfig, "services">): string | undefined {
  return Object.entries(config.services).find(
    ([, s]) => s.port !== undefined && s.routing?.default === true,
  )?.[0];
}

/** The keys each strategy takes; the others must be left out. */
const STRATEGY_KEYS: Readonly<Record<RolloutStrategy, readonly (keyof DeploymentConfig)[]>> = {
  "blue-green": ["bakeMinutes"],
  canary: ["bakeMinutes", "canaryPercent", "canaryBakeMinutes"],
  linear: ["bakeMinutes", "stepPercent", "stepBakeMinutes", "holds", "holdMinutes"],
  rolling: [],
};
const OPTIONAL_KEYS: readonly (keyof DeploymentConfig)[] = ["holds", "holdMinutes"];

/** One service's rollout: the keys its strategy takes, a port for traffic shifting, the ladder. */
function rolloutIssues(
  service: ServiceConfig,
  at: (...rest: string[]) => (string | number)[],
): CrossKeyIssue[] {
  const issues: CrossKeyIssue[] = [];
  const deployment = service.deployment;
  const { strategy } = deployment;
  const takes = STRATEGY_KEYS[strategy];
  for (const key of ALL_ROLLOUT_KEYS) {
    const value = deployment[key];
    if (takes.includes(key)) {
      if (value === undefined && !OPTIONAL_KEYS.includes(key)) {
        issues.push({
          path: at("deployment", key),
          expected: `${key} with strategy ${strategy} (${takes.join(", ")})`,
          found: undefined,
        });
      }
    } else if (value !== undefined) {
      issues.push({
        path: at("deployment", key),
        expected:
          takes.length === 0
            ? `no ${key} with strategy ${strategy} (it shifts no traffic and bakes nothing)`
            : `no ${key} with strategy ${strategy}: it takes ${takes.join(", ")}`,
        found: value,
      });
    }
  }
  if (service.port === undefined && TRAFFIC_SHIFTING.includes(strategy)) {
    issues.push({
      path: at("deployment", "strategy"),
      expected: `rolling for a service without a port (${strategy} shifts load balancer traffic between two target groups; a worker takes none)`,
      found: strategy,
    });
  }
  if (service.migrations !== undefined && !TRAFFIC_SHIFTING.includes(strategy)) {
    // ECS runs lifecycle hooks in BLUE_GREEN, CANARY and LINEAR deployments only
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html,
    // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html).
    issues.push({
      path: at("migrations"),
      expected: `no migrations with strategy ${strategy}: migrations run from the rollout hook at PRE_SCALE_UP, and ECS runs lifecycle hooks only in blue-green, canary and linear deployments (give the service a port and one of those strategies)`,
      found: service.migrations,
    });
  }
  const holds = deployment.holds;
  if (strategy === "linear" && holds !== undefined) {
    const step = deployment.stepPercent;
    const ascending = holds.every((h, i) => i === 0 || h > holds[i - 1]!);
    const onSteps = step === undefined || holds.every((h) => isMultiple(h, step));
    if (holds.length === 0 || !ascending || !onSteps) {
      issues.push({
        path: at("deployment", "holds"),
        expected: `traffic shares the linear steps reach, ascending: multiples of stepPercent ${step ?? "(unset)"} below 100, such as 5, 25, 50 on 5% steps`,
        found: holds,
      });
    }
    if (deployment.holdMinutes === undefined) {
      issues.push({
        path: at("deployment", "holdMinutes"),
        expected: "the minutes each hold lasts (holds are set)",
        found: undefined,
      });
    }
  } else if (strategy === "linear" && deployment.holdMinutes !== undefined) {
    issues.push({
      path: at("deployment", "holdMinutes"),
      expected: "no holdMinutes without holds",
      found: deployment.holdMinutes,
    });
  }
  return issues;
}

const ALL_ROLLOUT_KEYS: readonly (keyof DeploymentConfig)[] = [
  "bakeMinutes",
  "canaryPercent",
  "canaryBakeMinutes",
  "stepPercent",
  "stepBakeMinutes",
  "holds",
  "holdMinutes",
];

/** Whether `value` is a whole multiple of `step` (percentages with one decimal at most). */
function isMultiple(value: number, step: number): boolean {
  const ratio = value / step;
  return Math.abs(ratio - Math.round(ratio)) < 1e-9;
}

/**
 * Each service on its own (images, sizes, rollout knobs, routing) and the services together
 * (one default service, distinct rule priorities, the load balancer's presence).
 */
function serviceIssues(stack: StackName, config: EnvstackConfig): CrossKeyIssue[] {
  const issues: CrossKeyIssue[] = [];
  const add = (path: (string | number)[], expected: string, found: unknown) =>
    issues.push({ path, expected, found });
  const priorities = new Map<number, string>();
  for (const [name, service] of Object.entries(config.services)) {
    const at = (...rest: string[]) => ["services", name, ...rest];
    if ((RESERVED_CONTAINER_NAMES as readonly string[]).includes(name)) {
      add(
        ["services", name],
        `a service name other than ${RESERVED_CONTAINER_NAMES.join(", ")} (the tasks' sidecar container is named so)`,
        name,
      );
    }
    if (environments().isProductionLike(stack)) {
      if (!isDigestPinned(service.image)) {
        add(
          at("image"),
          `an image pinned by digest (<registry>/<repository>@sha256:<64 hex>) in ${stack}`,
          service.image,
        );
      }
    }
    const [minMemory, maxMemory] = FARGATE_MEMORY[service.cpu] ?? [0, 0];
    if (service.memoryMb < minMemory || service.memoryMb > maxMemory) {
      add(
        at("memoryMb"),
        `a memory size from ${minMemory} to ${maxMemory} MiB for cpu ${service.cpu}`,
        service.memoryMb,
      );
    }
    issues.push(...rolloutIssues(service, at));
    const routing = service.routing;
    if (service.port === undefined) {
      if (routing !== undefined) {
        add(
          at("routing"),
          "no routing for a service without a port (a worker takes no traffic; add port to put it behind the load balancer)",
          routing,
        );
      }
      continue;
    }
    if (routing === undefined) {
      add(
        at("routing"),
        "a routing for a service with a port: { default: true } for the service that takes what no rule matches, or { priority, paths and/or hosts }",
        undefined,
      );
      continue;
    }
    const paths = routing.paths ?? [];
    const hosts = routing.hosts ?? [];
    if (routing.default === true) {
      if (routing.priority !== undefined || paths.length > 0 || hosts.length > 0) {
        add(
          at("routing"),
          "{ default: true } alone: the default service takes what no rule matches, so it has no priority, paths or hosts",
          routing,
        );
      }
      continue;
    }
    if (paths.length === 0 && hosts.length === 0) {
      add(
        at("routing"),
        "paths and/or hosts the listener rule matches (or default: true for the default service)",
        routing,
      );
    } else if (paths.length + hosts.length > MAX_VALUES_PER_RULE) {
      add(
        at("routing"),
        `at most ${MAX_VALUES_PER_RULE} paths and hosts together (an ALB listener rule's limit)`,
        routing,
      );
    }
    if (routing.priority === undefined) {
      add(
        at("routing", "priority"),
        `${PRIORITY_PHRASE}, unique among the services (lower is matched first)`,
        undefined,
      );
    } else {
      const taken = priorities.get(routing.priority);
      if (taken !== undefined) {
        add(
          at("routing", "priority"),
          `a priority no other service uses (services.${taken} has ${routing.priority})`,
          routing.priority,
        );
      } else priorities.set(routing.priority, name);
    }
  }
  const web = webServices(config);
  const defaults = web.filter((n) => config.services[n]!.routing?.default === true);
  // A web service without routing is reported on its own; counting defaults would repeat it.
  const routed = web.every((n) => config.services[n]!.routing !== undefined);
  if (web.length > 0 && routed && defaults.length !== 1) {
    add(
      ["services"],
      defaults.length === 0
        ? `exactly one service with routing { default: true } (the listener's default action; found none among ${web.join(", ")})`
        : `exactly one service with routing { default: true } (found ${defaults.join(", ")})`,
      config.services,
    );
  }
  if (web.length > 0 && config.loadBalancer === undefined) {
    add(
      ["loadBalancer", "certificateArn"],
      `the ACM certificate of the HTTPS listener: services ${web.join(", ")} have a port`,
      undefined,
    );
  } else if (web.length === 0 && config.loadBalancer !== undefined) {
    add(
      ["loadBalancer"],
      "no load balancer: every service is a worker (remove envstack:loadBalancer, or give a service a port)",
      config.loadBalancer,
    );
  }
  return issues;
}

/**
 * Rules tying a key to the stack's `aws:region`. An ALB listener takes certificates from ACM in
 * its own region only ("Certificates in ACM are regional resources",
 * https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html).
 */
export function regionIssues(region: string, config: EnvstackConfig): CrossKeyIssue[] {
  const certificateArn = config.loadBalancer?.certificateArn;
  const arn = certificateArn === undefined ? null : ACM_CERTIFICATE_ARN.exec(certificateArn);
  if (!arn) return [];
  const [, partition, certificateRegion] = arn;
  if (partition !== AWS_PARTITION) {
    return [
      {
        path: ["loadBalancer", "certificateArn"],
        expected: `a certificate ARN of the ${AWS_PARTITION} partition (arn:${AWS_PARTITION}:acm:...): ${region} is a commercial region`,
        found: certificateArn,
      },
    ];
  }
  if (certificateRegion !== region) {
    return [
      {
        path: ["loadBalancer", "certificateArn"],
        expected: `a certificate in ${region}, the stack's aws:region (an ALB uses ACM certificates of its own region only)`,
        found: certificateArn,
      },
    ];
  }
  return [];
}

/**
 * What the repository's plan and visibility cannot enforce, so that a protection is refused
 * rather than silently missing. GitHub's plans:
 * - internal repositories exist only on Enterprise;
 * - rulesets (and with them code-owner review, required deployments), environments and
 *   deployment branch policies on private/internal repositories need Pro, Team or Enterprise;
 * - required reviewers (with self-review prevention) and wait timers on private/internal
 *   repositories need Enterprise;
 * - Pro is a personal-account plan: a personal account has no teams to review or bypass.
 */
export function planIssues(stack: StackName, github: GithubConfig): CrossKeyIssue[] {
  const issues: CrossKeyIssue[] = [];
  if (github.visibility === "internal" && github.plan !== "enterprise") {
    issues.push({
      path: ["github", "visibility"],
      expected: "public or private (internal repositories exist only on GitHub Enterprise)",
      found: github.visibility,
    });
    return issues;
  }
  if (github.plan === "pro") {
    const teams = splitReviewers(github.deploymentReviewers).teams;
    if (teams.length > 0) {
      issues.push({
        path: ["github", "deploymentReviewers"],
        expected: `@user logins only: plan pro is a personal account, which has no teams (found team ${teams.map((t) => JSON.stringify(t)).join(", ")}; use plan team or enterprise for an organization)`,
        found: github.deploymentReviewers,
      });
    }
    if (github.pullRequestBypassTeams.length > 0) {
      issues.push({
        path: ["github", "pullRequestBypassTeams"],
        expected:
          "an empty list: plan pro is a personal account, which has no teams (use plan team or enterprise for an organization)",
        found: github.pullRequestBypassTeams,
      });
    }
  }
  if (github.visibility === "public") return issues;
  if (github.plan === "free") {
    issues.push({
      path: ["github", "plan"],
      expected: `pro, team or enterprise: rulesets (code-owner review, required checks and deployments) and deployment environments on a ${github.visibility} repository need a paid plan (or set github.visibility to public)`,
      found: github.plan,
    });
    return issues;
  }
  if (github.plan !== "enterprise") {
    if (environments().get(stack).deploy.humanApproval) {
      issues.push({
        path: ["github", "plan"],
        expected: `enterprise: required reviewers on the ${stack} environment of a ${github.visibility} repository need GitHub Enterprise (or set github.visibility to public)`,
        found: github.plan,
      });
    } else if (github.deploymentReviewers.length > 0) {
      issues.push({
        path: ["github", "deploymentReviewers"],
        expected: `an empty list, or plan enterprise: required reviewers on a ${github.visibility} repository need GitHub Enterprise`,
        found: github.deploymentReviewers,
      });
    }
    if (github.waitTimerMinutes > 0) {
      issues.push({
        path: ["github", "waitTimerMinutes"],
        expected: `0: wait timers on a ${github.visibility} repository need GitHub Enterprise`,
        found: github.waitTimerMinutes,
      });
    }
  }
  return issues;
}

export { CHECKS };
