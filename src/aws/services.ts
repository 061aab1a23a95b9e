import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { componentTags, physicalName, type Naming } from "./naming";

export const COLOURS = ["blue", "green"] as const;
export type Colour = (typeof COLOURS)[number];

/** TLS 1.3 with TLS 1.2 fallback, forward-secret ciphers only. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface ServiceArgs {
  /** Stack and app: physical names and the parameter scope. No default. */
  readonly naming: Naming;
  /** Image of the live colour, `<registry>/<repository>@sha256:<digest>`. No default. */
  readonly image: string;
  /** Image the idle colour carries during a rollout; when unset it idles at 0 tasks. */
  readonly nextImage?: string;
  /** Fargate cpu units per task. No default. */
  readonly cpu: number;
  /** Fargate memory per task, MiB. No default. */
  readonly memoryMb: number;
  /** Tasks of the live colour (and of the idle one while it carries a release). No default. */
  readonly desiredCount: number;
  /** Port the app listens on. No default. */
  readonly containerPort: number;
  /** Path the target groups probe. No default. */
  readonly healthCheckPath: string;
  /** ACM certificate of the HTTPS listener. No default. */
  readonly certificateArn: string;
  /** Rollout strategy, recorded on the ECS services. No default. */
  readonly strategy: "blue-green" | "canary";
  /** The colour taking production traffic. No default. */
  readonly live: Colour;
  /** Share of traffic sent to the idle colour, percent. Defaults to 0. */
  readonly canaryPercent?: number;
  /**
   * The X-Ray daemon image to run beside the app, which also lets the task write traces.
   * Defaults to none: no sidecar, no trace permissions.
   */
  readonly xrayDaemonImage?: string;
  /** Load balancer deletion protection. Defaults to false. */
  readonly deletionProtection?: boolean;
  /** Log group of the containers. No default. */
  readonly logGroupName: pulumi.Input<string>;
  /** Parameter path the app reads its configuration from, `/<stack>/<app>/`. No default. */
  readonly parameterPath: string;
  /** The VPC the security group belongs to. No default. */
  readonly vpcId: pulumi.Input<string>;
  /** The VPC's block: where the service's data-tier traffic may go. No default. */
  readonly vpcCidr: string;
  /** Subnets of the load balancer. No default. */
  readonly publicSubnetIds: pulumi.Input<string>[];
  /** Subnets of the tasks. No default. */
  readonly appSubnetIds: pulumi.Input<string>[];
  /** The environment's permissions boundary, carried by the task and execution roles. No default. */
  readonly permissionsBoundaryArn: pulumi.Input<string>;
}

/** Listener weights: the live colour gets what the canary does not. */
export function colourWeights(live: Colour, canaryPercent: number): Record<Colour, number> {
  const idle: Colour = live === "blue" ? "green" : "blue";
  return { [live]: 100 - canaryPercent, [idle]: canaryPercent } as Record<Colour, number>;
}

/**
 * ECS Fargate behind an HTTPS load balancer, with a blue and a green service, each with its
 * own task definition and target group. The HTTPS listener's weighted forward sends
 * `100 - canaryPercent` to the live colour and `canaryPercent` to the idle one; HTTP redirects.
 */
export class Service extends pulumi.ComponentResource {
  public readonly clusterName: string;
  public readonly clusterArn: pulumi.Output<string>;
  /** ECS service names by colour. */
  public readonly serviceNames: Record<Colour, string>;
  public readonly liveColour: Colour;
  public readonly loadBalancerDnsName: pulumi.Output<string>;
  public readonly loadBalancerArnSuffix: pulumi.Output<string>;
  public readonly targetGroupArnSuffixes: pulumi.Output<string>[];
  public readonly httpsListenerArn: pulumi.Output<string>;
  /** Security group of the tasks: the one the database and cache admit. */
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly taskRoleArn: pulumi.Output<string>;
  public readonly executionRoleArn: pulumi.Output<string>;

  constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:Service", name, {}, opts);
    const tags = componentTags("service");
    const { naming } = args;
    const port = args.containerPort;
    const region = aws.getRegionOutput({}, { parent: this });
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });

    const albSg = new aws.ec2.SecurityGroup(
      `${name}-alb-sg`,
      {
        vpcId: args.vpcId,
        description: "HTTPS and HTTP (redirected) from anywhere; to the tasks only",
        ingress: [
          {
            description: "HTTPS",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ["0.0.0.0/0"],
          },
          {
            description: "HTTP, redirected to HTTPS",
            protocol: "tcp",
            fromPort: 80,
            toPort: 80,
            cidrBlocks: ["0.0.0.0/0"],
          },
        ],
        egress: [
          {
            description: "The tasks",
            protocol: "tcp",
            fromPort: port,
            toPort: port,
            cidrBlocks: [args.vpcCidr],
          },
        ],
        tags,
      },
      { parent: this },
    );
    const serviceSg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: "The app port from the load balancer only",
        ingress: [
          {
            description: "The load balancer",
            protocol: "tcp",
            fromPort: port,
            toPort: port,
            securityGroups: [albSg.id],
          },
        ],
        egress: [
          // Image pulls, AWS APIs and telemetry go out over HTTPS through the NAT.
          {
            description: "HTTPS",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ["0.0.0.0/0"],
          },
          {
            description: "PostgreSQL in the VPC",
            protocol: "tcp",
            fromPort: 5432,
            toPort: 5432,
            cidrBlocks: [args.vpcCidr],
          },
          {
            description: "Redis in the VPC",
            protocol: "tcp",
            fromPort: 6379,
            toPort: 6379,
            cidrBlocks: [args.vpcCidr],
          },
        ],
        tags,
      },
      { parent: this },
    );

    const clusterName = physicalName(naming, "cluster", 255);
    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      { name: clusterName, settings: [{ name: "containerInsights", value: "enabled" }], tags },
      { parent: this },
    );

    const tasksTrust = pulumi.jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "ecs-tasks.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": identity.accountId } },
        },
      ],
    });
    const executionRole = new aws.iam.Role(
      `${name}-execution`,
      {
        name: physicalName(naming, "task-execution", 64),
        description: "Lets ECS pull the image and write the task's logs",
        assumeRolePolicy: tasksTrust,
        permissionsBoundary: args.permissionsBoundaryArn,
        tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-execution`,
      {
        role: executionRole.name,
        policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`,
      },
      { parent: this },
    );
    const tracing = args.xrayDaemonImage !== undefined;
    const taskRole = new aws.iam.Role(
      `${name}-task`,
      {
        name: physicalName(naming, "task", 64),
        description: "The app's own permissions: its parameters, and traces when tracing is on",
        assumeRolePolicy: tasksTrust,
        permissionsBoundary: args.permissionsBoundaryArn,
        tags,
      },
      { parent: this },
    );
    const parameterArn = pulumi.interpolate`arn:${partition.partition}:ssm:${region.region}:${identity.accountId}:parameter${args.parameterPath}*`;
    new aws.iam.RolePolicy(
      `${name}-task`,
      {
        role: taskRole.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "ReadOwnParameters",
              Effect: "Allow",
              Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
              Resource: parameterArn,
            },
            ...(tracing
              ? [
                  {
                    Sid: "WriteTraces",
                    Effect: "Allow",
                    // X-Ray's write actions support no resource-level scoping.
                    Action: [
                      "xray:PutTraceSegments",
                      "xray:PutTelemetryRecords",
                      "xray:GetSamplingRules",
                      "xray:GetSamplingTargets",
                    ],
                    Resource: "*",
                  },
                ]
              : []),
          ],
        }),
      },
      { parent: this },
    );

    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        name: physicalName(naming, "alb", 32),
        loadBalancerType: "application",
        internal: false,
        securityGroups: [albSg.id],
        subnets: args.publicSubnetIds,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: args.deletionProtection ?? false,
        tags,
      },
      { parent: this },
    );

    const targetGroups = Object.fromEntries(
      COLOURS.map((colour) => [
        colour,
        new aws.lb.TargetGroup(
          `${name}-tg-${colour}`,
          {
            name: physicalName(naming, colour, 32),
            port,
            protocol: "HTTP",
            targetType: "ip",
            vpcId: args.vpcId,
            deregistrationDelay: 30,
            healthCheck: {
              enabled: true,
              path: args.healthCheckPath,
              port: "traffic-port",
              protocol: "HTTP",
              matcher: "200-399",
              interval: 15,
              timeout: 5,
              healthyThreshold: 2,
              unhealthyThreshold: 3,
            },
            tags: { ...tags, colour },
          },
          { parent: this },
        ),
      ]),
    ) as Record<Colour, aws.lb.TargetGroup>;

    const weights = colourWeights(args.live, args.canaryPercent ?? 0);
    const https = new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: alb.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: TLS_POLICY,
        certificateArn: args.certificateArn,
        defaultActions: [
          {
            type: "forward",
            forward: {
              targetGroups: COLOURS.map((colour) => ({
                arn: targetGroups[colour].arn,
                weight: weights[colour],
              })),
            },
          },
        ],
        tags,
      },
      { parent: this },
    );
    new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: [
          {
            type: "redirect",
            redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
          },
        ],
        tags,
      },
      { parent: this },
    );

    const serviceNames = {} as Record<Colour, string>;
    for (const colour of COLOURS) {
      const isLive = colour === args.live;
      const image = isLive ? args.image : (args.nextImage ?? args.image);
      const desiredCount = isLive || args.nextImage !== undefined ? args.desiredCount : 0;
      const containers = pulumi.jsonStringify(
        containerDefinitions({
          image,
          port,
          colour,
          xrayDaemonImage: args.xrayDaemonImage,
          logGroupName: args.logGroupName,
          region: region.region,
          stack: naming.stack,
          parameterPath: args.parameterPath,
        }),
      );
      const task = new aws.ecs.TaskDefinition(
        `${name}-task-${colour}`,
        {
          family: physicalName(naming, colour, 255),
          cpu: String(args.cpu),
          memory: String(args.memoryMb),
          networkMode: "awsvpc",
          requiresCompatibilities: ["FARGATE"],
          runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
          executionRoleArn: executionRole.arn,
          taskRoleArn: taskRole.arn,
          containerDefinitions: containers,
          tags: { ...tags, colour },
        },
        { parent: this },
      );
      serviceNames[colour] = physicalName(naming, colour, 255);
      new aws.ecs.Service(
        `${name}-svc-${colour}`,
        {
          name: serviceNames[colour],
          cluster: cluster.arn,
          taskDefinition: task.arn,
          desiredCount,
          launchType: "FARGATE",
          platformVersion: "LATEST",
          networkConfiguration: {
            subnets: args.appSubnetIds,
            securityGroups: [serviceSg.id],
            assignPublicIp: false,
          },
          loadBalancers: [
            { targetGroupArn: targetGroups[colour].arn, containerName: "app", containerPort: port },
          ],
          deploymentCircuitBreaker: { enable: true, rollback: true },
          healthCheckGracePeriodSeconds: 60,
          enableEcsManagedTags: true,
          propagateTags: "SERVICE",
          tags: { ...tags, colour, "deployment-strategy": args.strategy },
        },
        // The target group must be attached to the load balancer before a service uses it.
        { parent: this, dependsOn: [https] },
      );
    }

    this.clusterName = clusterName;
    this.clusterArn = cluster.arn;
    this.serviceNames = serviceNames;
    this.liveColour = args.live;
    this.loadBalancerDnsName = alb.dnsName;
    this.loadBalancerArnSuffix = alb.arnSuffix;
    this.targetGroupArnSuffixes = COLOURS.map((c) => targetGroups[c].arnSuffix);
    this.httpsListenerArn = https.arn;
    this.securityGroupId = serviceSg.id;
    this.taskRoleArn = taskRole.arn;
    this.executionRoleArn = executionRole.arn;
    this.registerOutputs({
      clusterArn: this.clusterArn,
      loadBalancerDnsName: this.loadBalancerDnsName,
      httpsListenerArn: this.httpsListenerArn,
      securityGroupId: this.securityGroupId,
      liveColour: this.liveColour,
    });
  }
}

interface ContainerSpec {
  readonly image: string;
  readonly port: number;
  readonly colour: Colour;
  readonly xrayDaemonImage?: string;
  readonly logGroupName: pulumi.Input<string>;
  readonly region: pulumi.Input<string>;
  readonly stack: string;
  readonly parameterPath: string;
}

function containerDefinitions(spec: ContainerSpec): unknown[] {
  const logs = (prefix: string) => ({
    logDriver: "awslogs",
    options: {
      "awslogs-group": spec.logGroupName,
      "awslogs-region": spec.region,
      "awslogs-stream-prefix": prefix,
    },
  });
  const environment = [
    { name: "APP_ENV", value: spec.stack },
    { name: "APP_COLOUR", value: spec.colour },
    { name: "APP_PARAMETER_PATH", value: spec.parameterPath },
    ...(spec.xrayDaemonImage ? [{ name: "AWS_XRAY_DAEMON_ADDRESS", value: "127.0.0.1:2000" }] : []),
  ];
  const app = {
    name: "app",
    image: spec.image,
    essential: true,
    portMappings: [{ containerPort: spec.port, protocol: "tcp" }],
    environment,
    logConfiguration: logs(spec.colour),
  };
  if (!spec.xrayDaemonImage) return [app];
  return [
    app,
    {
      name: "xray-daemon",
      image: spec.xrayDaemonImage,
      essential: false,
      cpu: 32,
      memoryReservation: 64,
      portMappings: [{ containerPort: 2000, protocol: "udp" }],
      logConfiguration: logs(`xray-${spec.colour}`),
    },
  ];
}
