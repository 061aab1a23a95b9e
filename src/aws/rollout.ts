import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ECS_STRATEGIES, MIGRATE_STAGE, type DeploymentConfig } from "../model";
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

/** Seconds between the migration hook's looks at its task. */
export const MIGRATE_POLL_SECONDS = 30;
/** `startedBy` of a migration task: who started it, as ECS lists it (up to 128 characters). */
export const MIGRATION_STARTED_BY_PREFIX = "envstack-migrate-";

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
  /** The migration hook's details (src/model/rollout.ts migrateHookDetails); unset without migrations. */
  readonly migrate?: string;
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
 * step of a linear or canary shift; the post-shift verification at POST_PRODUCTION_TRAFFIC_SHIFT;
 * the migration at PRE_SCALE_UP, before the new revision starts
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentLifecycleHook.html).
 * The hooks are listed smoke, hold (when set), verify, migrate (when set): the parity check reads
 * the hold hook's details at HOLD_HOOK_INDEX (the others' details carry none of its fields), and
 * the policies find the migration by its stage.
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
            ...(hooks.migrate !== undefined ? [hook(MIGRATE_STAGE, hooks.migrate)] : []),
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
 * AWS calls go through the SDK for JavaScript v3 the Node.js runtime includes
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included), loaded
 * on first use, so the module has no dependency to bundle; `createHandler` takes other clients
 * (the tests' fakes).
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
 * - migrate: at PRE_SCALE_UP (the new revision not started, the old one serving all traffic),
 *   describe the target service revision ECS hands the hook (`targetServiceRevisionArn`) and run
 *   one task of its task definition, in its network configuration, with the migration's command
 *   and MIGRATION_VERSION: the migration runs exactly the image being deployed. Then look at the
 *   task every MIGRATE_POLL_SECONDS: stopped with the container's exit code 0 passes; any other
 *   exit (or none) fails, and ECS rolls back before any traffic moved; past timeoutMinutes the
 *   task is stopped and the hook fails.
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

let runtimeClients;
/** The runtime's SDK clients, made on first use: { ecs, cloudwatch }. */
async function runtimeAws() {
  if (runtimeClients === undefined) {
    const [{ ECS }, { CloudWatch }] = await Promise.all([import("@aws-sdk/client-ecs"), import("@aws-sdk/client-cloudwatch")]);
    runtimeClients = { ecs: new ECS({}), cloudwatch: new CloudWatch({}) };
  }
  return runtimeClients;
}

// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html
async function rollingBack(ecs, serviceArn) {
  // arn:<partition>:ecs:<region>:<account>:service/<cluster>/<service>
  const [, cluster, service] = String(serviceArn).split(":").slice(5).join(":").split("/");
  const answer = await ecs.listServiceDeployments({ cluster, service, status: ROLLING_BACK });
  return (answer?.serviceDeployments ?? []).length > 0;
}

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
async function alarmsFiring(cloudwatch, names) {
  const answer = await cloudwatch.describeAlarms({ AlarmNames: names, AlarmTypes: ["MetricAlarm"] });
  return (answer?.MetricAlarms ?? []).filter((a) => a.StateValue === "ALARM").map((a) => a.AlarmName);
}

async function smoke(details) {
  const status = await statusOf(details.url, { [HEADER]: details.service });
  const attempt = (Number(details.attempt) || 0) + 1;
  console.log(JSON.stringify({ check: "smoke", service: details.service, url: details.url, status, attempt }));
  if (healthy(status)) return { hookStatus: "SUCCEEDED" };
  if (attempt >= SMOKE_ATTEMPTS) return { hookStatus: "FAILED" };
  return { hookStatus: "IN_PROGRESS", callBackDelay: SMOKE_RETRY_SECONDS, hookDetails: { ...details, attempt } };
}

async function hold(details, event, now, getAws) {
  const weights = event?.productionTrafficWeights ?? {};
  const share = Number(weights[event?.targetServiceRevisionArn] ?? 0);
  const holds = Array.isArray(details.holds) ? details.holds.map(Number) : [];
  if (!holds.includes(share)) return { hookStatus: "SUCCEEDED" };
  try {
    if (await rollingBack((await getAws()).ecs, event?.serviceArn)) {
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

async function verify(details, getAws) {
  const attempt = (Number(details.attempt) || 0) + 1;
  let firing;
  let error;
  try {
    firing = await alarmsFiring((await getAws()).cloudwatch, details.alarms.map(String));
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

const MIGRATE_POLL_SECONDS = ${MIGRATE_POLL_SECONDS};
const STARTED_BY = ${JSON.stringify(MIGRATION_STARTED_BY_PREFIX)};

function reasonOf(error) {
  return error instanceof Error ? \`\${error.name}: \${error.message}\` : String(error);
}

// RunTask: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
// DescribeServiceRevisions: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceRevisions.html
async function startMigration(details, event, now, ecs, log) {
  const revisionArn = event?.targetServiceRevisionArn;
  if (typeof revisionArn !== "string") {
    log({ error: "no targetServiceRevisionArn in the hook's payload" });
    return { hookStatus: "FAILED" };
  }
  const described = await ecs.describeServiceRevisions({ serviceRevisionArns: [revisionArn] });
  const revision = (described?.serviceRevisions ?? []).find((r) => r?.serviceRevisionArn === revisionArn) ?? described?.serviceRevisions?.[0];
  if (typeof revision?.taskDefinition !== "string") {
    log({ error: "service revision not found", revisionArn, failures: described?.failures ?? [] });
    return { hookStatus: "FAILED" };
  }
  const capacity = revision.capacityProviderStrategy ?? [];
  const run = await ecs.runTask({
    cluster: revision.clusterArn,
    taskDefinition: revision.taskDefinition,
    count: 1,
    ...(capacity.length > 0 ? { capacityProviderStrategy: capacity } : { launchType: revision.launchType ?? "FARGATE" }),
    ...(revision.platformVersion ? { platformVersion: revision.platformVersion } : {}),
    ...(revision.networkConfiguration ? { networkConfiguration: revision.networkConfiguration } : {}),
    startedBy: (STARTED_BY + details.service).slice(0, 128),
    overrides: {
      containerOverrides: [
        {
          name: details.container,
          command: details.command,
          environment: [{ name: "MIGRATION_VERSION", value: String(details.version) }],
        },
      ],
    },
  });
  const taskArn = run?.tasks?.[0]?.taskArn;
  if ((run?.failures ?? []).length > 0 || typeof taskArn !== "string") {
    log({ error: "RunTask started no task", failures: run?.failures ?? [] });
    return { hookStatus: "FAILED" };
  }
  log({ started: taskArn, taskDefinition: revision.taskDefinition });
  return {
    hookStatus: "IN_PROGRESS",
    callBackDelay: MIGRATE_POLL_SECONDS,
    hookDetails: { ...details, taskArn, cluster: revision.clusterArn, startedAt: now },
  };
}

// DescribeTasks: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html
// StopTask: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html
async function watchMigration(details, now, ecs, log) {
  const { taskArn, cluster } = details;
  const described = await ecs.describeTasks({ cluster, tasks: [taskArn] });
  const task = (described?.tasks ?? []).find((t) => t?.taskArn === taskArn);
  if (task === undefined) {
    log({ error: "migration task not found", taskArn, failures: described?.failures ?? [] });
    return { hookStatus: "FAILED" };
  }
  if (task.lastStatus === "STOPPED") {
    const container = (task.containers ?? []).find((c) => c?.name === details.container);
    const exitCode = container?.exitCode;
    log({ taskArn, stopped: task.stoppedReason, exitCode: exitCode ?? null, reason: container?.reason });
    return { hookStatus: exitCode === 0 ? "SUCCEEDED" : "FAILED" };
  }
  const waited = now - Number(details.startedAt);
  const limit = Number(details.timeoutMinutes) * 60000;
  if (!(waited < limit)) {
    await ecs.stopTask({ cluster, task: taskArn, reason: \`envstack: migration exceeded \${details.timeoutMinutes} minutes\` });
    log({ error: "migration timed out: task stopped", taskArn, waitedSeconds: Math.round(waited / 1000) });
    return { hookStatus: "FAILED" };
  }
  log({ taskArn, lastStatus: task.lastStatus, waitedSeconds: Math.round(waited / 1000) });
  return { hookStatus: "IN_PROGRESS", callBackDelay: MIGRATE_POLL_SECONDS, hookDetails: details };
}

async function migrate(details, event, now, getEcs) {
  const log = (fields) => console.log(JSON.stringify({ check: "migrate", service: details.service, version: details.version, ...fields }));
  if (!Array.isArray(details.command) || typeof details.container !== "string") {
    log({ error: "migration details without command or container" });
    return { hookStatus: "FAILED" };
  }
  try {
    const ecs = await getEcs();
    return typeof details.taskArn === "string"
      ? await watchMigration(details, now, ecs, log)
      : await startMigration(details, event, now, ecs, log);
  } catch (error) {
    // A migration under way is not abandoned on a failed look (a throttled call): it is looked at
    // again until its timeout; past it, the hook fails whatever the look's outcome.
    const watching =
      typeof details.taskArn === "string" &&
      now - Number(details.startedAt) < Number(details.timeoutMinutes) * 60000;
    log({ error: reasonOf(error), retrying: watching });
    if (watching) return { hookStatus: "IN_PROGRESS", callBackDelay: MIGRATE_POLL_SECONDS, hookDetails: details };
    return { hookStatus: "FAILED" };
  }
}

async function dispatch(event, getAws, now) {
  const details = detailsOf(event);
  if (details.check === "smoke" && typeof details.url === "string") return smoke(details);
  if (details.check === "hold") return hold(details, event, now(), getAws);
  if (details.check === "verify" && typeof details.url === "string" && Array.isArray(details.alarms))
    return verify(details, getAws);
  if (details.check === "migrate") return migrate(details, event, now(), async () => (await getAws()).ecs);
  console.log(JSON.stringify({ error: "unrecognized hook details", details }));
  return { hookStatus: "FAILED" };
}

/**
 * The hook over its AWS clients: \`getAws\` resolves to { ecs, cloudwatch }, objects with the
 * SDK's ECS and CloudWatch methods; \`now\` is the clock.
 */
export function createHandler(getAws, now = Date.now) {
  return (event) => dispatch(event, getAws, now);
}

export const handler = createHandler(runtimeAws);
`;

/** What the migration hook may run: the environment's cluster, task definitions and roles. */
export interface RolloutMigrations {
  /** The environment's cluster: the only one the hook describes, runs and stops tasks in. No default. */
  readonly clusterName: string;
  readonly clusterArn: pulumi.Input<string>;
  /** Task definition families of the services with migrations: the only ones it runs. No default. */
  readonly taskFamilies: readonly string[];
  /** The task and execution roles the tasks run with: the only roles it passes. No default. */
  readonly taskRoleArn: pulumi.Input<string>;
  readonly executionRoleArn: pulumi.Input<string>;
}

/**
 * The hook role's statements for migrations, each action scoped as tightly as the Service
 * Authorization Reference allows
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html):
 * DescribeServiceRevisions on the cluster's service revisions
 * (`service-revision/<cluster>/<service>/<id>`), RunTask on the migrating services' task
 * definition families with the `ecs:cluster` condition, DescribeTasks and StopTask on the
 * cluster's tasks (`task/<cluster>/<id>`, also under `ecs:cluster`); PassRole on the task and
 * execution roles, to ECS tasks only, as RunTask requires
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
 */
export function migrationStatements(
  arn: {
    readonly partition: pulumi.Input<string>;
    readonly region: pulumi.Input<string>;
    readonly accountId: pulumi.Input<string>;
  },
  m: RolloutMigrations,
): Record<string, unknown>[] {
  const ecs = (resource: string) =>
    pulumi.interpolate`arn:${arn.partition}:ecs:${arn.region}:${arn.accountId}:${resource}`;
  const inCluster = { ArnEquals: { "ecs:cluster": m.clusterArn } };
  return [
    {
      Sid: "DescribeTheRevisionBeingDeployed",
      Effect: "Allow",
      Action: "ecs:DescribeServiceRevisions",
      Resource: ecs(`service-revision/${m.clusterName}/*`),
    },
    {
      Sid: "RunMigrationTasks",
      Effect: "Allow",
      Action: "ecs:RunTask",
      Resource: m.taskFamilies.map((family) => ecs(`task-definition/${family}:*`)),
      Condition: inCluster,
    },
    {
      Sid: "WatchAndStopMigrationTasks",
      Effect: "Allow",
      Action: ["ecs:DescribeTasks", "ecs:StopTask"],
      Resource: ecs(`task/${m.clusterName}/*`),
      Condition: inCluster,
    },
    {
      Sid: "PassTheTaskRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: [m.taskRoleArn, m.executionRoleArn],
      Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    },
  ];
}

export interface RolloutArgs {
  /** Stack and app: physical names. No default. */
  readonly naming: Naming;
  /** The log group the hook writes to (under the environment's path). No default. */
  readonly logGroupName: pulumi.Input<string>;
  /** The environment's permissions boundary, carried by every role here. No default. */
  readonly permissionsBoundaryArn: pulumi.Input<string>;
  /** The environment's ECS cluster: the hook reads its services' deployments. No default. */
  readonly clusterName: string;
  /** What the migration hook runs. Defaults to none: the hook's role runs no task. */
  readonly migrations?: RolloutMigrations;
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
    const region = aws.getRegionOutput({}, { parent: this });
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
      "The rollout hook's own permissions: its log group, the services' deployments and alarms, migration tasks",
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
              Resource: pulumi.interpolate`arn:${partition.partition}:ecs:${region.region}:${identity.accountId}:service/${args.clusterName}/*`,
            },
            {
              // The rollback alarms' states for the post-shift verification; DescribeAlarms takes
              // the alarm resource type
              // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).
              Sid: "ReadEnvironmentAlarms",
              Effect: "Allow",
              Action: "cloudwatch:DescribeAlarms",
              Resource: pulumi.interpolate`arn:${partition.partition}:cloudwatch:${region.region}:${identity.accountId}:alarm:${physicalName(naming, "*", 255)}`,
            },
            ...(args.migrations
              ? migrationStatements(
                  {
                    partition: partition.partition,
                    region: region.region,
                    accountId: identity.accountId,
                  },
                  args.migrations,
                )
              : []),
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
          "Migrates, smoke-tests a new revision on test traffic, holds linear shifts, verifies after the shift",
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
