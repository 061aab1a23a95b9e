import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ruleConditions, serviceColourSuffix, type RoutingConfig } from "../model";
import { componentTags, physicalName, type Naming } from "./naming";

export const COLOURS = ["blue", "green"] as const;
export type Colour = (typeof COLOURS)[number];

/** Listener weights: the live colour gets what the canary does not. */
export function colourWeights(live: Colour, canaryPercent: number): Record<Colour, number> {
  const idle: Colour = live === "blue" ? "green" : "blue";
  return { [live]: 100 - canaryPercent, [idle]: canaryPercent } as Record<Colour, number>;
}

/** Where a service with a port sits on the environment's load balancer. */
export interface AppServiceWeb {
  /** Port the container listens on. No default. */
  readonly containerPort: number;
  /** Path the target groups probe. No default. */
  readonly healthCheckPath: string;
  /** `{ default: true }`, or a rule's priority, paths and hosts. No default. */
  readonly routing: RoutingConfig;
  /**
   * The HTTPS listener: the service's rule joins it, and its ECS services wait for it (a target
   * group must be attached to a load balancer before a service registers with it). The
   * listener's default action needs the default service's target groups, so the caller may
   * pass an output it resolves once the listener exists. No default.
   */
  readonly listenerArn: pulumi.Input<string>;
  /** The load balancer's security group: the only source the service admits. No default. */
  readonly loadBalancerSecurityGroupId: pulumi.Input<string>;
}

export interface AppServiceArgs {
  /** Stack and app: physical names. No default. */
  readonly naming: Naming;
  /** The service's name in `envstack:services`; its container is named so. No default. */
  readonly service: string;
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
  /** Rollout strategy, recorded on the ECS services. No default. */
  readonly strategy: "blue-green" | "canary";
  /** The colour taking production traffic (or, for a worker, doing the work). No default. */
  readonly live: Colour;
  /** Share of traffic sent to the idle colour, percent. Defaults to 0. */
  readonly canaryPercent?: number;
  /** The load balancer side; unset for a worker (no target group, no rule, no ingress). */
  readonly web?: AppServiceWeb;
  /** The X-Ray daemon sidecar's image. Defaults to none: no sidecar. */
  readonly xrayDaemonImage?: string;
  /** Log group of the service's containers. No default. */
  readonly logGroupName: pulumi.Input<string>;
  /** Parameter path the app reads its configuration from, `/<stack>/<app>/`. No default. */
  readonly parameterPath: string;
  /** The ECS cluster. No default. */
  readonly clusterArn: pulumi.Input<string>;
  /** The task and execution roles the environment's services share. No default. */
  readonly taskRoleArn: pulumi.Input<string>;
  readonly executionRoleArn: pulumi.Input<string>;
  /** The VPC of the security group. No default. */
  readonly vpcId: pulumi.Input<string>;
  /** The VPC's block: where the service's data-tier traffic may go. No default. */
  readonly vpcCidr: string;
  /** Subnets of the tasks. No default. */
  readonly appSubnetIds: pulumi.Input<string>[];
}

/**
 * One service of the application: a blue and a green ECS service, each with its task definition
 * (the service's container, named after it, plus the X-Ray sidecar while tracing), and its own
 * security group. A service with a port also gets a target group per colour and either the
 * listener's default action (the default service, declared by the caller from `defaultAction`)
 * or a listener rule of its own that forwards `100 - canaryPercent` to the live colour.
 */
export class AppService extends pulumi.ComponentResource {
  public readonly service: string;
  /** ECS service names by colour. */
  public readonly serviceNames: Record<Colour, string>;
  /**
   * The task definition each ECS service must run once `pulumi up` has finished, by ECS service
   * name: a deployment ECS rolled back leaves the service stable on another one.
   */
  public readonly taskDefinitions: Record<string, pulumi.Output<string>>;
  public readonly liveColour: Colour;
  /** The tasks' security group: the one the database and cache admit. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** ARN suffixes of the colours' target groups; none for a worker. */
  public readonly targetGroupArnSuffixes: pulumi.Output<string>[];
  /** The weighted forward to the colours, for the listener's default action; undefined for a worker. */
  public readonly forwardAction?: aws.types.input.lb.ListenerDefaultAction;
  /** The service's listener rule; undefined for a worker and for the default service. */
  public readonly listenerRuleArn?: pulumi.Output<string>;

  constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:AppService", name, {}, opts);
    const { naming, service, web } = args;
    const tags = componentTags("service", { service });
    const region = aws.getRegionOutput({}, { parent: this });

    const ingress = web
      ? [
          {
            description: "The load balancer",
            protocol: "tcp",
            fromPort: web.containerPort,
            toPort: web.containerPort,
            securityGroups: [web.loadBalancerSecurityGroupId],
          },
        ]
      : [];
    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: web
          ? `Service ${service}: its port from the load balancer only`
          : `Service ${service}: no ingress (a worker)`,
        ingress,
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

    const targetGroups: Partial<Record<Colour, aws.lb.TargetGroup>> = {};
    if (web) {
      for (const colour of COLOURS) {
        targetGroups[colour] = new aws.lb.TargetGroup(
          `${name}-tg-${colour}`,
          {
            name: physicalName(naming, serviceColourSuffix(service, colour), 32),
            port: web.containerPort,
            protocol: "HTTP",
            targetType: "ip",
            vpcId: args.vpcId,
            deregistrationDelay: 30,
            healthCheck: {
              enabled: true,
              path: web.healthCheckPath,
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
        );
      }
    }

    const weights = colourWeights(args.live, args.canaryPercent ?? 0);
    const forward = web
      ? {
          type: "forward",
          forward: {
            targetGroups: COLOURS.map((colour) => ({
              arn: targetGroups[colour]!.arn,
              weight: weights[colour],
            })),
          },
        }
      : undefined;
    const conditions = web ? ruleConditions(web.routing) : undefined;
    let rule: aws.lb.ListenerRule | undefined;
    if (web && forward && conditions !== undefined) {
      // Rules are matched in priority order, lowest first; the listener's default action takes
      // what no rule matches
      // (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html).
      rule = new aws.lb.ListenerRule(
        `${name}-rule`,
        {
          listenerArn: web.listenerArn,
          priority: web.routing.priority,
          conditions,
          actions: [forward],
          tags,
        },
        { parent: this },
      );
    }

    const serviceNames = {} as Record<Colour, string>;
    const taskDefinitions: Record<string, pulumi.Output<string>> = {};
    for (const colour of COLOURS) {
      const isLive = colour === args.live;
      const image = isLive ? args.image : (args.nextImage ?? args.image);
      const desiredCount = isLive || args.nextImage !== undefined ? args.desiredCount : 0;
      const task = new aws.ecs.TaskDefinition(
        `${name}-task-${colour}`,
        {
          family: physicalName(naming, serviceColourSuffix(service, colour), 255),
          cpu: String(args.cpu),
          memory: String(args.memoryMb),
          networkMode: "awsvpc",
          requiresCompatibilities: ["FARGATE"],
          runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
          executionRoleArn: args.executionRoleArn,
          taskRoleArn: args.taskRoleArn,
          containerDefinitions: pulumi.jsonStringify(
            containerDefinitions({
              service,
              image,
              port: web?.containerPort,
              colour,
              xrayDaemonImage: args.xrayDaemonImage,
              logGroupName: args.logGroupName,
              region: region.region,
              stack: naming.stack,
              parameterPath: args.parameterPath,
            }),
          ),
          tags: { ...tags, colour },
        },
        { parent: this },
      );
      serviceNames[colour] = physicalName(naming, serviceColourSuffix(service, colour), 255);
      taskDefinitions[serviceNames[colour]] = task.arn;
      const targetGroup = targetGroups[colour];
      new aws.ecs.Service(
        `${name}-svc-${colour}`,
        {
          name: serviceNames[colour],
          cluster: args.clusterArn,
          taskDefinition: task.arn,
          desiredCount,
          launchType: "FARGATE",
          platformVersion: "LATEST",
          networkConfiguration: {
            subnets: args.appSubnetIds,
            securityGroups: [sg.id],
            assignPublicIp: false,
          },
          loadBalancers:
            web && targetGroup
              ? [
                  {
                    // Carries the listener as a dependency: ECS refuses a target group that
                    // no listener of a load balancer forwards to yet.
                    targetGroupArn: pulumi
                      .all([targetGroup.arn, web.listenerArn])
                      .apply(([arn]) => arn),
                    containerName: service,
                    containerPort: web.containerPort,
                  },
                ]
              : [],
          deploymentCircuitBreaker: { enable: true, rollback: true },
          // `pulumi up` waits until ECS reports the service stable (running count equals the
          // desired count on one deployment, like `aws ecs wait services-stable`), so it does not
          // finish while the release's tasks are still starting
          // (https://www.pulumi.com/registry/packages/aws/api-docs/ecs/service/#waitforsteadystate_nodejs,
          // https://docs.aws.amazon.com/cli/latest/reference/ecs/wait/services-stable.html). The
          // circuit breaker stops a deployment whose tasks never become healthy and rolls back to
          // the last completed one
          // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html);
          // the service is then stable again on the old revision and the wait succeeds, so the
          // update alone does not prove the release runs: the deploy job checks each service's
          // running task definition against the stack output ecsServices (`envstack
          // verify-deploy`; https://github.com/hashicorp/terraform-provider-aws/issues/19519,
          // https://github.com/hashicorp/terraform-provider-aws/issues/20858).
          waitForSteadyState: true,
          // Unused without a load balancer's (or a container's) health check
          // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html).
          ...(web ? { healthCheckGracePeriodSeconds: 60 } : {}),
          enableEcsManagedTags: true,
          propagateTags: "SERVICE",
          tags: { ...tags, colour, "deployment-strategy": args.strategy },
        },
        // A rule's target groups are attached to the load balancer once the rule exists.
        { parent: this, dependsOn: rule ? [rule] : [] },
      );
    }

    this.service = service;
    this.serviceNames = serviceNames;
    this.taskDefinitions = taskDefinitions;
    this.liveColour = args.live;
    this.securityGroupId = sg.id;
    this.targetGroupArnSuffixes = COLOURS.flatMap((c) =>
      targetGroups[c] ? [targetGroups[c].arnSuffix] : [],
    );
    this.forwardAction = forward;
    this.listenerRuleArn = rule?.arn;
    this.registerOutputs({
      securityGroupId: this.securityGroupId,
      liveColour: this.liveColour,
      listenerRuleArn: this.listenerRuleArn,
    });
  }
}

interface ContainerSpec {
  readonly service: string;
  readonly image: string;
  readonly port?: number;
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
    { name: "APP_SERVICE", value: spec.service },
    { name: "APP_COLOUR", value: spec.colour },
    { name: "APP_PARAMETER_PATH", value: spec.parameterPath },
    ...(spec.xrayDaemonImage ? [{ name: "AWS_XRAY_DAEMON_ADDRESS", value: "127.0.0.1:2000" }] : []),
  ];
  const app = {
    name: spec.service,
    image: spec.image,
    essential: true,
    portMappings: spec.port === undefined ? [] : [{ containerPort: spec.port, protocol: "tcp" }],
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
