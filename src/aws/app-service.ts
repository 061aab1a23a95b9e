import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  DEFAULT_RULE_PRIORITY,
  TRAFFIC_SHIFTING,
  holdHookDetails,
  migrateHookDetails,
  ruleConditions,
  serviceColourSuffix,
  type DeploymentConfig,
  type MigrationsConfig,
  type RoutingConfig,
} from "../model";
import { componentTags, physicalName, type Naming } from "./naming";
import {
  TEST_TRAFFIC_HEADER,
  ecsDeploymentConfiguration,
  type SmokeHookDetails,
  type VerifyHookDetails,
} from "./rollout";

/**
 * The two target groups of a service that shifts traffic: ECS registers the new revision's
 * tasks with whichever one the production rule does not favour. Which colour serves after a
 * deployment is ECS's business: blue is only the initial production target group.
 */
export const COLOURS = ["blue", "green"] as const;
export type Colour = (typeof COLOURS)[number];

/** The family of a service's task definitions, `<app>-<stack>-<service>`. */
export function taskFamily(naming: Naming, service: string): string {
  return physicalName(naming, service, 255);
}

/** Where a service with a port sits on the environment's load balancer. */
export interface AppServiceWeb {
  /** Port the container listens on. No default. */
  readonly containerPort: number;
  /** Path the target groups probe, and the smoke test requests. No default. */
  readonly healthCheckPath: string;
  /** `{ default: true }`, or a rule's priority, paths and hosts. No default. */
  readonly routing: RoutingConfig;
  /** The HTTPS listener: the service's production and test rules join it. No default. */
  readonly listenerArn: pulumi.Input<string>;
  /** Priority of the service's test rule (1 to 99, ahead of every production rule). No default. */
  readonly testRulePriority: number;
  /** The load balancer's security group: the only source the service admits. No default. */
  readonly loadBalancerSecurityGroupId: pulumi.Input<string>;
  /** The load balancer's DNS name: where the smoke test sends its requests. No default. */
  readonly loadBalancerDnsName: pulumi.Input<string>;
  /**
   * The app's health URL on production traffic (the default service's health path): what the
   * post-shift verification requests. No default.
   */
  readonly appHealthUrl: pulumi.Input<string>;
}

/** What ECS needs to shift traffic, run the rollout hook and roll back on alarm. */
export interface AppServiceRollout {
  /** The role ECS assumes to rewrite the listener rules and register targets. No default. */
  readonly infrastructureRoleArn: pulumi.Input<string>;
  /** The environment's rollout hook function. No default. */
  readonly hookFunctionArn: pulumi.Input<string>;
  /** The role ECS assumes to invoke the hook. No default. */
  readonly hookRoleArn: pulumi.Input<string>;
  /** Alarms that roll the deployment back, each watching one of the service's target groups. No default. */
  readonly rollbackAlarmNames: readonly string[];
}

export interface AppServiceArgs {
  /** Stack and app: physical names. No default. */
  readonly naming: Naming;
  /** The service's name in `envstack:services`; its container is named so. No default. */
  readonly service: string;
  /** The image the service runs, `<registry>/<repository>@sha256:<digest>`. No default. */
  readonly image: string;
  /** Fargate cpu units per task. No default. */
  readonly cpu: number;
  /** Fargate memory per task, MiB. No default. */
  readonly memoryMb: number;
  /** Tasks the service runs. No default. */
  readonly desiredCount: number;
  /** How a new revision rolls out (validated: traffic shifting only with `web`). No default. */
  readonly deployment: DeploymentConfig;
  /**
   * The database migration the rollout hook runs before each rollout (validated: only with a
   * traffic-shifting rollout). Defaults to none.
   */
  readonly migrations?: MigrationsConfig;
  /** The load balancer side; unset for a worker (no target group, no rule, no ingress). */
  readonly web?: AppServiceWeb;
  /** Needed when `web` is set and the strategy shifts traffic. */
  readonly rollout?: AppServiceRollout;
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
 * One service of the application: one ECS service and its task definition (the service's
 * container, named after it, plus the X-Ray sidecar while tracing), with its own security group.
 *
 * A service with a port that shifts traffic (blue-green, canary, linear) uses ECS's own
 * deployment strategies: a production target group and an alternate one, a production listener
 * rule and a test listener rule that ECS rewrites during a deployment, a rollout hook that
 * smoke-tests the new revision on test traffic before it takes production traffic, and the
 * service's per-target-group alarms that roll the deployment back until the bake ends
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html).
 * A worker (or a web service on `rolling`) replaces its tasks in place, stopped and rolled back
 * by the deployment circuit breaker.
 */
export class AppService extends pulumi.ComponentResource {
  public readonly service: string;
  /** The ECS service's name. */
  public readonly serviceName: string;
  /**
   * The task definition the ECS service must run once `pulumi up` has finished, by ECS service
   * name: a deployment ECS rolled back leaves the service stable on another one.
   */
  public readonly taskDefinitions: Record<string, pulumi.Output<string>>;
  /** The tasks' security group: the one the database and cache admit. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** ARN suffixes of the target groups, in COLOURS order; none for a worker. */
  public readonly targetGroupArnSuffixes: pulumi.Output<string>[];
  /** The production target group, for the listener's default action; undefined for a worker. */
  public readonly primaryTargetGroupArn?: pulumi.Output<string>;
  /** The service's production and test listener rules; none for a worker. */
  public readonly listenerRuleArns: pulumi.Output<string>[];
  /** The alarms that roll the service's deployments back; none without a traffic shift. */
  public readonly rollbackAlarmNames: readonly string[];

  constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:AppService", name, {}, opts);
    const { naming, service, web, deployment } = args;
    const tags = componentTags("service", { service });
    const region = aws.getRegionOutput({}, { parent: this });
    const shifts = web !== undefined && TRAFFIC_SHIFTING.includes(deployment.strategy);
    if (shifts && args.rollout === undefined) {
      throw new Error(
        `service ${service}: a ${deployment.strategy} rollout needs its rollout roles and hook`,
      );
    }

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

    const colours: readonly Colour[] = web ? (shifts ? COLOURS : ["blue"]) : [];
    const targetGroups = colours.map(
      (colour) =>
        new aws.lb.TargetGroup(
          `${name}-tg-${colour}`,
          {
            name: physicalName(naming, serviceColourSuffix(service, colour), 32),
            port: web!.containerPort,
            protocol: "HTTP",
            targetType: "ip",
            vpcId: args.vpcId,
            deregistrationDelay: 30,
            healthCheck: {
              enabled: true,
              path: web!.healthCheckPath,
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
    );
    // Both target groups in one forward, all weight on the production one: ECS moves the
    // weights during a deployment (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html).
    // Every action is a forward: ECS refuses listener rules that mix forward with other action
    // types (same page, "Considerations").
    const forward = {
      type: "forward",
      forward: {
        targetGroups: targetGroups.map((tg, k) => ({ arn: tg.arn, weight: k === 0 ? 100 : 0 })),
      },
    };
    // While a deployment runs ECS rewrites the rules' weights, and after it leaves the weights on
    // whichever target group now serves: the rules' actions are ECS's from the first deployment
    // on, and Pulumi leaves them alone so that an update never swaps traffic back to a drained
    // target group (https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/). A rolling
    // service has one target group, which nothing else rewrites: its rule stays managed.
    const ownedByEcs: pulumi.CustomResourceOptions = shifts ? { ignoreChanges: ["actions"] } : {};
    const rules: aws.lb.ListenerRule[] = [];
    if (web) {
      // Rules are matched in priority order, lowest first
      // (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html).
      rules.push(
        new aws.lb.ListenerRule(
          `${name}-rule`,
          {
            listenerArn: web.listenerArn,
            priority: web.routing.default === true ? DEFAULT_RULE_PRIORITY : web.routing.priority,
            conditions: ruleConditions(web.routing)!,
            actions: [forward],
            tags: { ...tags, "listener-rule": "production" },
          },
          { parent: this, ...ownedByEcs },
        ),
      );
      if (shifts) {
        // Test traffic: requests carrying the header reach the new revision once ECS has shifted
        // test traffic to it, before any production request does (TEST_TRAFFIC_SHIFT).
        rules.push(
          new aws.lb.ListenerRule(
            `${name}-test-rule`,
            {
              listenerArn: web.listenerArn,
              priority: web.testRulePriority,
              conditions: [
                { httpHeader: { httpHeaderName: TEST_TRAFFIC_HEADER, values: [service] } },
              ],
              actions: [forward],
              tags: { ...tags, "listener-rule": "test" },
            },
            { parent: this, ...ownedByEcs },
          ),
        );
      }
    }

    const family = taskFamily(naming, service);
    const task = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family,
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
            image: args.image,
            port: web?.containerPort,
            xrayDaemonImage: args.xrayDaemonImage,
            logGroupName: args.logGroupName,
            region: region.region,
            stack: naming.stack,
            parameterPath: args.parameterPath,
          }),
        ),
        tags,
      },
      { parent: this },
    );
    const serviceName = physicalName(naming, service, 255);
    const rollout = shifts ? args.rollout : undefined;
    const loadBalancer =
      web && targetGroups[0]
        ? {
            targetGroupArn: targetGroups[0].arn,
            containerName: service,
            containerPort: web.containerPort,
            ...(rollout
              ? {
                  advancedConfiguration: {
                    alternateTargetGroupArn: targetGroups[1]!.arn,
                    productionListenerRule: rules[0]!.arn,
                    testListenerRule: rules[1]!.arn,
                    roleArn: rollout.infrastructureRoleArn,
                  },
                }
              : {}),
          }
        : undefined;
    new aws.ecs.Service(
      `${name}-svc`,
      {
        name: serviceName,
        cluster: args.clusterArn,
        taskDefinition: task.arn,
        desiredCount: args.desiredCount,
        launchType: "FARGATE",
        platformVersion: "LATEST",
        networkConfiguration: {
          subnets: args.appSubnetIds,
          securityGroups: [sg.id],
          assignPublicIp: false,
        },
        loadBalancers: loadBalancer ? [loadBalancer] : [],
        deploymentConfiguration: ecsDeploymentConfiguration(
          deployment,
          rollout && web
            ? {
                hookFunctionArn: rollout.hookFunctionArn,
                hookRoleArn: rollout.hookRoleArn,
                smoke: pulumi.jsonStringify({
                  check: "smoke",
                  service,
                  url: pulumi.interpolate`https://${web.loadBalancerDnsName}${web.healthCheckPath}`,
                } satisfies SmokeHookDetails),
                hold: holdHookDetails(service, deployment),
                verify: pulumi.jsonStringify({
                  check: "verify",
                  service,
                  url: web.appHealthUrl,
                  alarms: rollout.rollbackAlarmNames,
                } satisfies VerifyHookDetails),
                migrate: migrateHookDetails(service, args.migrations),
              }
            : undefined,
        ),
        // The circuit breaker stops a deployment whose tasks never become healthy and rolls back
        // to the last completed one, with every strategy
        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
        deploymentCircuitBreaker: { enable: true, rollback: true },
        // ECS watches these alarms from the start of a deployment to the end of its bake and
        // rolls back when one fires (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html).
        // Each watches one target group, so the new revision is judged on its own traffic.
        ...(rollout
          ? {
              alarms: {
                alarmNames: [...rollout.rollbackAlarmNames],
                enable: true,
                rollback: true,
              },
            }
          : {}),
        // `pulumi up` waits until ECS reports the service stable (running count equals the
        // desired count on one deployment, like `aws ecs wait services-stable`), so it does not
        // finish while the release is still shifting or baking
        // (https://www.pulumi.com/registry/packages/aws/api-docs/ecs/service/#waitforsteadystate_nodejs,
        // https://docs.aws.amazon.com/cli/latest/reference/ecs/wait/services-stable.html). A
        // deployment ECS rolls back (circuit breaker, alarm, failed hook) leaves the service
        // stable on the old revision and the wait succeeds, so the update alone does not prove the
        // release runs: the deploy job checks each service's running task definition against the
        // stack output ecsServices (`envstack verify-deploy`;
        // https://github.com/hashicorp/terraform-provider-aws/issues/19519).
        waitForSteadyState: true,
        // Unused without a load balancer's (or a container's) health check
        // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html).
        ...(web ? { healthCheckGracePeriodSeconds: 60 } : {}),
        enableEcsManagedTags: true,
        propagateTags: "SERVICE",
        tags: { ...tags, "deployment-strategy": deployment.strategy },
      },
      // ECS refuses a target group no listener forwards to yet, and a rule it is told about
      // that does not exist.
      { parent: this, dependsOn: rules },
    );

    this.service = service;
    this.serviceName = serviceName;
    this.taskDefinitions = { [serviceName]: task.arn };
    this.securityGroupId = sg.id;
    this.targetGroupArnSuffixes = targetGroups.map((tg) => tg.arnSuffix);
    this.primaryTargetGroupArn = targetGroups[0]?.arn;
    this.listenerRuleArns = rules.map((r) => r.arn);
    this.rollbackAlarmNames = rollout ? [...rollout.rollbackAlarmNames] : [];
    this.registerOutputs({
      securityGroupId: this.securityGroupId,
      listenerRuleArns: this.listenerRuleArns,
    });
  }
}

interface ContainerSpec {
  readonly service: string;
  readonly image: string;
  readonly port?: number;
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
    { name: "APP_PARAMETER_PATH", value: spec.parameterPath },
    ...(spec.xrayDaemonImage ? [{ name: "AWS_XRAY_DAEMON_ADDRESS", value: "127.0.0.1:2000" }] : []),
  ];
  const app = {
    name: spec.service,
    image: spec.image,
    essential: true,
    portMappings: spec.port === undefined ? [] : [{ containerPort: spec.port, protocol: "tcp" }],
    environment,
    logConfiguration: logs("app"),
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
      logConfiguration: logs("xray"),
    },
  ];
}
