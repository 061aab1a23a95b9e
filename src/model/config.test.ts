import { SAMPLE } from "../../test/harness/sample";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { realisticMocks } from "../engine/mocks";
import {
  environments,
  AWS_REGIONS,
  attributesFor,
  ConfigErrors,
  expectedValue,
  loadSpecFromFile,
  mustEqualAttributes,
  parseSpec,
  POSTGRES_VERSIONS,
  readPath,
  toEngineConfig,
} from ".";
import { changed, stackFile, TAGGED_IMAGE } from "../../test/harness/bad-configs";
import { describeFound } from "./errors";

const DIGEST_B = `123456789012.dkr.ecr.${SAMPLE.region}.amazonaws.com/${SAMPLE.repository}@sha256:${"b".repeat(64)}`;
const CERT = `arn:aws:acm:${SAMPLE.region}:123456789012:certificate/2f5b3e40-7c8d-4e9f-a01b-2c3d4e5f6071`;

/** [what is wrong, stack, key path changed, new value (undefined deletes), exact message] */
const BAD: readonly [string, string, string, unknown, string][] = [
  [
    "wrong type: a word for a count",
    "dev",
    "envstack:network.availabilityZones",
    "three",
    'Pulumi.dev.yaml: envstack:network.availabilityZones: expected a whole number from 1 to 6, found string "three"',
  ],
  [
    "out of range: more zones than supported",
    "prod",
    "envstack:network.availabilityZones",
    7,
    "Pulumi.prod.yaml: envstack:network.availabilityZones: expected a whole number from 1 to 6, found number 7",
  ],
  [
    "invalid CIDR: prefix above 32",
    "stage",
    "envstack:network.cidr",
    "10.30.0.0/33",
    'Pulumi.stage.yaml: envstack:network.cidr: expected an IPv4 CIDR block such as 10.30.0.0/16, found string "10.30.0.0/33"',
  ],
  [
    "invalid CIDR: no prefix",
    "prod",
    "envstack:network.cidr",
    "10.30.0.0",
    'Pulumi.prod.yaml: envstack:network.cidr: expected an IPv4 CIDR block such as 10.30.0.0/16, found string "10.30.0.0"',
  ],
  [
    "CIDR too large for the VPC",
    "stage",
    "envstack:network.cidr",
    "10.0.0.0/8",
    'Pulumi.stage.yaml: envstack:network.cidr: expected a CIDR block from /16 to /20 (room for three subnet tiers per AZ), found string "10.0.0.0/8"',
  ],
  [
    "a database reachable from the internet",
    "dev",
    "envstack:database.accessCidrs",
    ["10.0.0.0/8", "0.0.0.0/1"],
    'Pulumi.dev.yaml: envstack:database.accessCidrs[1]: expected a private IPv4 CIDR block (inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10): the database is never reachable from the internet, found string "0.0.0.0/1"',
  ],
  [
    "a database reachable from a public block",
    "prod",
    "envstack:database.accessCidrs",
    ["203.0.113.0/24"],
    'Pulumi.prod.yaml: envstack:database.accessCidrs[0]: expected a private IPv4 CIDR block (inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10): the database is never reachable from the internet, found string "203.0.113.0/24"',
  ],
  [
    "invalid CIDR inside a list",
    "dev",
    "envstack:database.accessCidrs",
    ["10.0.0/8"],
    'Pulumi.dev.yaml: envstack:database.accessCidrs[0]: expected an IPv4 CIDR block such as 10.30.0.0/16, found string "10.0.0/8"',
  ],
  [
    "image not pinned by digest in stage",
    "stage",
    "envstack:services.api.image",
    TAGGED_IMAGE,
    `Pulumi.stage.yaml: envstack:services.api.image: expected an image pinned by digest (<registry>/<repository>@sha256:<64 hex>) in stage, found string "${TAGGED_IMAGE}"`,
  ],
  [
    "image not pinned by digest in prod",
    "prod",
    "envstack:services.worker.image",
    TAGGED_IMAGE,
    `Pulumi.prod.yaml: envstack:services.worker.image: expected an image pinned by digest (<registry>/<repository>@sha256:<64 hex>) in prod, found string "${TAGGED_IMAGE}"`,
  ],
  [
    "not an image reference at all",
    "prod",
    "envstack:services.api.image",
    "trading-platform",
    'Pulumi.prod.yaml: envstack:services.api.image: expected an image reference <registry>/<repository>@sha256:<64 hex digits>, found string "trading-platform"',
  ],
  [
    "unknown access level",
    "dev",
    "envstack:access.qa",
    "write",
    'Pulumi.dev.yaml: envstack:access.qa: expected one of none, read-only, deploy, admin, found string "write"',
  ],
  [
    "misspelt nested key",
    "dev",
    "envstack:database.multiAZ",
    true,
    "Pulumi.dev.yaml: envstack:database.multiAZ: expected a known key (did you mean multiAz?): one of engine, engineVersion, instanceClass, multiAz, storageGb, backupRetentionDays, deletionProtection, readReplicas, accessCidrs, found unknown key with boolean true",
  ],
  [
    "misspelt top-level key",
    "dev",
    "envstack:servces",
    {},
    "Pulumi.dev.yaml: envstack:servces: expected a known key (did you mean services?): one of app, accountId, network, database, cache, loadBalancer, services, observability, featureFlags, access, github, found unknown key with a map",
  ],
  [
    "misspelt namespace",
    "dev",
    "envstak:database",
    { multiAz: true },
    "Pulumi.dev.yaml: envstak:database: expected a known namespace (did you mean envstack:database?): one of envstack:, aws:, github:, pulumi:, found unknown namespace with a map",
  ],
  [
    "unknown provider namespace",
    "prod",
    "gcp:region",
    "europe-west1",
    'Pulumi.prod.yaml: gcp:region: expected a known namespace: one of envstack:, aws:, github:, pulumi:, found unknown namespace with string "europe-west1"',
  ],
  [
    "missing required key without a default",
    "prod",
    "envstack:loadBalancer.certificateArn",
    undefined,
    "Pulumi.prod.yaml: envstack:loadBalancer.certificateArn: expected a string (the key is required), found nothing (the key is missing)",
  ],
  [
    "missing app",
    "dev",
    "envstack:app",
    undefined,
    "Pulumi.dev.yaml: envstack:app: expected a string (the key is required), found nothing (the key is missing)",
  ],
  [
    "missing region",
    "stage",
    "aws:region",
    undefined,
    `Pulumi.stage.yaml: aws:region: expected an AWS region such as eu-west-1, found nothing (the key is missing)`,
  ],
  [
    "developer with write in prod",
    "prod",
    "envstack:access.developer",
    "deploy",
    'Pulumi.prod.yaml: envstack:access.developer: expected none or read-only (developers never get write in prod), found string "deploy"',
  ],
  [
    "developer admin in stage",
    "stage",
    "envstack:access.developer",
    "admin",
    'Pulumi.stage.yaml: envstack:access.developer: expected none or read-only (developers never get write in stage), found string "admin"',
  ],
  [
    "Fargate memory outside the cpu's range",
    "dev",
    "envstack:services.api.memoryMb",
    4096,
    "Pulumi.dev.yaml: envstack:services.api.memoryMb: expected a memory size from 512 to 2048 MiB for cpu 256, found number 4096",
  ],
  [
    "cpu not a Fargate size",
    "dev",
    "envstack:services.worker.cpu",
    300,
    "Pulumi.dev.yaml: envstack:services.worker.cpu: expected a Fargate cpu value: 256, 512, 1024, 2048, 4096, 8192, 16384, found number 300",
  ],
  [
    "a rollout key another strategy takes",
    "stage",
    "envstack:services.api.deployment",
    { strategy: "blue-green", bakeMinutes: 10, canaryPercent: 10 },
    "Pulumi.stage.yaml: envstack:services.api.deployment.canaryPercent: expected no canaryPercent with strategy blue-green: it takes bakeMinutes, found number 10",
  ],
  [
    "a canary without its share",
    "stage",
    "envstack:services.api.deployment",
    { strategy: "canary", bakeMinutes: 10, canaryBakeMinutes: 5 },
    "Pulumi.stage.yaml: envstack:services.api.deployment.canaryPercent: expected canaryPercent with strategy canary (bakeMinutes, canaryPercent, canaryBakeMinutes), found nothing (the key is missing)",
  ],
  [
    "canary share above 100",
    "dev",
    "envstack:services.api.deployment",
    { strategy: "canary", bakeMinutes: 0, canaryPercent: 101, canaryBakeMinutes: 5 },
    "Pulumi.dev.yaml: envstack:services.api.deployment.canaryPercent: expected a percentage from 0.1 to 100 in steps of 0.1, found number 101",
  ],
  [
    "a linear step below ECS's 3%",
    "prod",
    "envstack:services.api.deployment",
    { strategy: "linear", bakeMinutes: 10, stepPercent: 2, stepBakeMinutes: 1 },
    "Pulumi.prod.yaml: envstack:services.api.deployment.stepPercent: expected a percentage from 3 to 100 in steps of 0.1, found number 2",
  ],
  [
    "a canary share ECS cannot take",
    "prod",
    "envstack:services.api.deployment",
    { strategy: "canary", bakeMinutes: 10, canaryPercent: 2.55, canaryBakeMinutes: 5 },
    "Pulumi.prod.yaml: envstack:services.api.deployment.canaryPercent: expected a percentage from 0.1 to 100 in steps of 0.1, found number 2.55",
  ],
  [
    "holds the steps never reach",
    "prod",
    "envstack:services.api.deployment",
    {
      strategy: "linear",
      bakeMinutes: 10,
      stepPercent: 10,
      stepBakeMinutes: 0,
      holds: [5, 50],
      holdMinutes: 5,
    },
    "Pulumi.prod.yaml: envstack:services.api.deployment.holds: expected traffic shares the linear steps reach, ascending: multiples of stepPercent 10 below 100, such as 5, 25, 50 on 5% steps, found a list of 2",
  ],
  [
    "holds without their minutes",
    "prod",
    "envstack:services.api.deployment",
    { strategy: "linear", bakeMinutes: 10, stepPercent: 5, stepBakeMinutes: 0, holds: [5, 25] },
    "Pulumi.prod.yaml: envstack:services.api.deployment.holdMinutes: expected the minutes each hold lasts (holds are set), found nothing (the key is missing)",
  ],
  [
    "a bake beyond ECS's day",
    "prod",
    "envstack:services.api.deployment",
    { strategy: "blue-green", bakeMinutes: 1441 },
    "Pulumi.prod.yaml: envstack:services.api.deployment.bakeMinutes: expected a whole number from 0 to 1440, found number 1441",
  ],
  [
    "a strategy ECS does not have",
    "prod",
    "envstack:services.api.deployment",
    { strategy: "red-black" },
    'Pulumi.prod.yaml: envstack:services.api.deployment.strategy: expected blue-green, canary, linear, rolling, found string "red-black"',
  ],
  [
    "the retired rollout keys",
    "prod",
    "envstack:services.api.deployment",
    { strategy: "blue-green", bakeMinutes: 10, live: "blue" },
    'Pulumi.prod.yaml: envstack:services.api.deployment.live: expected a known key: one of strategy, bakeMinutes, canaryPercent, canaryBakeMinutes, stepPercent, stepBakeMinutes, holds, holdMinutes, found unknown key with string "blue"',
  ],
  [
    "migrations on a service that shifts no traffic (ECS runs no lifecycle hook there)",
    "prod",
    "envstack:services.worker.migrations",
    { command: ["./migrate", "up"], version: "7" },
    "Pulumi.prod.yaml: envstack:services.worker.migrations: expected no migrations with strategy rolling: migrations run from the rollout hook at PRE_SCALE_UP, and ECS runs lifecycle hooks only in blue-green, canary and linear deployments (give the service a port and one of those strategies), found a map",
  ],
  [
    "a migration version with a space",
    "stage",
    "envstack:services.api.migrations",
    { command: ["./migrate", "up"], version: "v 7" },
    'Pulumi.stage.yaml: envstack:services.api.migrations.version: expected a version of 1 to 64 letters, digits, ".", "_" and "-", such as "2024.06.1" or "42", found string "v 7"',
  ],
  [
    "a migration version as a number",
    "dev",
    "envstack:services.api.migrations",
    { command: ["./migrate", "up"], version: 7 },
    'Pulumi.dev.yaml: envstack:services.api.migrations.version: expected a version string such as "2024.06.1" or "42", found number 7',
  ],
  [
    "a migration without its version",
    "prod",
    "envstack:services.api.migrations",
    { command: ["./migrate", "up"] },
    'Pulumi.prod.yaml: envstack:services.api.migrations.version: expected a version string such as "2024.06.1" or "42", found nothing (the key is missing)',
  ],
  [
    "a migration without a command",
    "prod",
    "envstack:services.api.migrations",
    { command: [], version: "7" },
    "Pulumi.prod.yaml: envstack:services.api.migrations.command: expected at least one argument (the migration tool), found a list of 0",
  ],
  [
    "a migration command as one string",
    "prod",
    "envstack:services.api.migrations",
    { command: "./migrate up", version: "7" },
    'Pulumi.prod.yaml: envstack:services.api.migrations.command: expected a list of command arguments such as ["./migrate", "up"], found string "./migrate up"',
  ],
  [
    "a migration timeout beyond a day",
    "prod",
    "envstack:services.api.migrations",
    { command: ["./migrate"], version: "7", timeoutMinutes: 1441 },
    "Pulumi.prod.yaml: envstack:services.api.migrations.timeoutMinutes: expected a whole number from 1 to 1440, found number 1441",
  ],
  [
    "a misspelt migration key",
    "prod",
    "envstack:services.api.migrations",
    { command: ["./migrate"], versoin: "7" },
    'Pulumi.prod.yaml: envstack:services.api.migrations.version: expected a version string such as "2024.06.1" or "42", found nothing (the key is missing)\nPulumi.prod.yaml: envstack:services.api.migrations.versoin: expected a known key (did you mean version?): one of command, version, timeoutMinutes, found unknown key with string "7"',
  ],
  [
    "retention CloudWatch does not offer",
    "prod",
    "envstack:observability.logRetentionDays",
    10,
    "Pulumi.prod.yaml: envstack:observability.logRetentionDays: expected a CloudWatch retention period: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, found number 10",
  ],
  [
    "error rate of zero",
    "prod",
    "envstack:observability.errorRatePercent",
    0,
    "Pulumi.prod.yaml: envstack:observability.errorRatePercent: expected a percentage above 0 and at most 100, found number 0",
  ],
  [
    "alarm email without a domain",
    "stage",
    "envstack:observability.alarmEmail",
    "oncall",
    'Pulumi.stage.yaml: envstack:observability.alarmEmail: expected an email address, found string "oncall"',
  ],
  [
    "tracing without the X-Ray daemon image",
    "prod",
    "envstack:observability.xrayDaemonImage",
    undefined,
    "Pulumi.prod.yaml: envstack:observability.xrayDaemonImage: expected the X-Ray daemon image the tasks run beside the app while tracing is true, found nothing (the key is missing)",
  ],
  [
    "X-Ray daemon image not pinned by digest in stage",
    "stage",
    "envstack:observability.xrayDaemonImage",
    "public.ecr.aws/xray/aws-xray-daemon:3.3.14",
    'Pulumi.stage.yaml: envstack:observability.xrayDaemonImage: expected an image pinned by digest in stage, found string "public.ecr.aws/xray/aws-xray-daemon:3.3.14"',
  ],
  [
    "tracing as a word",
    "prod",
    "envstack:observability.tracing",
    "yes",
    'Pulumi.prod.yaml: envstack:observability.tracing: expected true or false, found string "yes"',
  ],
  [
    "engine other than postgres",
    "prod",
    "envstack:database.engine",
    "mysql",
    'Pulumi.prod.yaml: envstack:database.engine: expected postgres, found string "mysql"',
  ],
  [
    "engine version as a number",
    "prod",
    "envstack:database.engineVersion",
    16,
    "Pulumi.prod.yaml: envstack:database.engineVersion: expected a string, found number 16",
  ],
  [
    "instance class without db. prefix",
    "prod",
    "envstack:database.instanceClass",
    "r6g.large",
    'Pulumi.prod.yaml: envstack:database.instanceClass: expected an RDS instance class such as db.r6g.large, found string "r6g.large"',
  ],
  [
    "backup retention above 35 days",
    "prod",
    "envstack:database.backupRetentionDays",
    40,
    "Pulumi.prod.yaml: envstack:database.backupRetentionDays: expected a whole number from 0 to 35, found number 40",
  ],
  [
    "replicas without backups",
    "stage",
    "envstack:database.backupRetentionDays",
    0,
    "Pulumi.stage.yaml: envstack:database.backupRetentionDays: expected at least 1 while readReplicas is above 0 (RDS replicas need automated backups), found number 0",
  ],
  [
    "one NAT per zone with a single zone",
    "prod",
    "envstack:network.availabilityZones",
    1,
    'Pulumi.prod.yaml: envstack:network.natGateways: expected single when availabilityZones is 1, found string "one-per-az"',
  ],
  [
    "zero cache shards",
    "stage",
    "envstack:cache.shards",
    0,
    "Pulumi.stage.yaml: envstack:cache.shards: expected a whole number from 1 to 90, found number 0",
  ],
  [
    "fractional replica count",
    "stage",
    "envstack:cache.replicasPerShard",
    1.5,
    "Pulumi.stage.yaml: envstack:cache.replicasPerShard: expected a whole number from 0 to 5, found number 1.5",
  ],
  [
    "desired count as a string",
    "prod",
    "envstack:services.api.desiredCount",
    "3",
    'Pulumi.prod.yaml: envstack:services.api.desiredCount: expected a whole number from 1 to 100, found string "3"',
  ],
  [
    "health check path without a leading slash",
    "prod",
    "envstack:services.api.port.healthCheckPath",
    "health",
    'Pulumi.prod.yaml: envstack:services.api.port.healthCheckPath: expected a path starting with /, found string "health"',
  ],
  [
    "region that is not one",
    "prod",
    "aws:region",
    "Europe",
    `Pulumi.prod.yaml: aws:region: expected an AWS region such as eu-west-1, found string "Europe"`,
  ],
  [
    "app name with capitals",
    "dev",
    "envstack:app",
    "Trading",
    'Pulumi.dev.yaml: envstack:app: expected an app name matching [a-z][a-z0-9-]{1,23}, found string "Trading"',
  ],
  [
    "flag name that is not camelCase",
    "dev",
    "envstack:featureFlags",
    { "Tariff-engine": true },
    'Pulumi.dev.yaml: envstack:featureFlags.Tariff-engine: expected a camelCase flag name for the key, found string "Tariff-engine"',
  ],
  [
    "flag value that is a list",
    "dev",
    "envstack:featureFlags",
    { tariffEngineV2: [1] },
    "Pulumi.dev.yaml: envstack:featureFlags.tariffEngineV2: expected a boolean, string or number, found a list of 1",
  ],
  [
    "a section given as a list",
    "prod",
    "envstack:network",
    [],
    "Pulumi.prod.yaml: envstack:network: expected a map, found a list of 0",
  ],
  [
    "region of no AWS partition we know",
    "dev",
    "aws:region",
    "eu-wast-1",
    `Pulumi.dev.yaml: aws:region: expected a region of the commercial AWS partition: one of ${AWS_REGIONS.join(", ")}, found string "eu-wast-1"`,
  ],
  [
    "region of another partition",
    "prod",
    "aws:region",
    "cn-north-1",
    `Pulumi.prod.yaml: aws:region: expected a region of the commercial AWS partition: one of ${AWS_REGIONS.join(", ")}, found string "cn-north-1"`,
  ],
  [
    "PostgreSQL minor version RDS no longer creates",
    "prod",
    "envstack:database.engineVersion",
    "16.4",
    `Pulumi.prod.yaml: envstack:database.engineVersion: expected a PostgreSQL version RDS can create today: ${POSTGRES_VERSIONS.join(", ")}, found string "16.4"`,
  ],
  [
    "engine version without a minor",
    "stage",
    "envstack:database.engineVersion",
    "16",
    'Pulumi.stage.yaml: envstack:database.engineVersion: expected a "major.minor" version string such as "16.13", found string "16"',
  ],
  [
    "instance class RDS does not offer for PostgreSQL",
    "prod",
    "envstack:database.instanceClass",
    "db.r6g.huge",
    'Pulumi.prod.yaml: envstack:database.instanceClass: expected an RDS for PostgreSQL instance class of the families db.t3, db.t4g, db.m6g, db.m7g, db.m6i, db.m7i, db.r6g, db.r7g, db.r6i, db.r7i, such as db.r6g.large, found string "db.r6g.huge"',
  ],
  [
    "Redis version ElastiCache does not run",
    "dev",
    "envstack:cache.engineVersion",
    "7.4",
    'Pulumi.dev.yaml: envstack:cache.engineVersion: expected a Redis OSS version ElastiCache supports: 6.0, 6.2, 7.0, 7.1, found string "7.4"',
  ],
  [
    "node type ElastiCache does not offer",
    "stage",
    "envstack:cache.nodeType",
    "cache.r7g.huge",
    'Pulumi.stage.yaml: envstack:cache.nodeType: expected an ElastiCache node type of the families cache.t3, cache.t4g, cache.m5, cache.m6g, cache.m7g, cache.r5, cache.r6g, cache.r7g, such as cache.r7g.large, found string "cache.r7g.huge"',
  ],
  [
    "VPC block with host bits set",
    "prod",
    "envstack:network.cidr",
    "10.30.1.0/16",
    'Pulumi.prod.yaml: envstack:network.cidr: expected a network address without host bits set (did you mean 10.30.0.0/16?), found string "10.30.1.0/16"',
  ],
  [
    "certificate from another region",
    "prod",
    "envstack:loadBalancer.certificateArn",
    CERT.replace(`${SAMPLE.region}`, "us-east-1"),
    `Pulumi.prod.yaml: envstack:loadBalancer.certificateArn: expected a certificate in ${SAMPLE.region}, the stack's aws:region (an ALB uses ACM certificates of its own region only), found ${describeFound(CERT.replace(SAMPLE.region, "us-east-1"))}`,
  ],
  [
    "certificate of another partition",
    "stage",
    "envstack:loadBalancer.certificateArn",
    CERT.replace("arn:aws:", "arn:aws-cn:"),
    `Pulumi.stage.yaml: envstack:loadBalancer.certificateArn: expected a certificate ARN of the aws partition (arn:aws:acm:...): ${SAMPLE.region} is a commercial region, found ${describeFound(CERT.replace("arn:aws:", "arn:aws-cn:"))}`,
  ],
  [
    "certificate ARN without an account",
    "dev",
    "envstack:loadBalancer.certificateArn",
    "arn:aws:acm:eu-west-1:certificate/2f5b3e40",
    'Pulumi.dev.yaml: envstack:loadBalancer.certificateArn: expected an ACM certificate ARN arn:<partition>:acm:<region>:<12-digit account>:certificate/<id>, found string "arn:aws:acm:eu-west-1:certificate/2f5b3e40"',
  ],
];

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigErrors);
    return (err as Error).message;
  }
  throw new Error("expected the config to be refused");
}

describe("bad configs are refused with file, key path, expected and found", () => {
  it.each(BAD)("%s", (_what, stack, keyPath, value, message) => {
    const values = changed(stack, keyPath, value);
    expect(messageOf(() => parseSpec(stack, values, `Pulumi.${stack}.yaml`))).toBe(message);
  });

  it("has at least 25 cases", () => {
    expect(BAD.length).toBeGreaterThanOrEqual(25);
  });

  it("refuses a stack that is not dev, stage or prod", () => {
    const values = changed("dev", "aws:region", `${SAMPLE.region}`);
    expect(messageOf(() => parseSpec("qa", values, "Pulumi.qa.yaml"))).toBe(
      'Pulumi.qa.yaml: stack: expected one of dev, stage, prod, found string "qa"',
    );
  });

  it("reports every problem of a file at once, one per line", () => {
    const values = changed("prod", "envstack:access.qa", "write");
    (values["envstack:network"] as Record<string, unknown>)["cidr"] = "300.0.0.0/16";
    expect(messageOf(() => parseSpec("prod", values, "Pulumi.prod.yaml")).split("\n")).toEqual([
      'Pulumi.prod.yaml: envstack:network.cidr: expected an IPv4 CIDR block such as 10.30.0.0/16, found string "300.0.0.0/16"',
      'Pulumi.prod.yaml: envstack:access.qa: expected one of none, read-only, deploy, admin, found string "write"',
    ]);
  });
});

describe("loading from stack files", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-config-"));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it.each(environments().names)("the committed Pulumi.%s.yaml parses", (stack) => {
    const spec = loadSpecFromFile(stackFile(stack));
    expect([spec.stack, spec.app, spec.region, spec.file]).toEqual([
      stack,
      `${SAMPLE.app}`,
      `${SAMPLE.region}`,
      stackFile(stack),
    ]);
  });

  it("needs no X-Ray daemon image with tracing off", () => {
    expect(loadSpecFromFile(stackFile("dev")).observability.xrayDaemonImage).toBeUndefined();
  });

  it("allows an image pinned by tag in dev only", () => {
    const values = changed("dev", "envstack:services.api.image", TAGGED_IMAGE);
    expect(parseSpec("dev", values, "Pulumi.dev.yaml").services["api"]!.image).toBe(TAGGED_IMAGE);
  });

  it("names the file it read, and the stack its name denotes", () => {
    const values = changed("stage", "envstack:cache.nodeType", "r7g.large");
    const file = write("Pulumi.stage.yaml", stringify({ config: values }));
    expect(messageOf(() => loadSpecFromFile(file))).toBe(
      `${file}: envstack:cache.nodeType: expected an ElastiCache node type such as cache.r7g.large, found string "r7g.large"`,
    );
  });

  it("refuses a file named for an unknown stack", () => {
    const file = write(
      "Pulumi.qa.yaml",
      stringify({ config: changed("dev", "aws:region", `${SAMPLE.region}`) }),
    );
    expect(messageOf(() => loadSpecFromFile(file))).toBe(
      `${file}: stack: expected one of dev, stage, prod, found string "qa"`,
    );
  });

  it("refuses a file whose name denotes no stack", () => {
    const file = write("stack.yaml", "config: {}\n");
    expect(messageOf(() => loadSpecFromFile(file))).toBe(
      `${file}: stack: expected a file named Pulumi.<stack>.yaml or an explicit stack, found string "stack.yaml"`,
    );
  });

  it("refuses YAML that does not parse, and a file without a config map", () => {
    const broken = write("Pulumi.dev.yaml", "config:\n  envstack:app: [unclosed\n");
    expect(messageOf(() => loadSpecFromFile(broken))).toMatch(
      new RegExp(
        `^${broken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: \\(document\\): expected valid YAML, found `,
      ),
    );
    const empty = write("Pulumi.prod.yaml", "encryptionsalt: abc\n");
    expect(messageOf(() => loadSpecFromFile(empty))).toBe(
      `${empty}: config: expected a map of config keys, found nothing (the key is missing)`,
    );
  });

  it("refuses a file that cannot be read", () => {
    const missing = path.join(dir, "Pulumi.dev.yaml.missing");
    expect(messageOf(() => loadSpecFromFile(missing, "dev"))).toBe(
      `${missing}: (file): expected a readable stack file, found ENOENT`,
    );
  });
});

describe("parity between the committed stage and prod", () => {
  const stage = loadSpecFromFile(stackFile("stage"));
  const prod = loadSpecFromFile(stackFile("prod"));
  const attributes = attributesFor(mustEqualAttributes(), prod).filter(
    // Per-service keys a worker does not have (its port and routing) are absent in both.
    (a) => a.service === undefined || readPath(prod, a.key) !== undefined,
  );
  // Compared as the parity check compares them: `services` is the set of names, not the images.
  it.each(attributes.map((a) => [a.key, a] as const))("stage equals prod on %s", (_key, a) => {
    const value = expectedValue(a, prod);
    // A default service has no listener rule: its routing's observed value is none, in both.
    if (!a.key.endsWith(".routing")) expect(value).not.toBeUndefined();
    expect(expectedValue(a, stage)).toEqual(value);
  });

  it("differs from dev where dev may be smaller, with the same engine versions", () => {
    const dev = loadSpecFromFile(stackFile("dev"));
    expect(dev.database.engineVersion).toBe(stage.database.engineVersion);
    expect(dev.cache.engineVersion).toBe(stage.cache.engineVersion);
    expect(dev.database.multiAz).toBe(false);
    for (const name of Object.keys(prod.services))
      expect(stage.services[name]!.image).toBe(prod.services[name]!.image);
  });
});

describe("invalid config declares nothing", () => {
  interface Runtime {
    waitForRPCs(): Promise<void>;
  }
  async function importProgram(stack: string, config: Record<string, unknown>) {
    const declared: string[] = [];
    pulumi.runtime.setAllConfig(toEngineConfig(config));
    const mocks = realisticMocks(`${SAMPLE.region}`);
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          declared.push(args.type);
          return mocks.newResource(args);
        },
        call: (args) => {
          declared.push(args.token);
          return mocks.call(args);
        },
      },
      "envstack",
      stack,
      true,
    );
    vi.resetModules();
    let error: unknown;
    try {
      await import("../program/main.js");
      await (pulumi.runtime as unknown as Runtime).waitForRPCs();
    } catch (err) {
      error = err;
    }
    return { declared, error };
  }

  it("src/program/main.ts refuses a bad prod config before declaring anything", async () => {
    const { declared, error } = await importProgram(
      "prod",
      changed("prod", "envstack:services.api.image", TAGGED_IMAGE),
    );
    // A RunError: the engine prints its message without a stack trace.
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      `Pulumi.prod.yaml: envstack:services.api.image: expected an image pinned by digest (<registry>/<repository>@sha256:<64 hex>) in prod, found string "${TAGGED_IMAGE}"`,
    );
    expect(declared).toEqual([]);
  });

  it("src/program/main.ts declares the environment from a good config (the control)", async () => {
    const { declared, error } = await importProgram(
      "dev",
      changed("dev", "envstack:app", `${SAMPLE.app}`),
    );
    expect(error).toBeUndefined();
    expect(declared).toContain("aws:rds/instance:Instance");
    expect(declared).toContain("aws:ecs/service:Service");
  });
});

// Keeps the certificate constant honest: it is the committed prod certificate.
it("fixtures match the committed prod file", () => {
  expect(loadSpecFromFile(stackFile("prod")).loadBalancer?.certificateArn).toBe(CERT);
});

describe("services", () => {
  type Services = Record<string, Record<string, unknown>>;
  /** Prod's committed config with its services changed by `edit`. */
  const withServices = (stack: string, edit: (services: Services) => void) => {
    const values = changed(stack, "aws:region", `${SAMPLE.region}`);
    const services = values["envstack:services"] as Services;
    edit(services);
    return values;
  };
  const route = (routing: unknown) => (s: Services) => {
    s["web"] = { ...structuredClone(s["api"]!), routing };
  };

  const BAD_SERVICES: readonly [string, (s: Services) => void, string][] = [
    [
      "a name with capitals and an underscore",
      (s) => (s["Web_1"] = s["worker"]!),
      'envstack:services.Web_1: expected a service name of 1 to 12 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen for the key, found string "Web_1"',
    ],
    [
      "a name too long for the target group names derived from it",
      (s) => (s["reconciliation"] = s["worker"]!),
      'envstack:services.reconciliation: expected a service name of 1 to 12 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen for the key, found string "reconciliation"',
    ],
    [
      "a name ending with a hyphen",
      (s) => (s["api-"] = s["worker"]!),
      'envstack:services.api-: expected a service name of 1 to 12 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen for the key, found string "api-"',
    ],
    [
      "the sidecar's container name",
      (s) => (s["xray-daemon"] = s["worker"]!),
      'envstack:services.xray-daemon: expected a service name other than xray-daemon (the tasks\' sidecar container is named so), found string "xray-daemon"',
    ],
    [
      "no service at all",
      (s) => Object.keys(s).forEach((k) => delete s[k]),
      "envstack:services: expected at least one service, found a map",
    ],
    [
      "a misspelt service key",
      (s) => (s["worker"]!["prot"] = 8080),
      "envstack:services.worker.prot: expected a known key: one of image, cpu, memoryMb, desiredCount, port, routing, deployment, migrations, found unknown key with number 8080",
    ],
    [
      "a port without its health check path",
      (s) => (s["api"]!["port"] = { containerPort: 8080 }),
      "envstack:services.api.port.healthCheckPath: expected a string (the key is required), found nothing (the key is missing)",
    ],
    [
      "routing on a worker",
      (s) => (s["worker"]!["routing"] = { priority: 110, paths: ["/jobs/*"] }),
      "envstack:services.worker.routing: expected no routing for a service without a port (a worker takes no traffic; add port to put it behind the load balancer), found a map",
    ],
    [
      "a web service without routing",
      (s) => delete s["api"]!["routing"],
      "envstack:services.api.routing: expected a routing for a service with a port: { default: true } for the service that takes what no rule matches, or { priority, paths and/or hosts }, found nothing (the key is missing)",
    ],
    [
      "two default services",
      route({ default: true }),
      "envstack:services: expected exactly one service with routing { default: true } (found api, web), found a map",
    ],
    [
      "web services but no default one",
      (s) => (s["api"]!["routing"] = { priority: 110, paths: ["/api/*"] }),
      "envstack:services: expected exactly one service with routing { default: true } (the listener's default action; found none among api), found a map",
    ],
    [
      "a default service with a rule's conditions",
      (s) => (s["api"]!["routing"] = { default: true, paths: ["/api/*"] }),
      "envstack:services.api.routing: expected { default: true } alone: the default service takes what no rule matches, so it has no priority, paths or hosts, found a map",
    ],
    [
      "a rule with no condition",
      route({ priority: 110 }),
      "envstack:services.web.routing: expected paths and/or hosts the listener rule matches (or default: true for the default service), found a map",
    ],
    [
      "a rule without a priority",
      route({ hosts: ["web.example.com"] }),
      "envstack:services.web.routing.priority: expected a rule priority from 100 to 49999 (1 to 99 hold the services' test rules, 50000 the default service's), unique among the services (lower is matched first), found nothing (the key is missing)",
    ],
    [
      "a priority above the ALB's range",
      route({ priority: 50000, paths: ["/web/*"] }),
      "envstack:services.web.routing.priority: expected a rule priority from 100 to 49999 (1 to 99 hold the services' test rules, 50000 the default service's), found number 50000",
    ],
    [
      "a priority the test rules hold",
      route({ priority: 10, paths: ["/web/*"] }),
      "envstack:services.web.routing.priority: expected a rule priority from 100 to 49999 (1 to 99 hold the services' test rules, 50000 the default service's), found number 10",
    ],
    [
      "two rules with one priority",
      (s) => {
        route({ priority: 107, paths: ["/web/*"] })(s);
        s["admin"] = {
          ...structuredClone(s["api"]!),
          routing: { priority: 107, hosts: ["admin.example.com"] },
        };
      },
      "envstack:services.admin.routing.priority: expected a priority no other service uses (services.web has 107), found number 107",
    ],
    [
      "four path patterns in one condition",
      route({ priority: 110, paths: ["/a/*", "/b/*", "/c/*", "/d/*"] }),
      "envstack:services.web.routing.paths: expected at most 3 path patterns (an ALB condition's limit), found a list of 4",
    ],
    [
      "six values in one rule",
      route({
        priority: 110,
        paths: ["/a/*", "/b/*", "/c/*"],
        hosts: ["a.example.com", "b.example.com", "c.example.com"],
      }),
      "envstack:services.web.routing: expected at most 5 paths and hosts together (an ALB listener rule's limit), found a map",
    ],
    [
      "a path pattern without a leading slash",
      route({ priority: 110, paths: ["api/*"] }),
      'envstack:services.web.routing.paths[0]: expected a path pattern such as /api/* (letters, digits, _-.$/~"\'@:+& and the wildcards * ?), found string "api/*"',
    ],
    [
      "a host name without a domain",
      route({ priority: 110, hosts: ["localhost"] }),
      'envstack:services.web.routing.hosts[0]: expected a host name such as api.example.com (letters, digits, -_. and the wildcards * ?), found string "localhost"',
    ],
    [
      "a traffic-shifting rollout on a worker",
      (s) =>
        (s["worker"]!["deployment"] = {
          strategy: "canary",
          bakeMinutes: 5,
          canaryPercent: 10,
          canaryBakeMinutes: 5,
        }),
      'envstack:services.worker.deployment.strategy: expected rolling for a service without a port (canary shifts load balancer traffic between two target groups; a worker takes none), found string "canary"',
    ],
    [
      "a bake on a rolling worker",
      (s) => (s["worker"]!["deployment"] = { strategy: "rolling", bakeMinutes: 5 }),
      "envstack:services.worker.deployment.bakeMinutes: expected no bakeMinutes with strategy rolling (it shifts no traffic and bakes nothing), found number 5",
    ],
    [
      "web services without the load balancer's certificate",
      () => undefined,
      "envstack:loadBalancer.certificateArn: expected the ACM certificate of the HTTPS listener: services api have a port, found nothing (the key is missing)",
    ],
  ];

  it.each(BAD_SERVICES)("refuses %s", (what, edit, message) => {
    const values = withServices("prod", edit);
    if (what.startsWith("web services without")) delete values["envstack:loadBalancer"];
    expect(messageOf(() => parseSpec("prod", values, "Pulumi.prod.yaml"))).toBe(
      `Pulumi.prod.yaml: ${message}`,
    );
  });

  it("refuses a load balancer when every service is a worker", () => {
    const values = withServices("prod", (s) => delete s["api"]);
    expect(messageOf(() => parseSpec("prod", values, "Pulumi.prod.yaml"))).toBe(
      "Pulumi.prod.yaml: envstack:loadBalancer: expected no load balancer: every service is a worker (remove envstack:loadBalancer, or give a service a port), found a map",
    );
  });

  it("accepts workers only, without a load balancer (the branch not taken)", () => {
    const values = withServices("prod", (s) => delete s["api"]);
    delete values["envstack:loadBalancer"];
    const spec = parseSpec("prod", values, "Pulumi.prod.yaml");
    expect([Object.keys(spec.services), spec.loadBalancer]).toEqual([["worker"], undefined]);
  });

  it("accepts a 12-character name, rules by path and by host, and applies each service's defaults", () => {
    const values = withServices("stage", (s) => {
      s["reporting-v2"] = { image: DIGEST_B };
      s["admin"] = {
        image: DIGEST_B,
        port: { containerPort: 9000, healthCheckPath: "/ready" },
        routing: { priority: 120, paths: ["/admin/*"], hosts: ["admin.example.com"] },
      };
    });
    const spec = parseSpec("stage", values, "Pulumi.stage.yaml");
    expect(spec.services["reporting-v2"]).toEqual({
      image: DIGEST_B,
      cpu: 1024,
      memoryMb: 2048,
      desiredCount: 3,
      deployment: { strategy: "rolling" },
    });
    // A web service without a deployment gets the web default; a given one is taken whole.
    expect(spec.services["admin"]!.deployment).toEqual({ strategy: "blue-green", bakeMinutes: 10 });
    expect(spec.services["admin"]!.routing).toEqual({
      priority: 120,
      paths: ["/admin/*"],
      hosts: ["admin.example.com"],
    });
    const dev = parseSpec(
      "dev",
      changed("dev", "envstack:services.extra", { image: DIGEST_B }),
      "Pulumi.dev.yaml",
    );
    expect([dev.services["extra"]!.cpu, dev.services["extra"]!.desiredCount]).toEqual([256, 1]);
  });

  it("refuses the retired envstack:service, writing the new shape from the operator's values", () => {
    const values = changed("prod", "envstack:services", undefined);
    delete values["envstack:loadBalancer"];
    const old = {
      image: `123456789012.dkr.ecr.${SAMPLE.region}.amazonaws.com/${SAMPLE.repository}@sha256:${"a".repeat(64)}`,
      cpu: 1024,
      memoryMb: 2048,
      desiredCount: 3,
      containerPort: 9090,
      certificateArn: CERT,
      deployment: { strategy: "blue-green", live: "green", canaryPercent: 0 },
    };
    values["envstack:service"] = old;
    const message = messageOf(() => parseSpec("prod", values, "Pulumi.prod.yaml"));
    const match =
      /^Pulumi\.prod\.yaml: envstack:service: expected envstack:services, a map of service names to services \(envstack:service held one service and is retired\); write instead: envstack:loadBalancer: (\{.*\}) and envstack:services: (\{.*\}), found the retired key with a map$/.exec(
        message,
      );
    expect(match).not.toBeNull();
    // What the message says to write is a valid config with the operator's own values.
    delete values["envstack:service"];
    values["envstack:loadBalancer"] = parse(match![1]!);
    values["envstack:services"] = parse(match![2]!);
    const spec = parseSpec("prod", values, "Pulumi.prod.yaml");
    expect(spec.loadBalancer).toEqual({ certificateArn: CERT });
    expect(spec.services).toEqual({
      app: {
        image: old.image,
        cpu: 1024,
        memoryMb: 2048,
        desiredCount: 3,
        port: { containerPort: 9090, healthCheckPath: "/health" },
        routing: { default: true },
        deployment: { strategy: "blue-green", bakeMinutes: 10 },
      },
    });
  });
});
