import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../policies/unknowns";
import { checkResource, checkStack, urnOf, type Fixture } from "./harness";

/*
 * Data that cannot be lost: each property of each policy, its failing value, its unknown value
 * during a preview, and the stacks it holds in, with the exact message an operator reads.
 */

const RDS = "aws:rds/instance:Instance";
const primary = (props: Record<string, unknown>, protect = true): Fixture => ({
  type: RDS,
  name: "database-primary",
  props: {
    deletionProtection: true,
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: "trading-prod-final",
    backupRetentionPeriod: 14,
    multiAz: true,
    ...props,
  },
  protect,
});
const replica = (props: Record<string, unknown>): Fixture => ({
  type: RDS,
  name: "database-replica",
  props: { replicateSourceDb: "database-primary", ...props },
});
const messages = (found: readonly { message: string }[]) => found.map((v) => v.message);
const levels = (found: readonly { enforcementLevel: string }[]) =>
  found.map((v) => v.enforcementLevel);

describe("prod-database-protected", () => {
  const check = (stack: "stage" | "prod", f: Fixture) =>
    checkResource(stack, "prod-database-protected", f);

  it("passes a protected primary and any replica", async () => {
    expect(await check("prod", primary({}))).toEqual([]);
    expect(
      await check(
        "prod",
        replica({ deletionProtection: false, skipFinalSnapshot: true, multiAz: false }),
      ),
    ).toEqual([]);
    expect(await check("prod", replica({ replicateSourceDb: UNKNOWN.string }))).toEqual([]);
  });

  it("wants deletion protection on", async () => {
    for (const value of [false, undefined, "false"])
      expect(messages(await check("stage", primary({ deletionProtection: value })))).toEqual([
        "Set deletionProtection to true on database-primary: stage's primary database must not be deletable.",
      ]);
    expect(await check("stage", primary({ deletionProtection: "true" }))).toEqual([]);
  });

  it("wants a final snapshot: not skipped, and named", async () => {
    const snapshot =
      "Set skipFinalSnapshot to false and a finalSnapshotIdentifier on database-primary: deleting prod's primary database must leave a snapshot.";
    expect(messages(await check("prod", primary({ skipFinalSnapshot: true })))).toEqual([snapshot]);
    expect(messages(await check("prod", primary({ skipFinalSnapshot: "true" })))).toEqual([
      snapshot,
    ]);
    expect(messages(await check("prod", primary({ finalSnapshotIdentifier: "" })))).toEqual([
      snapshot,
    ]);
    expect(messages(await check("prod", primary({ finalSnapshotIdentifier: undefined })))).toEqual([
      snapshot,
    ]);
    // An identifier computed during the update will be set.
    expect(await check("prod", primary({ finalSnapshotIdentifier: UNKNOWN.string }))).toEqual([]);
  });

  it("notes what it cannot check during a preview", async () => {
    const found = await check(
      "prod",
      primary({ deletionProtection: UNKNOWN.boolean, skipFinalSnapshot: UNKNOWN.boolean }),
    );
    expect(levels(found)).toEqual(["advisory", "advisory"]);
    expect(found[0]!.message).toMatch(/^Cannot check deletionProtection during preview: .+\.$/);
    expect(found[1]!.message).toMatch(/^Cannot check skipFinalSnapshot during preview: .+\.$/);
  });

  it("wants Pulumi's protect in prod only", async () => {
    expect(messages(await check("prod", primary({}, false)))).toEqual([
      "Set the protect resource option on database-primary: Pulumi must refuse to delete prod's primary database.",
    ]);
    expect(await check("stage", primary({}, false))).toEqual([]);
  });
});

describe("database-backup-retention", () => {
  const check = (stack: "dev" | "prod", f: Fixture, config = {}) =>
    checkResource(stack, "database-backup-retention", f, config);

  it("holds a floor per stack, settable by the pack config", async () => {
    expect(await check("prod", primary({ backupRetentionPeriod: 7 }))).toEqual([]);
    expect(messages(await check("prod", primary({ backupRetentionPeriod: 6 })))).toEqual([
      "Set backupRetentionPeriod to at least 7 on database-primary: prod keeps at least 7 days of backups (found 6).",
    ]);
    expect(await check("dev", primary({ backupRetentionPeriod: 1 }))).toEqual([]);
    expect(messages(await check("dev", primary({ backupRetentionPeriod: 0 })))).toEqual([
      "Set backupRetentionPeriod to at least 1 on database-primary: dev keeps at least 1 days of backups (found 0).",
    ]);
    expect(await check("prod", primary({ backupRetentionPeriod: 6 }), { minimumDays: 5 })).toEqual(
      [],
    );
    expect(
      messages(await check("prod", primary({ backupRetentionPeriod: 14 }), { minimumDays: 21 })),
    ).toEqual([
      "Set backupRetentionPeriod to at least 21 on database-primary: prod keeps at least 21 days of backups (found 14).",
    ]);
  });

  it("reads unset as no backups, numeric strings as numbers, anything else as failing", async () => {
    expect(messages(await check("prod", primary({ backupRetentionPeriod: undefined })))).toEqual([
      "Set backupRetentionPeriod to at least 7 on database-primary: prod keeps at least 7 days of backups (found nothing).",
    ]);
    expect(await check("prod", primary({ backupRetentionPeriod: "10" }))).toEqual([]);
    expect(messages(await check("prod", primary({ backupRetentionPeriod: "many" })))).toHaveLength(
      1,
    );
  });

  it("leaves replicas alone and notes an unknown period", async () => {
    expect(await check("prod", replica({ backupRetentionPeriod: 0 }))).toEqual([]);
    const found = await check("prod", primary({ backupRetentionPeriod: UNKNOWN.number }));
    expect(levels(found)).toEqual(["advisory"]);
    expect(found[0]!.message).toMatch(/^Cannot check backupRetentionPeriod during preview: .+\.$/);
  });
});

describe("redundancy-in-production", () => {
  const check = (f: Fixture) => checkResource("prod", "redundancy-in-production", f);
  const cache = (props: Record<string, unknown>): Fixture => ({
    type: "aws:elasticache/replicationGroup:ReplicationGroup",
    name: "cache",
    props: { automaticFailoverEnabled: true, multiAzEnabled: true, ...props },
  });

  it("wants primaries Multi-AZ, replicas exempt", async () => {
    expect(await check(primary({}))).toEqual([]);
    expect(messages(await check(primary({ multiAz: false })))).toEqual([
      "Set multiAz to true on database-primary: prod runs its databases across availability zones.",
    ]);
    expect(await check(replica({ multiAz: false }))).toEqual([]);
  });

  it("wants caches to fail over across availability zones", async () => {
    expect(await check(cache({}))).toEqual([]);
    expect(
      messages(await check(cache({ automaticFailoverEnabled: false, multiAzEnabled: false }))),
    ).toEqual([
      "Set automaticFailoverEnabled to true on cache: prod caches fail over automatically.",
      "Set multiAzEnabled to true on cache: prod caches keep replicas in another availability zone.",
    ]);
    expect(messages(await check(cache({ multiAzEnabled: undefined })))).toEqual([
      "Set multiAzEnabled to true on cache: prod caches keep replicas in another availability zone.",
    ]);
  });

  it("judges nothing else", async () => {
    expect(
      await check({ type: "aws:rds/cluster:Cluster", name: "c", props: { multiAz: false } }),
    ).toEqual([]);
  });
});

describe("buckets-versioned-and-private", () => {
  const BUCKET = "aws:s3/bucketV2:BucketV2";
  const bucket = (name = "assets", props: Record<string, unknown> = {}): Fixture => ({
    type: BUCKET,
    name,
    props: { bucket: `trading-prod-${name}`, ...props },
  });
  const versioning = (ref: string, status: unknown = "Enabled"): Fixture => ({
    type: "aws:s3/bucketVersioning:BucketVersioning",
    name: `${ref}-versioning`,
    props: { bucket: ref, versioningConfiguration: { status } },
  });
  const block = (ref: string, flags: Record<string, unknown> = {}): Fixture => ({
    type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    name: `${ref}-public-access`,
    props: {
      bucket: ref,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
      ...flags,
    },
  });
  const check = async (stack: "dev" | "prod", fixtures: readonly Fixture[]) =>
    checkStack(stack, "buckets-versioned-and-private", fixtures);
  const assets = urnOf("prod", BUCKET, "assets");
  const versionMessage =
    "Declare a BucketVersioning with status Enabled for bucket assets: prod keeps every object version.";
  const blockMessage =
    "Declare a BucketPublicAccessBlock for bucket assets: no prod bucket is public.";

  it("passes a bucket with versioning and a full public access block", async () => {
    const name = "trading-prod-assets";
    expect(await check("prod", [bucket(), versioning(name), block(name)])).toEqual([]);
  });

  it("finds what is attached by the bucket's name, its ID, its resource name or a dependency", async () => {
    expect(await check("prod", [bucket(), versioning("assets"), block("assets")])).toEqual([]);
    expect(
      await check("prod", [bucket("assets", { id: "b-123" }), versioning("b-123"), block("b-123")]),
    ).toEqual([]);
    const pending = UNKNOWN.string;
    const byDependency: Fixture[] = [
      bucket(),
      {
        ...versioning("x"),
        props: { ...versioning("x").props, bucket: pending },
        propertyDependencies: { bucket: [assets] },
      },
      {
        ...block("x"),
        props: { ...block("x").props, bucket: pending },
        propertyDependencies: { bucket: [assets] },
      },
    ];
    expect(await check("prod", byDependency)).toEqual([]);
  });

  it("wants versioning enabled, an unknown status passing", async () => {
    const name = "trading-prod-assets";
    for (const found of [[], [versioning("trading-prod-other")], [versioning(name, "Suspended")]])
      expect(await check("prod", [bucket(), ...found, block(name)])).toEqual([
        { message: versionMessage, enforcementLevel: "mandatory", urn: assets },
      ]);
    expect(await check("prod", [bucket(), versioning(name, UNKNOWN.string), block(name)])).toEqual(
      [],
    );
  });

  it("wants a public access block with every flag, on every block of the bucket", async () => {
    const name = "trading-prod-assets";
    expect(await check("prod", [bucket(), versioning(name)])).toEqual([
      { message: blockMessage, enforcementLevel: "mandatory", urn: assets },
    ]);
    for (const flag of [
      "blockPublicAcls",
      "blockPublicPolicy",
      "ignorePublicAcls",
      "restrictPublicBuckets",
    ]) {
      expect(
        messages(await check("prod", [bucket(), versioning(name), block(name, { [flag]: false })])),
      ).toEqual([
        `Set ${flag} to true on the public access block of bucket assets: no prod bucket is public.`,
      ]);
      const second = { ...block(name, { [flag]: undefined }), name: "second-block" };
      expect(
        messages(await check("prod", [bucket(), versioning(name), block(name), second])),
      ).toEqual([
        `Set ${flag} to true on the public access block of bucket assets: no prod bucket is public.`,
      ]);
      expect(
        await check("prod", [bucket(), versioning(name), block(name, { [flag]: UNKNOWN.boolean })]),
      ).toEqual([]);
    }
  });

  it("judges each bucket of either type on its own, advisory in dev", async () => {
    const other: Fixture = {
      type: "aws:s3/bucket:Bucket",
      name: "logs",
      props: { bucket: "logs" },
    };
    const name = "trading-dev-assets";
    const found = await check("dev", [
      bucket("assets", { bucket: name }),
      versioning(name),
      block(name),
      other,
    ]);
    expect(found).toEqual([
      {
        message:
          "Declare a BucketVersioning with status Enabled for bucket logs: dev keeps every object version.",
        enforcementLevel: "advisory",
        urn: urnOf("dev", "aws:s3/bucket:Bucket", "logs"),
      },
      {
        message: "Declare a BucketPublicAccessBlock for bucket logs: no dev bucket is public.",
        enforcementLevel: "advisory",
        urn: urnOf("dev", "aws:s3/bucket:Bucket", "logs"),
      },
    ]);
  });
});

describe("log-retention-floor", () => {
  const group = (retentionInDays: unknown): Fixture => ({
    type: "aws:cloudwatch/logGroup:LogGroup",
    name: "app-logs",
    props: { retentionInDays },
  });
  const check = (f: Fixture, config = {}) =>
    checkResource("prod", "log-retention-floor", f, config);

  it("keeps prod's logs a year, or forever", async () => {
    expect(await check(group(365))).toEqual([]);
    expect(await check(group("400"))).toEqual([]);
    expect(await check(group(0))).toEqual([]);
    expect(await check(group(undefined))).toEqual([]);
    expect(messages(await check(group(90)))).toEqual([
      "Set retentionInDays to at least 365 on app-logs: prod keeps logs for at least 365 days (found 90).",
    ]);
    expect(messages(await check(group(364)))).toHaveLength(1);
    expect(messages(await check(group("often")))).toHaveLength(1);
  });

  it("takes its floor from the pack config and notes an unknown retention", async () => {
    expect(await check(group(90), { minimumDays: 90 })).toEqual([]);
    expect(messages(await check(group(90), { minimumDays: 91 }))).toEqual([
      "Set retentionInDays to at least 91 on app-logs: prod keeps logs for at least 91 days (found 90).",
    ]);
    const found = await check(group(UNKNOWN.number));
    expect(levels(found)).toEqual(["advisory"]);
    expect(found[0]!.message).toMatch(/^Cannot check retentionInDays during preview: .+\.$/);
    expect(
      await checkResource("prod", "log-retention-floor", {
        type: "aws:s3/bucketV2:BucketV2",
        name: "x",
        props: { retentionInDays: 1 },
      }),
    ).toEqual([]);
  });
});
