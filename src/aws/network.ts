import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { subnetCidr, type SubnetTier } from "./cidr";
import { componentTags, physicalName, type Naming } from "./naming";

export interface NetworkArgs {
  /** The VPC's IPv4 block, /16 to /20. No default: ranges are per environment. */
  readonly cidr: string;
  /** How many availability zones the subnets span. No default. */
  readonly availabilityZones: number;
  /** One NAT gateway per zone (zone-independent egress) or a single shared one. No default. */
  readonly natGateways: "one-per-az" | "single";
  /** ARN of the KMS-encrypted log group VPC flow logs go to. No default. */
  readonly flowLogGroupArn: pulumi.Input<string>;
  /** Stack and app: the flow-log role's name `<app>-<stack>-flow-logs`. No default. */
  readonly naming: Naming;
  /** The environment's permissions boundary, carried by the flow-log role. No default. */
  readonly permissionsBoundaryArn: pulumi.Input<string>;
}

/**
 * A VPC across availability zones with three subnet tiers per zone: public (load balancer, NAT),
 * app (tasks, egress through NAT) and data (database, cache, no route out). Flow logs record all
 * traffic; the default security group allows nothing.
 */
export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly cidr: string;
  /** The zone names, in subnet order. */
  public readonly zones: pulumi.Output<string[]>;
  public readonly publicSubnetIds: pulumi.Output<string>[];
  public readonly appSubnetIds: pulumi.Output<string>[];
  public readonly dataSubnetIds: pulumi.Output<string>[];

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:Network", name, {}, opts);
    const tags = componentTags("network");
    const count = args.availabilityZones;

    const available = aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this });
    const zoneNames = available.names.apply((names) => {
      if (names.length < count) {
        throw new Error(
          `network.availabilityZones is ${count} but the region offers ${names.length} zones`,
        );
      }
      return names.slice(0, count);
    });
    const zone = (i: number) => zoneNames.apply((names) => names[i]!);

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.cidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: { ...tags, Name: name },
      },
      { parent: this },
    );

    // CIS 5.4: the default security group must not allow any traffic.
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      { vpcId: vpc.id, ingress: [], egress: [], tags },
      { parent: this },
    );

    const igw = new aws.ec2.InternetGateway(
      `${name}-igw`,
      { vpcId: vpc.id, tags },
      { parent: this },
    );

    const subnet = (tier: SubnetTier, i: number) =>
      new aws.ec2.Subnet(
        `${name}-${tier}-${i + 1}`,
        {
          vpcId: vpc.id,
          cidrBlock: subnetCidr(args.cidr, tier, i),
          availabilityZone: zone(i),
          mapPublicIpOnLaunch: false,
          tags: { ...tags, tier, Name: `${name}-${tier}-${i + 1}` },
        },
        { parent: this },
      );
    const indexes = Array.from({ length: count }, (_, i) => i);
    const publicSubnets = indexes.map((i) => subnet("public", i));
    const appSubnets = indexes.map((i) => subnet("app", i));
    const dataSubnets = indexes.map((i) => subnet("data", i));

    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public-rt`,
      { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags },
      { parent: this },
    );
    publicSubnets.forEach(
      (s, i) =>
        new aws.ec2.RouteTableAssociation(
          `${name}-public-${i + 1}`,
          { subnetId: s.id, routeTableId: publicRoutes.id },
          { parent: this },
        ),
    );

    const natCount = args.natGateways === "single" ? 1 : count;
    const nats = indexes.slice(0, natCount).map((i) => {
      const eip = new aws.ec2.Eip(
        `${name}-nat-${i + 1}`,
        { domain: "vpc", tags },
        { parent: this },
      );
      return new aws.ec2.NatGateway(
        `${name}-nat-${i + 1}`,
        { allocationId: eip.id, subnetId: publicSubnets[i]!.id, tags },
        { parent: this, dependsOn: [igw] },
      );
    });

    // App subnets route out through their zone's NAT, or the single one.
    appSubnets.forEach((s, i) => {
      const nat = nats[Math.min(i, nats.length - 1)]!;
      const table = new aws.ec2.RouteTable(
        `${name}-app-rt-${i + 1}`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-app-${i + 1}`,
        { subnetId: s.id, routeTableId: table.id },
        { parent: this },
      );
    });

    // The data tier has no route out of the VPC.
    const dataRoutes = new aws.ec2.RouteTable(
      `${name}-data-rt`,
      { vpcId: vpc.id, tags },
      { parent: this },
    );
    dataSubnets.forEach(
      (s, i) =>
        new aws.ec2.RouteTableAssociation(
          `${name}-data-${i + 1}`,
          { subnetId: s.id, routeTableId: dataRoutes.id },
          { parent: this },
        ),
    );

    // Named for the environment: the deploy role passes only `<app>-<stack>-*` roles. Only this
    // account's flow logs may use it (no confused deputy): aws:SourceAccount and aws:SourceArn,
    // as the VPC guide recommends for this role's trust
    // (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html). The account,
    // region and partition are the log group's (arn:<partition>:logs:<region>:<account>:...).
    const flowLogSource = pulumi.output(args.flowLogGroupArn).apply((arn) => {
      const [, partition, , region, account] = arn.split(":");
      return { account, arn: `arn:${partition}:ec2:${region}:${account}:vpc-flow-log/*` };
    });
    const flowLogRole = new aws.iam.Role(
      `${name}-flow-logs`,
      {
        name: physicalName(args.naming, "flow-logs", 64),
        permissionsBoundary: args.permissionsBoundaryArn,
        description: "Lets VPC flow logs write to the network log group.",
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "vpc-flow-logs.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: {
                StringEquals: { "aws:SourceAccount": flowLogSource.account },
                ArnLike: { "aws:SourceArn": flowLogSource.arn },
              },
            },
          ],
        }),
        tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      {
        role: flowLogRole.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: [
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
              ],
              Resource: [args.flowLogGroupArn, pulumi.interpolate`${args.flowLogGroupArn}:*`],
            },
          ],
        }),
      },
      { parent: this },
    );
    new aws.ec2.FlowLog(
      `${name}-flow-log`,
      {
        vpcId: vpc.id,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: args.flowLogGroupArn,
        iamRoleArn: flowLogRole.arn,
        maxAggregationInterval: 60,
        tags,
      },
      { parent: this },
    );

    this.vpcId = vpc.id;
    this.cidr = args.cidr;
    this.zones = zoneNames;
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.appSubnetIds = appSubnets.map((s) => s.id);
    this.dataSubnetIds = dataSubnets.map((s) => s.id);
    this.registerOutputs({
      vpcId: this.vpcId,
      zones: this.zones,
      publicSubnetIds: this.publicSubnetIds,
      appSubnetIds: this.appSubnetIds,
      dataSubnetIds: this.dataSubnetIds,
    });
  }
}
