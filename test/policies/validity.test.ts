import { SAMPLE } from "../harness/sample";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { environments, POSTGRES_VERSIONS, type StackName } from "../../src/model";
import { UNKNOWN } from "../../policies/unknowns";
import { awsProvider, checkResource, checkStack, urnOf, type Fixture } from "./harness";

const RDS = "aws:rds/instance:Instance";
const REDIS = "aws:elasticache/replicationGroup:ReplicationGroup";
const LISTENER = "aws:lb/listener:Listener";
const VPC = "aws:ec2/vpc:Vpc";
const CERT = `arn:aws:acm:${SAMPLE.region}:123456789012:certificate/0d3f1c2e-5a6b-4c7d-8e9f-0a1b2c3d4e5f`;
const VERSIONS = POSTGRES_VERSIONS.join(", ");
const FAMILIES = "db.t3, db.t4g, db.m6g, db.m7g, db.m6i, db.m7i, db.r6g, db.r7g, db.r6i, db.r7i";

const db = (props: Record<string, unknown> = {}): Fixture => ({
  type: RDS,
  name: "database-primary",
  props: { engine: "postgres", engineVersion: "16.13", instanceClass: "db.r6g.large", ...props },
});
const replica = (props: Record<string, unknown> = {}): Fixture => ({
  type: RDS,
  name: "database-replica-1",
  props: { replicateSourceDb: `${SAMPLE.app}-prod-db`, instanceClass: "db.r6g.large", ...props },
});
const cache = (props: Record<string, unknown> = {}): Fixture => ({
  type: REDIS,
  name: "cache-redis",
  props: {
    clusterMode: "enabled",
    parameterGroupName: "default.redis7.cluster.on",
    numNodeGroups: 2,
    replicasPerNodeGroup: 1,
    automaticFailoverEnabled: true,
    multiAzEnabled: true,
    ...props,
  },
});
const listener = (props: Record<string, unknown> = {}, stack = "prod"): Fixture => ({
  type: LISTENER,
  name: "service-https",
  props: { port: 443, protocol: "HTTPS", certificateArn: CERT, ...props },
  provider: awsProvider(stack),
});
const vpc = (cidrBlock: unknown): Fixture => ({
  type: VPC,
  name: "network-vpc",
  props: { cidrBlock },
});

type Row = [string, string, Fixture, string[]];

const rows: Row[] = [
  // database-engine-version-creatable
  ["a catalogue version", "database-engine-version-creatable", db(), []],
  [
    "a major version RDS resolves",
    "database-engine-version-creatable",
    db({ engineVersion: "17" }),
    [],
  ],
  ["replicas inherit the version", "database-engine-version-creatable", replica(), []],
  [
    "other engines are not ours",
    "database-engine-version-creatable",
    db({ engine: "mysql", engineVersion: "8.0.36" }),
    [],
  ],
  [
    "a deprecated minor version",
    "database-engine-version-creatable",
    db({ engineVersion: "16.4" }),
    [
      `Set engineVersion on database-primary to one RDS can create today (${VERSIONS}): RDS refuses to create 16.4.`,
    ],
  ],
  [
    "a major version RDS no longer creates",
    "database-engine-version-creatable",
    db({ engineVersion: "12" }),
    [
      `Set engineVersion on database-primary to one RDS can create today (${VERSIONS}): RDS refuses to create 12.`,
    ],
  ],
  [
    "engine version unknown",
    "database-engine-version-creatable",
    db({ engineVersion: UNKNOWN.string }),
    [
      "Cannot check engineVersion during preview: string value at .engineVersion can't be known during preview.",
    ],
  ],
  // database-instance-class-offered
  ["a catalogue class", "database-instance-class-offered", db(), []],
  [
    "a replica with a class RDS does not offer",
    "database-instance-class-offered",
    replica({ instanceClass: "db.r6g.huge" }),
    [
      `Set instanceClass on database-replica-1 to one RDS offers for PostgreSQL (families ${FAMILIES}): found db.r6g.huge.`,
    ],
  ],
  [
    "a primary without a class",
    "database-instance-class-offered",
    db({ instanceClass: undefined }),
    [
      `Set instanceClass on database-primary to one RDS offers for PostgreSQL (families ${FAMILIES}): found nothing.`,
    ],
  ],
  [
    "instance class unknown",
    "database-instance-class-offered",
    db({ instanceClass: UNKNOWN.string }),
    [
      "Cannot check instanceClass during preview: string value at .instanceClass can't be known during preview.",
    ],
  ],
  // cache-failover-shape
  ["replicated cluster mode", "cache-failover-shape", cache(), []],
  [
    "cluster mode without replicas fails over, without Multi-AZ",
    "cache-failover-shape",
    cache({ replicasPerNodeGroup: 0, multiAzEnabled: false }),
    [],
  ],
  [
    "cluster mode without automatic failover",
    "cache-failover-shape",
    cache({ replicasPerNodeGroup: 0, automaticFailoverEnabled: false, multiAzEnabled: false }),
    [
      "Set automaticFailoverEnabled to true on cache-redis: ElastiCache refuses a cluster-mode replication group without automatic failover.",
    ],
  ],
  [
    "cluster mode told by its parameter group alone",
    "cache-failover-shape",
    cache({
      clusterMode: undefined,
      automaticFailoverEnabled: undefined,
      multiAzEnabled: undefined,
    }),
    [
      "Set automaticFailoverEnabled to true on cache-redis: ElastiCache refuses a cluster-mode replication group without automatic failover.",
    ],
  ],
  [
    "Multi-AZ without replicas",
    "cache-failover-shape",
    cache({ replicasPerNodeGroup: 0 }),
    [
      "Set multiAzEnabled to false on cache-redis, or give it replicas: Multi-AZ needs a replica in another availability zone to promote.",
    ],
  ],
  [
    "Multi-AZ on a single-node group without cluster mode",
    "cache-failover-shape",
    cache({
      clusterMode: "disabled",
      parameterGroupName: "default.redis7",
      replicasPerNodeGroup: undefined,
      numCacheClusters: 1,
      automaticFailoverEnabled: false,
    }),
    [
      "Set automaticFailoverEnabled to true on cache-redis, or multiAzEnabled to false: Multi-AZ needs automatic failover.",
      "Set multiAzEnabled to false on cache-redis, or give it replicas: Multi-AZ needs a replica in another availability zone to promote.",
    ],
  ],
  [
    "automatic failover unknown",
    "cache-failover-shape",
    cache({ automaticFailoverEnabled: UNKNOWN.boolean }),
    [
      "Cannot check automaticFailoverEnabled during preview: boolean value at .automaticFailoverEnabled can't be known during preview.",
    ],
  ],
  // listener-certificate-in-stack-region
  [
    "a certificate of the provider's region",
    "listener-certificate-in-stack-region",
    listener(),
    [],
  ],
  [
    "the HTTP redirect has no certificate",
    "listener-certificate-in-stack-region",
    listener({ port: 80, protocol: "HTTP", certificateArn: undefined }),
    [],
  ],
  [
    "a certificate from us-east-1",
    "listener-certificate-in-stack-region",
    listener({ certificateArn: CERT.replace(`${SAMPLE.region}`, "us-east-1") }),
    [
      `Set certificateArn on service-https to a certificate in ${SAMPLE.region} (arn:aws:acm:${SAMPLE.region}:...): the load balancer uses ACM certificates of its own region only, found ${CERT.replace(`${SAMPLE.region}`, "us-east-1")}.`,
    ],
  ],
  [
    "a certificate of another partition",
    "listener-certificate-in-stack-region",
    listener({ certificateArn: CERT.replace("arn:aws:", "arn:aws-cn:") }),
    [
      `Set certificateArn on service-https to a certificate in ${SAMPLE.region} (arn:aws:acm:${SAMPLE.region}:...): the load balancer uses ACM certificates of its own region only, found ${CERT.replace("arn:aws:", "arn:aws-cn:")}.`,
    ],
  ],
  [
    "not an ACM certificate ARN",
    "listener-certificate-in-stack-region",
    listener({ certificateArn: "arn:aws:iam::123456789012:server-certificate/legacy" }),
    [
      `Set certificateArn on service-https to an ACM certificate ARN (arn:aws:acm:${SAMPLE.region}:<account>:certificate/<id>): found arn:aws:iam::123456789012:server-certificate/legacy.`,
    ],
  ],
  [
    "no provider region known",
    "listener-certificate-in-stack-region",
    { ...listener(), provider: undefined },
    [
      "Cannot check the region of service-https's certificate: its provider's region is not known to the pack.",
    ],
  ],
  [
    "certificate unknown",
    "listener-certificate-in-stack-region",
    listener({ certificateArn: UNKNOWN.string }),
    [
      "Cannot check certificateArn during preview: string value at .certificateArn can't be known during preview.",
    ],
  ],
  // vpc-cidr-valid
  ["a /16 network address", "vpc-cidr-valid", vpc("10.30.0.0/16"), []],
  ["a /28 network address", "vpc-cidr-valid", vpc("10.30.0.16/28"), []],
  ["an IPAM-allocated block", "vpc-cidr-valid", vpc(undefined), []],
  [
    "host bits set",
    "vpc-cidr-valid",
    vpc("10.30.1.0/16"),
    ["Set cidrBlock on network-vpc to 10.30.0.0/16: 10.30.1.0/16 has host bits set."],
  ],
  [
    "larger than /16",
    "vpc-cidr-valid",
    vpc("10.0.0.0/8"),
    ["Set cidrBlock on network-vpc to a block from /16 to /28: AWS creates no VPC of 10.0.0.0/8."],
  ],
  [
    "smaller than /28",
    "vpc-cidr-valid",
    vpc("10.30.0.0/29"),
    [
      "Set cidrBlock on network-vpc to a block from /16 to /28: AWS creates no VPC of 10.30.0.0/29.",
    ],
  ],
  [
    "not a CIDR block",
    "vpc-cidr-valid",
    vpc("10.30.0.0"),
    ["Set cidrBlock on network-vpc to an IPv4 CIDR block: found 10.30.0.0."],
  ],
  [
    "block unknown",
    "vpc-cidr-valid",
    vpc(UNKNOWN.string),
    [
      "Cannot check cidrBlock during preview: string value at .cidrBlock can't be known during preview.",
    ],
  ],
];

describe.each(environments().names)("in %s", (stack: StackName) => {
  describe.each(rows)("%s (%s)", (_title, name, fixture, messages) => {
    it(messages.length === 0 ? "passes" : "is reported exactly, mandatory", async () => {
      const found = await checkResource(stack, name, fixture);
      expect(found.map((v) => v.message)).toEqual(messages);
      for (const v of found) {
        expect(v.enforcementLevel).toBe(
          v.message.startsWith("Cannot check") ? "advisory" : "mandatory",
        );
      }
    });
  });
});

describe("vpc-disjoint-from-prod", () => {
  const NAME = "vpc-disjoint-from-prod";
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-validity-"));
  /** The committed prod stack file with its network range replaced. */
  function prodFile(cidr: string): string {
    const text = fs
      .readFileSync(path.join(__dirname, "..", "..", "Pulumi.prod.yaml"), "utf8")
      .replace(/(\n\s+cidr: ).*/, `$1${cidr}`);
    const file = path.join(tmp, `prod-${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(file, text);
    return file;
  }
  const config = { prodStackFile: prodFile("10.40.0.0/16") };

  it("passes a stage range apart from prod's", async () => {
    expect(await checkStack("stage", NAME, [vpc("10.20.0.0/16")], config)).toEqual([]);
  });

  it("reports a stage range inside prod's, on the VPC", async () => {
    expect(await checkStack("stage", NAME, [vpc("10.40.16.0/20")], config)).toEqual([
      {
        message:
          "Move network-vpc's cidrBlock 10.40.16.0/20 off prod's 10.40.0.0/16: stage and prod networks must not overlap (peering between overlapping VPCs fails).",
        enforcementLevel: "mandatory",
        urn: urnOf("stage", VPC, "network-vpc"),
      },
    ]);
  });

  it("reports dev's overlap as advisory", async () => {
    expect(
      (await checkStack("dev", NAME, [vpc("10.40.0.0/16")], config)).map((v) => v.enforcementLevel),
    ).toEqual(["advisory"]);
  });

  it("notes an unknown range instead of passing it", async () => {
    expect(await checkStack("stage", NAME, [vpc(UNKNOWN.string)], config)).toEqual([
      {
        message:
          "Cannot check cidrBlock of network-vpc during preview: string value at .cidrBlock can't be known during preview.",
        enforcementLevel: "advisory",
        urn: urnOf("stage", VPC, "network-vpc"),
      },
    ]);
  });

  it("reports a broken baseline rather than passing", async () => {
    const found = await checkStack("stage", NAME, [vpc("10.20.0.0/16")], {
      prodStackFile: path.join(tmp, "missing.yaml"),
    });
    expect(found.map((v) => v.message.split(":")[0])).toEqual([
      "Fix the prod baseline before this check can run",
    ]);
  });
});
