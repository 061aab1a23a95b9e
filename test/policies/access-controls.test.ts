import { describe, expect, it } from "vitest";
import type { StackName } from "../../src/model";
import { UNKNOWN } from "../../policies/unknowns";
import { checkResource, checkStack, urnOf, type Fixture } from "./harness";

const RDS = "aws:rds/instance:Instance";
const GROUP = "aws:rds/parameterGroup:ParameterGroup";
const REDIS = "aws:elasticache/replicationGroup:ReplicationGroup";

const group = (parameters: unknown, name = "trading-stage-postgres16"): Fixture => ({
  type: GROUP,
  name: "database-params",
  props: { name, family: "postgres16", parameters },
});
const FORCED = [
  { name: "rds.force_ssl", value: "1" },
  { name: "log_connections", value: "1" },
];
const instance = (props: Record<string, unknown> = {}, name = "database-primary"): Fixture => ({
  type: RDS,
  name,
  props: { engineVersion: "16.13", parameterGroupName: "trading-stage-postgres16", ...props },
});

describe("database-tls-enforced", () => {
  const check = (fixtures: Fixture[], stack: StackName = "stage") =>
    checkStack(stack, "database-tls-enforced", fixtures);

  it("passes a primary and a replica on a declared group that forces TLS", async () => {
    expect(
      await check([
        group(FORCED),
        instance(),
        instance({ replicateSourceDb: "trading-stage-db" }, "database-replica-1"),
      ]),
    ).toEqual([]);
  });

  it.each([
    ["left out", [{ name: "log_connections", value: "1" }]],
    ["0", [{ name: "rds.force_ssl", value: "0" }]],
    ["no parameters", undefined],
  ])("reports the group once when rds.force_ssl is %s", async (_what, parameters) => {
    expect(
      await check([
        group(parameters),
        instance(),
        instance({ replicateSourceDb: "trading-stage-db" }, "database-replica-1"),
      ]),
    ).toEqual([
      {
        message:
          "Set rds.force_ssl to 1 in parameter group database-params: stage accepts only TLS connections to PostgreSQL (database-primary uses it).",
        enforcementLevel: "mandatory",
        urn: urnOf("stage", GROUP, "database-params"),
      },
    ]);
  });

  it("accepts rds.force_ssl given as a number", async () => {
    expect(await check([group([{ name: "rds.force_ssl", value: 1 }]), instance()])).toEqual([]);
  });

  it("reports a group the stack does not declare on the instance", async () => {
    expect(
      await check([group(FORCED), instance({ parameterGroupName: "shared-postgres16" })], "prod"),
    ).toEqual([
      {
        message:
          "Set parameterGroupName on database-primary to a parameter group the stack declares with rds.force_ssl = 1: prod accepts only TLS connections to PostgreSQL (found shared-postgres16, not declared here).",
        enforcementLevel: "mandatory",
        urn: urnOf("prod", RDS, "database-primary"),
      },
    ]);
  });

  // RDS for PostgreSQL 15 and later defaults rds.force_ssl to 1; earlier majors to 0.
  it.each([
    ["default.postgres15", {}, []],
    ["default.postgres16", {}, []],
    [undefined, { engineVersion: "16.13" }, []],
    [undefined, { engineVersion: "15.4" }, []],
  ])("passes the default group %s (%j)", async (name, props, expected) => {
    expect(await check([instance({ parameterGroupName: name, ...props })])).toEqual(expected);
  });

  it.each([
    ["default.postgres14", {}, "default.postgres14"],
    [undefined, { engineVersion: "14.12" }, "the default group"],
    [undefined, { engineVersion: undefined }, "the default group"],
  ])("reports the default group %s (%j) before PostgreSQL 15", async (name, props, found) => {
    expect(await check([instance({ parameterGroupName: name, ...props })])).toEqual([
      {
        message: `Set parameterGroupName on database-primary to a parameter group with rds.force_ssl = 1: stage accepts only TLS connections to PostgreSQL (found ${found}, which does not force TLS before PostgreSQL 15).`,
        enforcementLevel: "mandatory",
        urn: urnOf("stage", RDS, "database-primary"),
      },
    ]);
  });

  it("finds a group Pulumi names through the instance's dependency", async () => {
    const primary: Fixture = {
      ...instance({ parameterGroupName: "database-params-3f9a1c2" }),
      propertyDependencies: { parameterGroupName: [urnOf("stage", GROUP, "database-params")] },
    };
    const autoNamed = (parameters: unknown): Fixture => {
      const g = group(parameters);
      return { ...g, props: { family: g.props["family"], parameters } };
    };
    expect(await check([autoNamed([]), primary])).toEqual([
      expect.objectContaining({ urn: urnOf("stage", GROUP, "database-params") }),
    ]);
    expect(await check([autoNamed(FORCED), primary])).toEqual([]);
  });

  it("does not follow the dependency to a named group when the instance names another", async () => {
    const primary: Fixture = {
      ...instance({ parameterGroupName: "default.postgres14" }),
      propertyDependencies: { parameterGroupName: [urnOf("stage", GROUP, "database-params")] },
    };
    expect(await check([group(FORCED), primary])).toEqual([
      expect.objectContaining({ urn: urnOf("stage", RDS, "database-primary") }),
    ]);
  });

  it("notes unknown values during preview instead of passing or failing them", async () => {
    expect(await check([instance({ parameterGroupName: UNKNOWN.string })])).toEqual([
      {
        message: `Cannot check parameterGroupName during preview: string value at .parameterGroupName can't be known during preview.`,
        enforcementLevel: "advisory",
        urn: urnOf("stage", RDS, "database-primary"),
      },
    ]);
    expect(await check([group(UNKNOWN.array), instance()])).toEqual([
      {
        message: "Cannot check the parameters of database-params during preview.",
        enforcementLevel: "advisory",
        urn: urnOf("stage", GROUP, "database-params"),
      },
    ]);
  });

  it("is advisory in dev", async () => {
    expect((await check([group([]), instance()], "dev")).map((v) => v.enforcementLevel)).toEqual([
      "advisory",
    ]);
  });
});

describe("cache-requires-auth", () => {
  const cache = (props: Record<string, unknown>): Fixture => ({
    type: REDIS,
    name: "cache-redis",
    props: { transitEncryptionEnabled: true, ...props },
  });
  const check = (props: Record<string, unknown>, stack: StackName = "prod") =>
    checkResource(stack, "cache-requires-auth", cache(props));

  it.each([
    ["an AUTH token", { authToken: "x".repeat(64) }],
    ["a token computed during the update", { authToken: UNKNOWN.string }],
    ["RBAC user groups", { userGroupIds: ["trading-users"] }],
  ])("passes %s", async (_what, props) => {
    expect(await check(props)).toEqual([]);
  });

  it.each([
    ["no token", {}],
    ["an empty token", { authToken: "" }],
    ["an empty user group list", { userGroupIds: [] }],
  ])("reports %s", async (_what, props) => {
    expect(await check(props)).toEqual([
      {
        message:
          "Set authToken on cache-redis from its Secrets Manager secret: prod's Redis answers only clients that authenticate.",
        enforcementLevel: "mandatory",
      },
    ]);
  });

  it("ignores other resources and is advisory in dev", async () => {
    expect(await checkResource("prod", "cache-requires-auth", { ...cache({}), type: RDS })).toEqual(
      [],
    );
    expect((await check({}, "dev")).map((v) => v.enforcementLevel)).toEqual(["advisory"]);
  });
});
