import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ECS_STRATEGIES, type DeploymentConfig } from "../model";
import { componentTags, physicalName, type Naming } from "./naming";

/**
 * The header of test traffic: a request carrying `<header>: <service>` matches the service's test
 * listener rule, which ECS points at the new revision before production traffic moves.
 */
export const TEST_TRAFFIC_HEADER = "x-envstack-test-traffic";

/** Attempts the smoke test makes (15 s apart) before it fails the deployment. */
export const SMOKE_ATTEMPTS = 5;
export const SMOKE_RETRY_SECONDS = 15;

/**
 * Attempts the post-shift verification makes (15 s apart) before it fails the deployment: the
 * app's health on production traffic. A rollback alarm in ALARM fails it at once.
 */
export const VERIFY_ATTEMPTS = 5;
export const VERIFY_RETRY_SECONDS = 15;

/** The smoke test's details: what ECS hands the rollout hook at POST_TEST_TRAFFIC_SHIFT. */
export interface SmokeHookDetails {
  readonly check: "smoke";
  readonly service: string;
  /** The service's health path through the load balancer. */
  readonly url: pulumi.Input<string>;
}

/**
 * The post-shift verification's details: what ECS hands the rollout hook at
 * POST_PRODUCTION_TRAFFIC_SHIFT, when every production request reaches the new revision and the
 * old one still runs (the rollback window of the bake has not begun).
 */
export interface VerifyHookDetails {
  readonly check: "verify";
  readonly service: string;
  /** The app's health URL through the production listener (no test header). */
  readonly url: pulumi.Input<string>;
  /** The service's rollback alarms: none may be in ALARM. */
  readonly alarms: readonly string[];
}

/** The hook a traffic-shifting service runs, with its details already serialized. */
export interface RolloutHooks {
  readonly hookFunctionArn: pulumi.Input<string>;
  readonly hookRoleArn: pulumi.Input<string>;
  readonly smoke: pulumi.Input<string>;
  readonly verify: pulumi.Input<string>;
  /** The hold hook's details (src/model/rollout.ts holdHookDetails); unset without holds. */
  readonly hold?: string;
}

/**
 * The ECS service's deploymentConfiguration for a validated rollout
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html;
 * the provider takes the bake times as strings:
 * https://www.pulumi.com/registry/packages/aws/api-docs/ecs/service/#servicedeploymentconfiguration).
 *
 * - blue-green: the new revision starts beside the old, takes test traffic, then all production
 *   traffic at once, and bakes `bakeMinutes` before the old revision stops.
 * - canary: `canaryPercent` of production traffic for `canaryBakeMinutes`, then the rest, then the
 *   bake.
 * - linear: `stepPercent` more at each step, `stepBakeMinutes` apart, then the bake. With `holds`,
 *   the hook keeps the shift at each listed share for `holdMinutes`: on 5% steps with holds 5, 25
 *   and 50, traffic goes 5% (held), 10-25% (held at 25), 30-50% (held at 50), 55-100%.
 * - rolling: tasks are replaced in place (a worker's rollout).
 *
 * The smoke test runs at POST_TEST_TRAFFIC_SHIFT (test traffic on the new revision, production
 * traffic still on the old); the holds at PRODUCTION_TRAFFIC_SHIFT, which ECS invokes at every
 * step of a linear or canary shift; the post-shift verification at POST_PRODUCTION_TRAFFIC_SHIFT
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentLifecycleHook.html).
 * The hooks are listed smoke, hold (when set), verify: the parity check reads the hold hook's
 * details at HOLD_HOOK_INDEX, and the verify hook's details carry none of its fields.
 */
export function ecsDeploymentConfiguration(
  deployment: DeploymentConfig,
  hooks: RolloutHooks | undefined,
): aws.types.input.ecs.ServiceDeploymentConfiguration {
  const strategy = ECS_STRATEGIES[deployment.strategy];
  if (deployment.strategy === "rolling") return { strategy };
  const hook = (stage: string, details: pulumi.Input<string>) => ({
    hookTargetArn: hooks!.hookFunctionArn,
    roleArn: hooks!.hookRoleArn,
    targetType: "AWS_LAMBDA",
    lifecycleStages: [stage],
    hookDetails: details,
  });
  return {
    strategy,
    bakeTimeInMinutes: String(deployment.bakeMinutes ?? 0),
    ...(deployment.strategy === "canary"
      ? {
          canaryConfiguration: {
            canaryPercent: deployment.canaryPercent,
            canaryBakeTimeInMinutes: String(deployment.canaryBakeMinutes ?? 0),
          },
        }
      : {}),
    ...(deployment.strategy === "linear"
      ? {
          linearConfiguration: {
            stepPercent: deployment.stepPercent,
            stepBakeTimeInMinutes: String(deployment.stepBakeMinutes ?? 0),
          },
        }
      : {}),
    ...(hooks
      ? {
          lifecycleHooks: [
            hook("POST_TEST_TRAFFIC_SHIFT", hooks.smoke),
            ...(hooks.hold !== undefined ? [hook("PRODUCTION_TRAFFIC_SHIFT", hooks.hold)] : []),
            hook("POST_PRODUCTION_TRAFFIC_SHIFT", hooks.verify),
          ],
        }
      : {}),
  };
}

/**
 * The rollout hook's code (Node.js, ES module). ECS invokes it with the hook's hookDetails and
 * expects `hookStatus` SUCCEEDED, FAILED (roll back) or IN_PROGRESS (invoke again after
 * `callBackDelay` seconds, with the hookDetails returned)
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html).
 * It calls AWS with the SDK for JavaScript v3 the Node.js runtime provides, loaded only when a
 * check needs it (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html: the nodejs22.x
 * runtime includes the SDK v3); `makeHandler` takes another SDK for the tests.
 *
 * - smoke: GET the service's health path through the load balancer with the test header; a 2xx
 *   or 3xx passes, anything else is retried, and the deployment rolls back after the last
 *   attempt. The URL names the load balancer, not the certificate's domain, so the certificate's
 *   name is not checked; the request carries no credential.
 * - hold: when ECS reports the new revision's production share (productionTrafficWeights) at a
 *   listed hold, wait holdMinutes before the shift goes on; ECS's rollback alarms keep watching
 *   meanwhile. Whether ECS reports the share before or after the step it is about to take is not
 *   documented, so a hold keeps traffic at the listed share or one step below it. ECS runs the
 *   PRODUCTION_TRAFFIC_SHIFT hooks during a rollback too (same page): a rollback is never held. The
 *   hook asks ECS whether the service's deployment is rolling back (ListServiceDeployments,
 *   ROLLBACK_REQUESTED or ROLLBACK_IN_PROGRESS:
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html), and
 *   lets the shift go on when it cannot tell.
 * - verify: after production traffic has shifted, while the old revision still runs: none of the
 *   service's rollback alarms may be in ALARM (FAILED at once) and the app's health URL must answer
 *   2xx or 3xx on production traffic (retried, FAILED after the last attempt). An alarm state it
 *   cannot read counts as a failed attempt.
 * - anything else fails: an unrecognized hook never lets a revision through.
 */
export const ROLLOUT_HOOK_SOURCE = `import http from "node:http";
import https from "node:https";

const HEADER = ${JSON.stringify(TEST_TRAFFIC_HEADER)};
const SMOKE_ATTEMPTS = ${SMOKE_ATTEMPTS};
const SMOKE_RETRY_SECONDS = ${SMOKE_RETRY_SECONDS};
const VERIFY_ATTEMPTS = ${VERIFY_ATTEMPTS};
const VERIFY_RETRY_SECONDS = ${VERIFY_RETRY_SECONDS};
const ROLLING_BACK = ["ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"];

function detailsOf(event) {
  const details = event?.hookDetails;
  if (typeof details !== "string") return details ?? {};
  try {
    return JSON.parse(details);
  } catch {
    return {};
  }
}

function statusOf(url, headers) {
  return new Promise((resolve) => {
    const client = url.startsWith("https:") ? https : http;
    const request = client.get(url, { headers, rejectUnauthorized: false, timeout: 5000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", () => resolve(0));
  });
}

const healthy = (status) => status >= 200 && status < 400;

/** The SDK for JavaScript v3 as the Lambda runtime provides it. */
async function runtimeSdk() {
  const [ecs, cloudwatch] = await Promise.all([import("@aws-sdk/client-ecs"), import("@aws-sdk/client-cloudwatch")]);
  return { ecs, cloudwatch };
}

/** The two questions the hook asks AWS, over the given SDK's clients. */
function awsOf({ ecs, cloudwatch }) {
  const ecsClient = new ecs.ECSClient({});
  const cloudwatchClient = new cloudwatch.CloudWatchClient({});
  return {
    // arn:<partition>:ecs:<region>:<account>:service/<cluster>/<service>
    async rollingBack(serviceArn) {
      const [, cluster, service] = String(serviceArn).split(":").slice(5).join(":").split("/");
      const answer = await ecsClient.send(
        new ecs.ListServiceDeploymentsCommand({ cluster, service, status: ROLLING_BACK }),
      );
      return (answer.serviceDeployments ?? []).length > 0;
    },
    async alarmsFiring(names) {
      const answer = await cloudwatchClient.send(
        new cloudwatch.DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ["MetricAlarm"] }),
      );
      return (answer.MetricAlarms ?? []).filter((a) => a.StateValue === "ALARM").map((a) => a.AlarmName);
    },
  };
}

async function smoke(details) {
  const status = await statusOf(details.url, { [HEADER]: details.service });
  const attempt = (Number(details.attempt) || 0) + 1;
  console.log(JSON.stringify({ check: "smoke", service: details.service, url: details.url, status, attempt }));
  if (healthy(status)) return { hookStatus: "SUCCEEDED" };
  if (attempt >= SMOKE_ATTEMPTS) return { hookStatus: "FAILED" };
  return { hookStatus: "IN_PROGRESS", callBackDelay: SMOKE_RETRY_SECONDS, hookDetails: { ...details, attempt } };
}

async function hold(details, event, now, aws) {
  const weights = event?.productionTrafficWeights ?? {};
  const share = Number(weights[event?.targetServiceRevisionArn] ?? 0);
  const holds = Array.isArray(details.holds) ? details.holds.map(Number) : [];
  if (!holds.includes(share)) return { hookStatus: "SUCCEEDED" };
  try {
    if (await (await aws()).rollingBack(event?.serviceArn)) {
      console.log(JSON.stringify({ check: "hold", service: details.service, share, rollingBack: true }));
      return { hookStatus: "SUCCEEDED" };
    }
  } catch (error) {
    console.log(JSON.stringify({ check: "hold", service: details.service, share, error: String(error) }));
    return { hookStatus: "SUCCEEDED" };
  }
  const since = Number(details.holdingSince) || now;
  const waited = now - since;
  const total = Number(details.holdMinutes) * 60000;
  console.log(JSON.stringify({ check: "hold", service: details.service, share, waitedSeconds: Math.round(waited / 1000) }));
  if (waited >= total) return { hookStatus: "SUCCEEDED" };
  const left = Math.ceil((total - waited) / 1000);
  return { hookStatus: "IN_PROGRESS", callBackDelay: Math.min(60, left), hookDetails: { ...details, holdingSince: since } };
}

async function verify(details, aws) {
  const attempt = (Number(details.attempt) || 0) + 1;
  let firing;
  let error;
  try {
    firing = await (await aws()).alarmsFiring(details.alarms.map(String));
  } catch (caught) {
    error = String(caught);
  }
  const status = await statusOf(details.url, {});
  console.log(JSON.stringify({ check: "verify", service: details.service, url: details.url, status, firing, error, attempt }));
  if (firing !== undefined && firing.length > 0) return { hookStatus: "FAILED" };
  if (firing !== undefined && healthy(status)) return { hookStatus: "SUCCEEDED" };
  if (attempt >= VERIFY_ATTEMPTS) return { hookStatus: "FAILED" };
  return { hookStatus: "IN_PROGRESS", callBackDelay: VERIFY_RETRY_SECONDS, hookDetails: { ...details, attempt } };
}

/** The handler over an SDK (the runtime's by default) and a clock. */
export function makeHandler({ sdk = runtimeSdk, now = Date.now } = {}) {
  let clients;
  const aws = async () => (clients ??= awsOf(await sdk()));
  return async (event) => {
    const details = detailsOf(event);
    if (details.check === "smoke" && typeof details.url === "string") return smoke(details);
    if (details.check === "hold") return hold(details, event, now(), aws);
    if (details.check === "verify" && typeof details.url === "string" && Array.isArray(details.alarms))
      return verify(details, aws);
    console.log(JSON.stringify({ error: "unrecognized hook details", details }));
    return { hookStatus: "FAILED" };
  };
}

export const handler = makeHandler();
`;

export interface RolloutArgs {
  /** Stack and app: physical names. No default. */
  readonly naming: Naming;
  /** The log group the hook writes to (under the environment's path). No default. */
  readonly logGroupName: pulumi.Input<string>;
  /** The environment's permissions boundary, carried by every role here. No default. */
  readonly permissionsBoundaryArn: pulumi.Input<string>;
  /** The environment's ECS cluster: the hook reads its services' deployments. No default. */
  readonly clusterName: string;
}

/**
 * What ECS needs to run a blue-green, canary or linear rollout for the environment's services:
 * the infrastructure role it shifts load balancer traffic with (AWS's managed policy for it),
 * the rollout hook function and the role ECS invokes it with
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html).
 * Every role carries the environment's boundary.
 */
export class Rollout extends pulumi.ComponentResource {
  public readonly infrastructureRoleArn: pulumi.Output<string>;
  public readonly hookFunctionArn: pulumi.Output<string>;
  public readonly hookRoleArn: pulumi.Output<string>;

  constructor(name: string, args: RolloutArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:Rollout", name, {}, opts);
    const { naming } = args;
    const tags = componentTags("rollout");
    const partition = aws.getPartitionOutput({}, { parent: this });
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const trust = (service: string) =>
      pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: service },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": identity.accountId } },
          },
        ],
      });
    const role = (suffix: string, service: string, description: string) =>
      new aws.iam.Role(
        `${name}-${suffix}`,
        {
          name: physicalName(naming, suffix, 64),
          description,
          assumeRolePolicy: trust(service),
          permissionsBoundary: args.permissionsBoundaryArn,
          tags,
        },
        { parent: this },
      );

    const infrastructure = role(
      "ecs-infrastructure",
      "ecs.amazonaws.com",
      "Lets ECS shift the services' load balancer traffic during a rollout",
    );
    const infrastructurePolicy = new aws.iam.RolePolicyAttachment(
      `${name}-ecs-infrastructure`,
      {
        role: infrastructure.name,
        policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers`,
      },
      { parent: this },
    );

    const execution = role(
      "rollout-hook",
      "lambda.amazonaws.com",
      "The rollout hook's own permissions: its log group, the services' deployments and alarms",
    );
    const functionName = physicalName(naming, "rollout-hook", 64);
    const logGroupArn = pulumi.interpolate`arn:${partition.partition}:logs:*:${identity.accountId}:log-group:${args.logGroupName}`;
    const executionPolicy = new aws.iam.RolePolicy(
      `${name}-rollout-hook`,
      {
        role: execution.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "WriteOwnLogs",
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: pulumi.interpolate`${logGroupArn}:*`,
            },
            {
              // Whether a service's deployment is rolling back (a hold never holds a rollback):
              // the service resource type
              // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html).
              Sid: "ReadServiceDeployments",
              Effect: "Allow",
              Action: "ecs:ListServiceDeployments",
              Resource: pulumi.interpolate`arn:${partition.partition}:ecs:*:${identity.accountId}:service/${args.clusterName}/*`,
            },
            {
              // The rollback alarms' states for the post-shift verification; DescribeAlarms takes
              // the alarm resource type
              // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).
              Sid: "ReadEnvironmentAlarms",
              Effect: "Allow",
              Action: "cloudwatch:DescribeAlarms",
              Resource: pulumi.interpolate`arn:${partition.partition}:cloudwatch:*:${identity.accountId}:alarm:${physicalName(naming, "*", 255)}`,
            },
          ],
        }),
      },
      { parent: this },
    );
    const hook = new aws.lambda.Function(
      `${name}-hook`,
      {
        name: functionName,
        description:
          "Smoke-tests a new revision on test traffic, holds linear shifts, verifies after the shift",
        runtime: "nodejs22.x",
        handler: "index.handler",
        code: new pulumi.asset.AssetArchive({
          "index.mjs": new pulumi.asset.StringAsset(ROLLOUT_HOOK_SOURCE),
        }),
        role: execution.arn,
        timeout: 30,
        memorySize: 128,
        loggingConfig: { logFormat: "Text", logGroup: args.logGroupName },
        tags,
      },
      { parent: this, dependsOn: [executionPolicy] },
    );

    const invoke = role(
      "rollout-hook-invoke",
      "ecs.amazonaws.com",
      "Lets ECS invoke the rollout hook",
    );
    const invokePolicy = new aws.iam.RolePolicy(
      `${name}-rollout-hook-invoke`,
      {
        role: invoke.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "InvokeTheRolloutHook",
              Effect: "Allow",
              Action: "lambda:InvokeFunction",
              Resource: hook.arn,
            },
          ],
        }),
      },
      { parent: this },
    );

    // A role is usable once its policy is attached: the services wait for these outputs.
    this.infrastructureRoleArn = pulumi
      .all([infrastructure.arn, infrastructurePolicy.id])
      .apply(([arn]) => arn);
    this.hookFunctionArn = hook.arn;
    this.hookRoleArn = pulumi.all([invoke.arn, invokePolicy.id]).apply(([arn]) => arn);
    this.registerOutputs({
      infrastructureRoleArn: this.infrastructureRoleArn,
      hookFunctionArn: this.hookFunctionArn,
      hookRoleArn: this.hookRoleArn,
    });
  }
}
