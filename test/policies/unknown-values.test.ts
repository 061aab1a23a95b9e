import { describe, expect, it } from "vitest";
import type { StackName } from "../../src/model";
import { UNKNOWN } from "../../policies/unknowns";
import { checkResource, type Fixture } from "./harness";

/**
 * During a preview the engine sends values computed by the update as unknowns. A policy that
 * needs one notes it (advisory) and judges it on update; it neither passes nor fails the
 * resource on a guess. And a policy reads only the resource types it is about.
 */

const RDS = "aws:rds/instance:Instance";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const ROLE = "aws:iam/role:Role";

const primary = (props: Record<string, unknown>): Fixture => ({
  type: RDS,
  name: "db",
  protect: true,
  props: {
    deletionProtection: true,
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: "db-final",
    backupRetentionPeriod: 14,
    ...props,
  },
});

const unknownCases: [string, StackName, string, Fixture, string][] = [
  [
    "a final snapshot decided by the update",
    "prod",
    "prod-database-protected",
    primary({ skipFinalSnapshot: UNKNOWN.boolean }),
    "Cannot check skipFinalSnapshot during preview",
  ],
  [
    "a backup retention decided by the update",
    "stage",
    "database-backup-retention",
    primary({ backupRetentionPeriod: UNKNOWN.number }),
    "Cannot check backupRetentionPeriod during preview",
  ],
  [
    "a log retention decided by the update",
    "prod",
    "log-retention-floor",
    { type: LOG_GROUP, name: "logs", props: { retentionInDays: UNKNOWN.number } },
    "Cannot check retentionInDays during preview",
  ],
  [
    "a role path decided by the update",
    "prod",
    "iam-permissions-boundary",
    { type: ROLE, name: "role", props: { path: UNKNOWN.string } },
    "Cannot check the path of role during preview",
  ],
  [
    "a permissions boundary decided by the update",
    "prod",
    "iam-permissions-boundary",
    { type: ROLE, name: "role", props: { path: "/prod/", permissionsBoundary: UNKNOWN.string } },
    "Cannot check permissionsBoundary of role during preview",
  ],
  [
    "a trust policy decided by the update",
    "prod",
    "iam-role-trust",
    { type: ROLE, name: "role", props: { assumeRolePolicy: UNKNOWN.string } },
    "Cannot check assumeRolePolicy during preview",
  ],
];

describe("values unknown during preview are noted, not guessed", () => {
  it.each(unknownCases)("%s (%s, %s)", async (_title, stack, policy, fixture, note) => {
    const found = await checkResource(stack, policy, fixture);
    expect(found).toHaveLength(1);
    expect(found[0]!.enforcementLevel).toBe("advisory");
    expect(found[0]!.message).toMatch(new RegExp(`^${note}: .+\\.$`));
  });
});

describe("a policy reads only the types it is about", () => {
  const notADatabase: Fixture = {
    type: "aws:s3/bucket:Bucket",
    name: "db",
    props: { deletionProtection: false, skipFinalSnapshot: true, backupRetentionPeriod: 0 },
  };
  it.each([
    ["prod-database-protected", notADatabase],
    ["database-backup-retention", notADatabase],
    [
      "log-retention-floor",
      { type: "aws:s3/bucket:Bucket", name: "logs", props: { retentionInDays: 1 } },
    ],
  ] as const)("%s ignores a bucket with the same properties", async (policy, fixture) => {
    expect(await checkResource("prod", policy, fixture)).toEqual([]);
  });

  it.each(["prod-database-protected", "database-backup-retention"])(
    "%s leaves read replicas to their primary, as far as they are known to be replicas",
    async (policy) => {
      const replica = primary({
        replicateSourceDb: "db",
        deletionProtection: false,
        skipFinalSnapshot: true,
        backupRetentionPeriod: 0,
      });
      expect(await checkResource("prod", policy, replica)).toEqual([]);
      const weakPrimary = primary({
        deletionProtection: false,
        skipFinalSnapshot: true,
        backupRetentionPeriod: 0,
      });
      expect((await checkResource("prod", policy, weakPrimary)).length).toBeGreaterThan(0);
    },
  );
});
