import { describe, expect, it } from "vitest";
import type { StackName } from "../../src/model";
import { UNKNOWN } from "../../policies/unknowns";
import { checkResource, type Fixture } from "./harness";

const DIGEST = "sha256:" + "a".repeat(64);
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/trading-platform@${DIGEST}`;
const RDS = "aws:rds/instance:Instance";
const REDIS = "aws:elasticache/replicationGroup:ReplicationGroup";
const LOGS = "aws:cloudwatch/logGroup:LogGroup";
const TASK = "aws:ecs/taskDefinition:TaskDefinition";

const db = (props: Record<string, unknown> = {}, protect = true): Fixture => ({
  type: RDS,
  name: "database-primary",
  protect,
  props: {
    engine: "postgres",
    multiAz: true,
    storageEncrypted: true,
    publiclyAccessible: false,
    deletionProtection: true,
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: "trading-prod-db-final",
    backupRetentionPeriod: 14,
    ...props,
  },
});
const replica = (props: Record<string, unknown> = {}): Fixture => ({
  type: RDS,
  name: "database-replica-1",
  props: { replicateSourceDb: "trading-prod-db", storageEncrypted: true, ...props },
});
const cache = (props: Record<string, unknown> = {}): Fixture => ({
  type: REDIS,
  name: "cache",
  props: {
    automaticFailoverEnabled: true,
    multiAzEnabled: true,
    atRestEncryptionEnabled: true,
    transitEncryptionEnabled: true,
    ...props,
  },
});
const logGroup = (props: Record<string, unknown> = {}): Fixture => ({
  type: LOGS,
  name: "observability-logs-app",
  props: { name: "/prod/trading/app", retentionInDays: 365, kmsKeyId: "arn:aws:kms:key", ...props },
});
const task = (images: unknown): Fixture => ({
  type: TASK,
  name: "service-task-blue",
  props: {
    containerDefinitions:
      typeof images === "string" && !images.startsWith("[")
        ? images
        : JSON.stringify(
            (images as string[]).map((image, i) => ({
              name: i === 0 ? "app" : `side-${i}`,
              image,
            })),
          ),
  },
});

type Row = [string, StackName, string, Fixture, string[]];

const rows: Row[] = [
  // prod-database-protected
  ["compliant prod primary", "prod", "prod-database-protected", db(), []],
  [
    "replicas are not the primary",
    "prod",
    "prod-database-protected",
    replica({ deletionProtection: false }),
    [],
  ],
  [
    "no deletion protection",
    "prod",
    "prod-database-protected",
    db({ deletionProtection: false }),
    [
      "Set deletionProtection to true on database-primary: prod's primary database must not be deletable.",
    ],
  ],
  [
    "final snapshot skipped",
    "prod",
    "prod-database-protected",
    db({ skipFinalSnapshot: true }),
    [
      "Set skipFinalSnapshot to false and a finalSnapshotIdentifier on database-primary: deleting prod's primary database must leave a snapshot.",
    ],
  ],
  [
    "no final snapshot identifier",
    "prod",
    "prod-database-protected",
    db({ finalSnapshotIdentifier: undefined }),
    [
      "Set skipFinalSnapshot to false and a finalSnapshotIdentifier on database-primary: deleting prod's primary database must leave a snapshot.",
    ],
  ],
  [
    "no protect option",
    "prod",
    "prod-database-protected",
    db({}, false),
    [
      "Set the protect resource option on database-primary: Pulumi must refuse to delete prod's primary database.",
    ],
  ],
  [
    "deletion protection unknown",
    "prod",
    "prod-database-protected",
    db({ deletionProtection: UNKNOWN.boolean }),
    [
      "Cannot check deletionProtection during preview: boolean value at .deletionProtection can't be known during preview.",
    ],
  ],
  [
    "stage primary without the protect option",
    "stage",
    "prod-database-protected",
    db({}, false),
    [],
  ],
  [
    "no deletion protection in stage",
    "stage",
    "prod-database-protected",
    db({ deletionProtection: false }, false),
    [
      "Set deletionProtection to true on database-primary: stage's primary database must not be deletable.",
    ],
  ],
  [
    "final snapshot skipped in stage",
    "stage",
    "prod-database-protected",
    db({ skipFinalSnapshot: true, finalSnapshotIdentifier: undefined }, false),
    [
      "Set skipFinalSnapshot to false and a finalSnapshotIdentifier on database-primary: deleting stage's primary database must leave a snapshot.",
    ],
  ],
  ["not checked in dev", "dev", "prod-database-protected", db({ deletionProtection: false }), []],
  // database-backup-retention
  ["retention above the floor", "stage", "database-backup-retention", db(), []],
  [
    "retention below the stage floor",
    "stage",
    "database-backup-retention",
    db({ backupRetentionPeriod: 3 }),
    [
      "Set backupRetentionPeriod to at least 7 on database-primary: stage keeps at least 7 days of backups (found 3).",
    ],
  ],
  [
    "dev's floor is 1 day",
    "dev",
    "database-backup-retention",
    db({ backupRetentionPeriod: 1 }),
    [],
  ],
  [
    "retention unset",
    "prod",
    "database-backup-retention",
    db({ backupRetentionPeriod: undefined }),
    [
      "Set backupRetentionPeriod to at least 7 on database-primary: prod keeps at least 7 days of backups (found nothing).",
    ],
  ],
  // redundancy-in-production
  ["Multi-AZ database and failover cache", "stage", "redundancy-in-production", cache(), []],
  [
    "single-AZ database",
    "stage",
    "redundancy-in-production",
    db({ multiAz: false }),
    [
      "Set multiAz to true on database-primary: stage runs its databases across availability zones.",
    ],
  ],
  [
    "cache without failover",
    "prod",
    "redundancy-in-production",
    cache({ automaticFailoverEnabled: false }),
    ["Set automaticFailoverEnabled to true on cache: prod caches fail over automatically."],
  ],
  [
    "cache without Multi-AZ",
    "prod",
    "redundancy-in-production",
    cache({ multiAzEnabled: undefined }),
    [
      "Set multiAzEnabled to true on cache: prod caches keep replicas in another availability zone.",
    ],
  ],
  // log-retention-floor
  ["a year of logs", "prod", "log-retention-floor", logGroup(), []],
  [
    "logs that never expire",
    "prod",
    "log-retention-floor",
    logGroup({ retentionInDays: undefined }),
    [],
  ],
  [
    "a month of logs in prod",
    "prod",
    "log-retention-floor",
    logGroup({ retentionInDays: 30 }),
    [
      "Set retentionInDays to at least 365 on observability-logs-app: prod keeps logs for at least 365 days (found 30).",
    ],
  ],
  // images-pinned-by-digest
  [
    "pinned images",
    "stage",
    "images-pinned-by-digest",
    task([IMAGE, `public.ecr.aws/xray/aws-xray-daemon@${DIGEST}`]),
    [],
  ],
  [
    "a tagged sidecar",
    "prod",
    "images-pinned-by-digest",
    task([IMAGE, "public.ecr.aws/xray/aws-xray-daemon:3.3.14"]),
    [
      "Pin container side-1 to an image digest: prod runs only images pinned as <registry>/<repository>@sha256:<digest> (found public.ecr.aws/xray/aws-xray-daemon:3.3.14).",
    ],
  ],
  [
    "definitions that are not JSON",
    "stage",
    "images-pinned-by-digest",
    task("not json"),
    [
      "Declare containerDefinitions as a JSON list: containerDefinitions is not a JSON list of container definitions.",
    ],
  ],
  [
    "definitions unknown during preview",
    "stage",
    "images-pinned-by-digest",
    task(UNKNOWN.string),
    [
      "Cannot check images during preview: string value at .containerDefinitions can't be known during preview.",
    ],
  ],
  // encryption-at-rest
  ["encrypted database, cache, logs", "prod", "encryption-at-rest", db(), []],
  [
    "a key ID computed during the update",
    "prod",
    "encryption-at-rest",
    logGroup({ kmsKeyId: UNKNOWN.string }),
    [],
  ],
  [
    "unencrypted database",
    "prod",
    "encryption-at-rest",
    db({ storageEncrypted: false }),
    ["Set storageEncrypted to true on database-primary: prod encrypts databases at rest."],
  ],
  [
    "unencrypted cache",
    "stage",
    "encryption-at-rest",
    cache({ atRestEncryptionEnabled: false }),
    ["Set atRestEncryptionEnabled to true on cache: stage encrypts caches at rest."],
  ],
  [
    "log group without a key",
    "prod",
    "encryption-at-rest",
    logGroup({ kmsKeyId: undefined }),
    ["Set kmsKeyId on observability-logs-app: prod encrypts it with the environment's KMS key."],
  ],
  [
    "topic without a key",
    "prod",
    "encryption-at-rest",
    { type: "aws:sns/topic:Topic", name: "alarms", props: {} },
    ["Set kmsMasterKeyId on alarms: prod encrypts it with the environment's KMS key."],
  ],
  [
    "secret without a key",
    "prod",
    "encryption-at-rest",
    { type: "aws:secretsmanager/secret:Secret", name: "auth", props: { name: "/prod/trading/x" } },
    ["Set kmsKeyId on auth: prod encrypts it with the environment's KMS key."],
  ],
  // encryption-in-transit
  ["cache with TLS", "prod", "encryption-in-transit", cache(), []],
  [
    "cache without TLS",
    "prod",
    "encryption-in-transit",
    cache({ transitEncryptionEnabled: false }),
    ["Set transitEncryptionEnabled to true on cache: prod encrypts cache traffic in transit."],
  ],
  [
    "HTTPS listener",
    "prod",
    "encryption-in-transit",
    { type: "aws:lb/listener:Listener", name: "https", props: { protocol: "HTTPS", port: 443 } },
    [],
  ],
  [
    "HTTP listener redirecting",
    "prod",
    "encryption-in-transit",
    {
      type: "aws:lb/listener:Listener",
      name: "http",
      props: {
        protocol: "HTTP",
        defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443" } }],
      },
    },
    [],
  ],
  [
    "HTTP listener forwarding",
    "prod",
    "encryption-in-transit",
    {
      type: "aws:lb/listener:Listener",
      name: "http",
      props: { protocol: "HTTP", defaultActions: [{ type: "forward" }] },
    },
    ["Make http redirect to HTTPS: prod serves plain HTTP only to redirect it."],
  ],
  [
    "TCP listener",
    "prod",
    "encryption-in-transit",
    { type: "aws:lb/listener:Listener", name: "tcp", props: { protocol: "TCP" } },
    ["Serve tcp over HTTPS or TLS: prod encrypts traffic in transit (found TCP)."],
  ],
];

describe.each(rows)("%s (%s, %s)", (_title, stack, name, fixture, messages) => {
  it(messages.length === 0 ? "passes" : "is reported exactly", async () => {
    const found = await checkResource(stack, name, fixture);
    expect(found.map((v) => v.message)).toEqual(messages);
    for (const v of found) {
      const cannot = v.message.startsWith("Cannot check");
      expect(v.enforcementLevel).toBe(
        cannot ? "advisory" : stack === "dev" ? "advisory" : "mandatory",
      );
    }
  });
});

describe("settings from the pack config", () => {
  it("raises the backup floor", async () => {
    const found = await checkResource("prod", "database-backup-retention", db(), {
      minimumDays: 30,
    });
    expect(found.map((v) => v.message)).toEqual([
      "Set backupRetentionPeriod to at least 30 on database-primary: prod keeps at least 30 days of backups (found 14).",
    ]);
  });

  it("ignores a setting of the wrong type and keeps the default", async () => {
    const found = await checkResource(
      "prod",
      "database-backup-retention",
      db({ backupRetentionPeriod: 5 }),
      {
        minimumDays: "30",
      },
    );
    expect(found.map((v) => v.message)).toEqual([
      "Set backupRetentionPeriod to at least 7 on database-primary: prod keeps at least 7 days of backups (found 5).",
    ]);
  });

  it("drops a type from the customer-managed key list", async () => {
    const found = await checkResource(
      "prod",
      "encryption-at-rest",
      logGroup({ kmsKeyId: undefined }),
      {
        customerManagedKeyTypes: ["aws:sns/topic:Topic"],
      },
    );
    expect(found).toEqual([]);
  });
});
