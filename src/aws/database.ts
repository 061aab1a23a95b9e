import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { componentTags, physicalName, type Naming } from "./naming";

export interface DatabaseArgs {
  /** Stack and app: physical names. No default. */
  readonly naming: Naming;
  /** PostgreSQL `major.minor` a new instance starts on; RDS applies later minors. No default. */
  readonly engineVersion: string;
  /** RDS instance class of the primary and its replicas. No default. */
  readonly instanceClass: string;
  /** Synchronous standby in a second zone. No default. */
  readonly multiAz: boolean;
  /** Allocated storage, GiB. No default. */
  readonly storageGb: number;
  /** Automated backup retention, days. No default. */
  readonly backupRetentionDays: number;
  /** RDS deletion protection on the primary. No default. */
  readonly deletionProtection: boolean;
  /** Read replicas of the primary. No default. */
  readonly readReplicas: number;
  /** Networks besides the service that may reach the database port. Defaults to none. */
  readonly accessCidrs?: readonly string[];
  /** Take a final snapshot when the primary is deleted. Defaults to false. */
  readonly finalSnapshot?: boolean;
  /** Set the `protect` resource option on the primary. Defaults to false. */
  readonly protect?: boolean;
  /** The VPC the security group belongs to. No default. */
  readonly vpcId: pulumi.Input<string>;
  /** Subnets of the data tier, one per zone. No default. */
  readonly subnetIds: pulumi.Input<string>[];
  /** Security groups whose members may connect (the service). No default. */
  readonly clientSecurityGroupIds: pulumi.Input<string>[];
}

export const POSTGRES_PORT = 5432;

/**
 * RDS PostgreSQL: a KMS-encrypted primary whose master password RDS keeps in Secrets Manager
 * (never in config or state), TLS enforced by its parameter group, Performance Insights, and
 * read replicas when configured.
 */
export class Database extends pulumi.ComponentResource {
  /** The primary's identifier (the CloudWatch dimension). */
  public readonly instanceId: string;
  public readonly endpoint: pulumi.Output<string>;
  public readonly address: pulumi.Output<string>;
  public readonly readerEndpoints: pulumi.Output<string>[];
  public readonly securityGroupId: pulumi.Output<string>;
  /** ARN of the Secrets Manager secret RDS manages for the master user. */
  public readonly masterUserSecretArn: pulumi.Output<string | undefined>;
  public readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:Database", name, {}, opts);
    const tags = componentTags("database");
    const { naming } = args;
    const major = args.engineVersion.split(".")[0];

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Encrypts the ${physicalName(naming, "db")} database, its snapshots and its master secret`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags,
      },
      { parent: this },
    );

    const ingressFromCidrs =
      args.accessCidrs && args.accessCidrs.length > 0
        ? [
            {
              description: "Configured access networks",
              protocol: "tcp",
              fromPort: POSTGRES_PORT,
              toPort: POSTGRES_PORT,
              cidrBlocks: [...args.accessCidrs],
            },
          ]
        : [];
    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: "PostgreSQL from the service and the configured access networks only",
        ingress: [
          {
            description: "The service",
            protocol: "tcp",
            fromPort: POSTGRES_PORT,
            toPort: POSTGRES_PORT,
            securityGroups: args.clientSecurityGroupIds,
          },
          ...ingressFromCidrs,
        ],
        egress: [],
        tags,
      },
      { parent: this },
    );

    const subnets = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      {
        name: physicalName(naming, "db", 255),
        description: "Data tier subnets",
        subnetIds: args.subnetIds,
        tags,
      },
      { parent: this },
    );
    const params = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        name: physicalName(naming, `postgres${major}`, 255),
        family: `postgres${major}`,
        description: "TLS only; connections and slow statements logged",
        parameters: [
          { name: "rds.force_ssl", value: "1" },
          { name: "log_connections", value: "1" },
          { name: "log_min_duration_statement", value: "1000" },
        ],
        tags,
      },
      { parent: this },
    );

    const identifier = physicalName(naming, "db");
    const finalSnapshot = args.finalSnapshot ?? false;
    const primary = new aws.rds.Instance(
      `${name}-primary`,
      {
        identifier,
        engine: "postgres",
        engineVersion: args.engineVersion,
        // RDS applies minor versions in the maintenance window, so an instance never sits on a
        // deprecated minor (RDS forces the upgrade then anyway, with downtime). After such an
        // upgrade move engineVersion forward in all three stack files: RDS refuses a downgrade.
        // engineVersion with auto minor upgrades: see the aws.rds.Instance docs
        // (https://www.pulumi.com/registry/packages/aws/api-docs/rds/instance/).
        autoMinorVersionUpgrade: true,
        instanceClass: args.instanceClass,
        allocatedStorage: args.storageGb,
        storageType: "gp3",
        storageEncrypted: true,
        kmsKeyId: key.arn,
        dbName: naming.app.replace(/-/g, "_"),
        username: "envstack_admin",
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: key.arn,
        multiAz: args.multiAz,
        backupRetentionPeriod: args.backupRetentionDays,
        deletionProtection: args.deletionProtection,
        skipFinalSnapshot: !finalSnapshot,
        finalSnapshotIdentifier: finalSnapshot ? `${identifier}-final` : undefined,
        copyTagsToSnapshot: true,
        publiclyAccessible: false,
        dbSubnetGroupName: subnets.name,
        parameterGroupName: params.name,
        vpcSecurityGroupIds: [sg.id],
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: key.arn,
        performanceInsightsRetentionPeriod: 7,
        tags: { ...tags, role: "primary" },
      },
      { parent: this, protect: args.protect ?? false },
    );

    const replicas = Array.from(
      { length: args.readReplicas },
      (_, i) =>
        new aws.rds.Instance(
          `${name}-replica-${i + 1}`,
          {
            identifier: physicalName(naming, `db-replica-${i + 1}`),
            replicateSourceDb: primary.identifier,
            instanceClass: args.instanceClass,
            storageEncrypted: true,
            kmsKeyId: key.arn,
            autoMinorVersionUpgrade: true,
            publiclyAccessible: false,
            parameterGroupName: params.name,
            vpcSecurityGroupIds: [sg.id],
            performanceInsightsEnabled: true,
            performanceInsightsKmsKeyId: key.arn,
            performanceInsightsRetentionPeriod: 7,
            // A replica holds no data of its own: deleting it needs no snapshot.
            skipFinalSnapshot: true,
            deletionProtection: args.deletionProtection,
            tags: { ...tags, role: "replica" },
          },
          { parent: this },
        ),
    );

    this.instanceId = identifier;
    this.endpoint = primary.endpoint;
    this.address = primary.address;
    this.readerEndpoints = replicas.map((r) => r.endpoint);
    this.securityGroupId = sg.id;
    this.masterUserSecretArn = primary.masterUserSecrets.apply((s) => s[0]?.secretArn);
    this.keyArn = key.arn;
    this.registerOutputs({
      endpoint: this.endpoint,
      readerEndpoints: this.readerEndpoints,
      securityGroupId: this.securityGroupId,
      masterUserSecretArn: this.masterUserSecretArn,
    });
  }
}
