import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TEST_RULE_PRIORITIES, TRAFFIC_SHIFTING, type ServiceConfig } from "../model";
import { AppService, taskFamily } from "./app-service";
import { componentTags, physicalName, type Naming } from "./naming";
import { rollbackAlarmNames } from "./observability";
import { Rollout } from "./rollout";

/** TLS 1.3 with TLS 1.2 fallback, forward-secret ciphers only. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface ServicesArgs {
  /** Stack and app: physical names and the parameter scope. No default. */
  readonly naming: Naming;
  /** The services by name, validated (one default among those with a port). No default. */
  readonly services: Readonly<Record<string, ServiceConfig>>;
  /** ACM certificate of the HTTPS listener; needed when a service has a port. No default. */
  readonly certificateArn?: string;
  /**
   * The X-Ray daemon image to run beside every service, which also lets the tasks write traces.
   * Defaults to none: no sidecar, no trace permissions.
   */
  readonly xrayDaemonImage?: string;
  /** Load balancer deletion protection. Defaults to false. */
  readonly deletionProtection?: boolean;
  /** Log group of each service's containers, by service name. No default. */
  readonly logGroupNames: Readonly<Record<string, pulumi.Input<string>>>;
  /** Log group of the rollout hook; needed when a service shifts traffic. */
  readonly rolloutLogGroupName?: pulumi.Input<string>;
  /** Parameter path the app reads its configuration from, `/<stack>/<app>/`. No default. */
  readonly parameterPath: string;
  /** The VPC the security groups belong to. No default. */
  readonly vpcId: pulumi.Input<string>;
  /** The VPC's block: where the services' data-tier traffic may go. No default. */
  readonly vpcCidr: string;
  /** Subnets of the load balancer. No default. */
  readonly publicSubnetIds: pulumi.Input<string>[];
  /** Subnets of the tasks. No default. */
  readonly appSubnetIds: pulumi.Input<string>[];
  /** The environment's permissions boundary, carried by the task and execution roles. No default. */
  readonly permissionsBoundaryArn: pulumi.Input<string>;
}

/** Whether a service rolls out by shifting load balancer traffic (and so needs the Rollout). */
export function shiftsTraffic(service: ServiceConfig): boolean {
  return service.port !== undefined && TRAFFIC_SHIFTING.includes(service.deployment.strategy);
}

/**
 * The application's services on one ECS Fargate cluster, sharing a task role and an execution
 * role. When a service has a port, one HTTPS load balancer fronts them all: each web service has
 * a production listener rule (its paths and hosts; the default service's matches every path,
 * behind all others) and, when it shifts traffic, a test listener rule ahead of them all; HTTP
 * redirects to HTTPS. Each service is an AppService (src/aws/app-service.ts); the rollout roles
 * and hook are shared (src/aws/rollout.ts).
 */
export class Services extends pulumi.ComponentResource {
  public readonly clusterName: string;
  public readonly clusterArn: pulumi.Output<string>;
  /** Each service, by name. */
  public readonly services: Readonly<Record<string, AppService>>;
  /** The load balancer's DNS name; undefined when every service is a worker. */
  public readonly loadBalancerDnsName?: pulumi.Output<string>;
  /** The app's health URL: the default service's health path through the HTTPS listener. */
  public readonly appHealthUrl?: pulumi.Output<string>;
  public readonly loadBalancerArnSuffix?: pulumi.Output<string>;
  public readonly httpsListenerArn?: pulumi.Output<string>;
  /** The web services' production and test listener rules. */
  public readonly listenerRuleArns: pulumi.Output<string>[];
  /** Security groups of the tasks: the ones the database and cache admit. */
  public readonly securityGroupIds: pulumi.Output<string>[];
  public readonly taskRoleArn: pulumi.Output<string>;
  public readonly executionRoleArn: pulumi.Output<string>;

  constructor(name: string, args: ServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    // The environment-wide resources keep the names they had under the one-service component
    // `envstack:aws:Service`: the alias carries its children over (a child inherits an alias of
    // each of its parent's,
    // https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/sdk/nodejs/resource.ts#L115-L147),
    // so the load balancer (and its DNS name), the cluster and the roles are not replaced.
    super(
      "envstack:aws:Services",
      name,
      {},
      {
        ...opts,
        aliases: [...(opts?.aliases ?? []), { type: "envstack:aws:Service" }],
      },
    );
    const tags = componentTags("service");
    const { naming } = args;
    const region = aws.getRegionOutput({}, { parent: this });
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const web = Object.entries(args.services).filter(([, s]) => s.port !== undefined);
    const ports = [...new Set(web.map(([, s]) => s.port!.containerPort))].sort((a, b) => a - b);

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

    let albSg: aws.ec2.SecurityGroup | undefined;
    let alb: aws.lb.LoadBalancer | undefined;
    // The listener's default action needs the default service's target groups, and the other
    // services' rules need the listener: their ARN arrives once the listener is declared below.
    const [listenerArn, setListenerArn] =
      web.length > 0 ? pulumi.deferredOutput<string>() : [undefined, undefined];
    if (web.length > 0) {
      if (args.certificateArn === undefined) {
        // The model refuses a web service without envstack:loadBalancer.certificateArn.
        throw new Error("services with a port need the load balancer's certificateArn");
      }
      albSg = new aws.ec2.SecurityGroup(
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
          egress: ports.map((port) => ({
            description: "The tasks",
            protocol: "tcp",
            fromPort: port,
            toPort: port,
            cidrBlocks: [args.vpcCidr],
          })),
          tags,
        },
        { parent: this },
      );
      alb = new aws.lb.LoadBalancer(
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
    }

    const shifting = Object.keys(args.services)
      .filter((s) => shiftsTraffic(args.services[s]!))
      .sort();
    const migrating = shifting.filter((s) => args.services[s]!.migrations !== undefined);
    let rollout: Rollout | undefined;
    if (shifting.length > 0) {
      if (args.rolloutLogGroupName === undefined) {
        throw new Error("services that shift traffic need the rollout hook's log group");
      }
      rollout = new Rollout(
        `${name}-rollout`,
        {
          naming,
          logGroupName: args.rolloutLogGroupName,
          permissionsBoundaryArn: args.permissionsBoundaryArn,
          clusterName,
          ...(migrating.length > 0
            ? {
                migrations: {
                  clusterName,
                  clusterArn: cluster.arn,
                  taskFamilies: migrating.map((s) => taskFamily(naming, s)),
                  taskRoleArn: taskRole.arn,
                  executionRoleArn: executionRole.arn,
                },
              }
            : {}),
        },
        { parent: this },
      );
    }

    const defaultService = web.find(([, s]) => s.routing?.default === true);
    const appHealthUrl =
      alb && defaultService
        ? pulumi.interpolate`https://${alb.dnsName}${defaultService[1].port!.healthCheckPath}`
        : undefined;

    const services: Record<string, AppService> = {};
    for (const [service, config] of Object.entries(args.services)) {
      const shiftIndex = shifting.indexOf(service);
      services[service] = new AppService(
        `${name}-${service}`,
        {
          naming,
          service,
          image: config.image,
          cpu: config.cpu,
          memoryMb: config.memoryMb,
          desiredCount: config.desiredCount,
          deployment: config.deployment,
          ...(config.migrations !== undefined ? { migrations: config.migrations } : {}),
          web:
            config.port && config.routing && albSg && alb && listenerArn
              ? {
                  containerPort: config.port.containerPort,
                  healthCheckPath: config.port.healthCheckPath,
                  routing: config.routing,
                  listenerArn,
                  testRulePriority: TEST_RULE_PRIORITIES.first + Math.max(0, shiftIndex),
                  loadBalancerSecurityGroupId: albSg.id,
                  loadBalancerDnsName: alb.dnsName,
                  appHealthUrl: appHealthUrl!,
                }
              : undefined,
          rollout:
            rollout && shiftIndex >= 0
              ? {
                  infrastructureRoleArn: rollout.infrastructureRoleArn,
                  hookFunctionArn: rollout.hookFunctionArn,
                  hookRoleArn: rollout.hookRoleArn,
                  rollbackAlarmNames: rollbackAlarmNames(naming, service),
                }
              : undefined,
          xrayDaemonImage: args.xrayDaemonImage,
          logGroupName: args.logGroupNames[service]!,
          parameterPath: args.parameterPath,
          clusterArn: cluster.arn,
          taskRoleArn: taskRole.arn,
          executionRoleArn: executionRole.arn,
          vpcId: args.vpcId,
          vpcCidr: args.vpcCidr,
          appSubnetIds: args.appSubnetIds,
        },
        { parent: this },
      );
    }

    let https: aws.lb.Listener | undefined;
    if (alb) {
      const primary = defaultService
        ? services[defaultService[0]]!.primaryTargetGroupArn
        : undefined;
      if (!primary) throw new Error("services with a port need a default service");
      https = new aws.lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: alb.arn,
          port: 443,
          protocol: "HTTPS",
          sslPolicy: TLS_POLICY,
          certificateArn: args.certificateArn,
          // Never reached: the default service's production rule matches every path. A forward
          // (rather than a fixed response) keeps every action of the listener a forward, as ECS's
          // traffic shifting requires
          // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html).
          defaultActions: [{ type: "forward", targetGroupArn: primary }],
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
      setListenerArn?.(https.arn);
    }

    this.clusterName = clusterName;
    this.clusterArn = cluster.arn;
    this.services = services;
    this.loadBalancerDnsName = alb?.dnsName;
    this.appHealthUrl = appHealthUrl;
    this.loadBalancerArnSuffix = alb?.arnSuffix;
    this.httpsListenerArn = https?.arn;
    this.listenerRuleArns = Object.values(services).flatMap((s) => s.listenerRuleArns);
    this.securityGroupIds = Object.values(services).map((s) => s.securityGroupId);
    this.taskRoleArn = taskRole.arn;
    this.executionRoleArn = executionRole.arn;
    this.registerOutputs({
      clusterArn: this.clusterArn,
      loadBalancerDnsName: this.loadBalancerDnsName,
      httpsListenerArn: this.httpsListenerArn,
      securityGroupIds: this.securityGroupIds,
    });
  }
}
