import {
  ACM_CERTIFICATE_ARN,
  AWS_DOCS,
  POSTGRES_VERSIONS,
  RDS_POSTGRES_INSTANCE_CLASSES,
  isPostgresInstanceClass,
  isPostgresVersion,
  networkOf,
  overlaps,
  parseIpv4Block,
  type Role,
  environments,
} from "../src/model";
import { baselineOf, stackFileSettings } from "./baselines";
import { RDS_INSTANCE, REPLICATION_GROUP } from "./data-safety";
import {
  isReplica,
  isTrue,
  ofType,
  read,
  show,
  toNumber,
  type Level,
  type Report,
  type ResourcePolicyDefinition,
  type StackPolicyDefinition,
} from "./support";

export const VPC = "aws:ec2/vpc:Vpc";
export const LISTENERS = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];

/** AWS refuses these at apply whatever the stack: block the preview in every stack. */
const EVERYWHERE: Readonly<Record<Role, Level>> = {
  development: "mandatory",
  "production-like": "mandatory",
  production: "mandatory",
};

/** Reads a property; an unknown value is noted as an advisory and yields undefined. */
function known(report: Report, props: unknown, path: string): { value: unknown } | undefined {
  const r = read(props, path);
  if (r.known) return { value: r.value };
  report(`Cannot check ${path} during preview: ${r.reason}.`, { level: "advisory" });
  return undefined;
}

/** `16` (a major version RDS resolves to its default minor) or a catalogue `16.13`. */
function creatable(version: string): boolean {
  if (/^\d+$/.test(version)) return POSTGRES_VERSIONS.some((v) => v.startsWith(`${version}.`));
  return isPostgresVersion(version);
}

export const databaseVersionCreatable: ResourcePolicyDefinition = {
  name: "database-engine-version-creatable",
  description:
    "Checks whether every PostgreSQL primary, and every replica that names one, asks for an engine version RDS can still create (deprecated minor versions are refused at creation).",
  severity: "high",
  documentation: AWS_DOCS.postgresVersions,
  remediationSteps:
    "Set envstack:database.engineVersion to a version of src/model/catalogue.ts (the same in all three stack files); move the catalogue forward when RDS deprecates a minor version.",
  levels: EVERYWHERE,
  suppressible: false,
  validateResource: (args, report) => {
    if (args.type !== RDS_INSTANCE) return;
    const replica = isReplica(args.props);
    // A replica takes its source's engine and version unless it names them
    // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html).
    const engine = known(report, args.props, "engine");
    if (engine === undefined) return;
    if (engine.value !== "postgres" && !(replica && engine.value === undefined)) return;
    const version = known(report, args.props, "engineVersion");
    if (version === undefined) return;
    if (replica && (version.value === undefined || version.value === null)) return;
    if (typeof version.value === "string" && creatable(version.value)) return;
    report(
      `Set engineVersion on ${args.name} to one RDS can create today (${POSTGRES_VERSIONS.join(", ")}): RDS refuses to create ${show(version.value)}.`,
    );
  },
};

export const databaseInstanceClassOffered: ResourcePolicyDefinition = {
  name: "database-instance-class-offered",
  description:
    "Checks whether every PostgreSQL instance, primary or replica, uses an instance class RDS offers for PostgreSQL.",
  severity: "high",
  documentation: AWS_DOCS.rdsInstanceClasses,
  remediationSteps:
    "Set envstack:database.instanceClass to an instance class of src/model/catalogue.ts, such as db.r6g.large.",
  levels: EVERYWHERE,
  suppressible: false,
  validateResource: (args, report) => {
    if (args.type !== RDS_INSTANCE) return;
    const engine = read(args.props, "engine");
    // A replica inherits its engine from the source; only a known other engine is skipped.
    if (engine.known && engine.value !== undefined && engine.value !== "postgres") return;
    const cls = known(report, args.props, "instanceClass");
    if (cls === undefined) return;
    if (typeof cls.value === "string" && isPostgresInstanceClass(cls.value)) return;
    const families = [
      ...new Set(RDS_POSTGRES_INSTANCE_CLASSES.map((c) => c.split(".").slice(0, 2).join("."))),
    ];
    report(
      `Set instanceClass on ${args.name} to one RDS offers for PostgreSQL (families ${families.join(", ")}): found ${show(cls.value)}.`,
    );
  },
};

export const cacheFailoverShape: ResourcePolicyDefinition = {
  name: "cache-failover-shape",
  description:
    "Checks whether every cluster-mode replication group enables automatic failover, and whether Multi-AZ is only asked for with automatic failover and at least one replica.",
  severity: "high",
  documentation: AWS_DOCS.createReplicationGroup,
  remediationSteps:
    "Keep automaticFailoverEnabled true on cluster-mode replication groups (the cache component does), and set multiAzEnabled only with replicas (envstack:cache.replicasPerShard above 0).",
  levels: EVERYWHERE,
  suppressible: false,
  validateResource: (args, report) => {
    if (args.type !== REPLICATION_GROUP) return;
    const mode = read(args.props, "clusterMode");
    const group = read(args.props, "parameterGroupName");
    const clusterMode =
      (mode.known && mode.value === "enabled") ||
      (group.known && typeof group.value === "string" && group.value.endsWith(".cluster.on"));
    const failover = known(report, args.props, "automaticFailoverEnabled");
    if (failover === undefined) return;
    const failsOver = isTrue(failover.value);
    if (clusterMode && !failsOver) {
      report(
        `Set automaticFailoverEnabled to true on ${args.name}: ElastiCache refuses a cluster-mode replication group without automatic failover.`,
      );
    }
    const multiAz = known(report, args.props, "multiAzEnabled");
    if (multiAz === undefined || !isTrue(multiAz.value)) return;
    if (!failsOver) {
      report(
        `Set automaticFailoverEnabled to true on ${args.name}, or multiAzEnabled to false: Multi-AZ needs automatic failover.`,
      );
    }
    const replicas = clusterMode
      ? read(args.props, "replicasPerNodeGroup")
      : read(args.props, "numCacheClusters");
    if (!replicas.known) {
      report(`Cannot check the replicas of ${args.name} during preview: ${replicas.reason}.`, {
        level: "advisory",
      });
      return;
    }
    const count = clusterMode ? toNumber(replicas.value ?? 0) : toNumber(replicas.value ?? 1) - 1;
    if (count === 0) {
      report(
        `Set multiAzEnabled to false on ${args.name}, or give it replicas: Multi-AZ needs a replica in another availability zone to promote.`,
      );
    }
  },
};

export const listenerCertificateInRegion: ResourcePolicyDefinition = {
  name: "listener-certificate-in-stack-region",
  description:
    "Checks whether every load balancer listener's certificate is an ACM certificate of the listener's own region and partition.",
  severity: "high",
  documentation: AWS_DOCS.acmRegions,
  remediationSteps:
    "Set envstack:loadBalancer.certificateArn to a certificate requested or imported in the stack's aws:region (ACM certificates cannot be copied between regions).",
  levels: EVERYWHERE,
  suppressible: false,
  validateResource: (args, report) => {
    if (!LISTENERS.includes(args.type)) return;
    const arn = known(report, args.props, "certificateArn");
    if (arn === undefined || arn.value === undefined || arn.value === null) return;
    const region = args.provider ? read(args.provider.props, "region") : undefined;
    if (region === undefined || !region.known || typeof region.value !== "string") {
      report(
        `Cannot check the region of ${args.name}'s certificate: its provider's region is not known to the pack.`,
        { level: "advisory" },
      );
      return;
    }
    const parts = typeof arn.value === "string" ? ACM_CERTIFICATE_ARN.exec(arn.value) : null;
    if (!parts) {
      report(
        `Set certificateArn on ${args.name} to an ACM certificate ARN (arn:aws:acm:${region.value}:<account>:certificate/<id>): found ${show(arn.value)}.`,
      );
      return;
    }
    if (parts[1] !== "aws" || parts[2] !== region.value) {
      report(
        `Set certificateArn on ${args.name} to a certificate in ${region.value} (arn:aws:acm:${region.value}:...): the load balancer uses ACM certificates of its own region only, found ${show(arn.value)}.`,
      );
    }
  },
};

export const vpcCidrValid: ResourcePolicyDefinition = {
  name: "vpc-cidr-valid",
  description:
    "Checks whether every VPC's IPv4 block is a network address (no host bits set) from /16 to /28.",
  severity: "high",
  documentation: AWS_DOCS.createVpc,
  remediationSteps:
    "Set envstack:network.cidr to a network address from /16 to /20 (the program's subnet carving needs /20 or larger), such as 10.30.0.0/16.",
  levels: EVERYWHERE,
  suppressible: false,
  validateResource: (args, report) => {
    if (args.type !== VPC) return;
    const cidr = known(report, args.props, "cidrBlock");
    // An IPAM pool allocates the block instead: nothing to check here.
    if (cidr === undefined || cidr.value === undefined || cidr.value === null) return;
    const block = typeof cidr.value === "string" ? parseIpv4Block(cidr.value) : undefined;
    if (block === undefined) {
      report(`Set cidrBlock on ${args.name} to an IPv4 CIDR block: found ${show(cidr.value)}.`);
      return;
    }
    if (block.prefix < 16 || block.prefix > 28) {
      report(
        `Set cidrBlock on ${args.name} to a block from /16 to /28: AWS creates no VPC of ${show(cidr.value)}.`,
      );
    }
    const network = networkOf(block);
    if (network !== cidr.value) {
      report(`Set cidrBlock on ${args.name} to ${network}: ${show(cidr.value)} has host bits set.`);
    }
  },
};

export const vpcDisjointFromProd: StackPolicyDefinition = {
  name: "vpc-disjoint-from-prod",
  description:
    "Checks whether the stack's VPCs stay clear of the committed prod stack's network range, so the environments can be peered or routed to each other.",
  severity: "medium",
  documentation: AWS_DOCS.vpcPeeringOverlap,
  remediationSteps:
    "Give envstack:network.cidr a range that does not overlap prod's (network ranges may differ between stacks; they must not collide).",
  // Prod is the baseline itself. An overlap is refused when the VPCs are peered, not when they
  // are created, which is why dev only hears about it.
  levels: { development: "advisory", "production-like": "mandatory", production: "disabled" },
  suppressible: true,
  settings: stackFileSettings,
  validateStack: (args, report, { stack, settings }) => {
    const production = environments().production;
    if (stack === production) return;
    const baseline = baselineOf(settings, production);
    if (!baseline.ok) {
      report(baseline.message);
      return;
    }
    const prodCidr = baseline.spec.network.cidr;
    const prod = parseIpv4Block(prodCidr);
    if (prod === undefined) return;
    for (const vpc of ofType(args.resources, VPC)) {
      const cidr = read(vpc.props, "cidrBlock");
      if (!cidr.known) {
        report(`Cannot check cidrBlock of ${vpc.name} during preview: ${cidr.reason}.`, {
          level: "advisory",
          urn: vpc.urn,
        });
        continue;
      }
      const block = typeof cidr.value === "string" ? parseIpv4Block(cidr.value) : undefined;
      if (block === undefined || !overlaps(block, prod)) continue;
      report(
        `Move ${vpc.name}'s cidrBlock ${show(cidr.value)} off prod's ${prodCidr}: ${stack} and prod networks must not overlap (peering between overlapping VPCs fails).`,
        { urn: vpc.urn },
      );
    }
  },
};

export const validityPolicies: readonly (ResourcePolicyDefinition | StackPolicyDefinition)[] = [
  databaseVersionCreatable,
  databaseInstanceClassOffered,
  cacheFailoverShape,
  listenerCertificateInRegion,
  vpcCidrValid,
  vpcDisjointFromProd,
];
