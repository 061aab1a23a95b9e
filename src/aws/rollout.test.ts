import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HOLD_HOOK_INDEX,
  holdHookDetails,
  migrateHookDetails,
  type DeploymentConfig,
} from "../model";
import {
  MIGRATE_POLL_SECONDS,
  MIGRATION_STARTED_BY_PREFIX,
  ROLLOUT_HOOK_SOURCE,
  SMOKE_ATTEMPTS,
  TEST_TRAFFIC_HEADER,
  VERIFY_ATTEMPTS,
  ecsDeploymentConfiguration,
} from "./rollout";

type HookResult = {
  hookStatus: string;
  callBackDelay?: number;
  hookDetails?: Record<string, unknown>;
};
type Handler = (event: unknown) => Promise<HookResult>;
type CreateHandler = (getAws: () => Promise<unknown>, now?: () => number) => Handler;

/**
 * Stand-ins for the SDK's ECS and CloudWatch clients the hold and verify checks call: each
 * method records its call and answers what the test set for it, or throws it when it is an Error.
 */
function fakeAws(answers: { listServiceDeployments?: unknown; describeAlarms?: unknown }) {
  const calls: [string, unknown][] = [];
  const method = (name: keyof typeof answers) => async (input: unknown) => {
    calls.push([name, input]);
    const answer = answers[name];
    if (answer instanceof Error) throw answer;
    return answer ?? {};
  };
  const run = createHandler(async () => ({
    ecs: { listServiceDeployments: method("listServiceDeployments") },
    cloudwatch: { describeAlarms: method("describeAlarms") },
  }));
  return { calls, run };
}

/** The hook's code exactly as the Lambda function runs it, imported as an ES module. */
let handler: Handler;
let createHandler: CreateHandler;
let server: Server;
let base = "";
const seen: IncomingHttpHeaders[] = [];
let answer = 200;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "rollout-hook-"));
  const file = join(dir, "index.mjs");
  writeFileSync(file, ROLLOUT_HOOK_SOURCE);
  const hook = (await import(pathToFileURL(file).href)) as {
    handler: Handler;
    createHandler: CreateHandler;
  };
  handler = hook.handler;
  createHandler = hook.createHandler;
  server = createServer((req, res) => {
    seen.push(req.headers);
    res.statusCode = answer;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  base = `http://127.0.0.1:${address.port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html:
// hookDetails as configured (a JSON value), hookStatus SUCCEEDED | FAILED | IN_PROGRESS.
describe("the rollout hook's smoke test", () => {
  const smoke = (extra: Record<string, unknown> = {}) => ({
    hookDetails: JSON.stringify({
      check: "smoke",
      service: "api",
      url: `${base}/health`,
      ...extra,
    }),
  });

  it("passes when the new revision answers its health path as test traffic", async () => {
    answer = 200;
    seen.length = 0;
    expect(await handler(smoke())).toEqual({ hookStatus: "SUCCEEDED" });
    expect(seen.map((h) => h[TEST_TRAFFIC_HEADER])).toEqual(["api"]);
  });

  it("retries an error answer, carrying the attempt, then fails the deployment on the last", async () => {
    answer = 503;
    const first = await handler(smoke());
    expect(first).toMatchObject({ hookStatus: "IN_PROGRESS", hookDetails: { attempt: 1 } });
    expect(first.callBackDelay).toBeGreaterThan(0);
    expect(await handler({ hookDetails: first.hookDetails })).toMatchObject({
      hookStatus: "IN_PROGRESS",
      hookDetails: { attempt: 2 },
    });
    expect(await handler(smoke({ attempt: SMOKE_ATTEMPTS - 1 }))).toEqual({ hookStatus: "FAILED" });
  });

  it("counts a refused connection as a failed attempt, and takes details as an object too", async () => {
    const details = {
      check: "smoke",
      service: "api",
      url: "http://127.0.0.1:1/health",
      attempt: SMOKE_ATTEMPTS - 1,
    };
    expect(await handler({ hookDetails: details })).toEqual({ hookStatus: "FAILED" });
  });

  it("fails on details it does not know, never letting a revision through unchecked", async () => {
    for (const event of [
      {},
      { hookDetails: "not json" },
      { hookDetails: { check: "other" } },
      null,
    ])
      expect(await handler(event)).toEqual({ hookStatus: "FAILED" });
  });
});

describe("the rollout hook's holds", () => {
  const deployment: DeploymentConfig = {
    strategy: "linear",
    bakeMinutes: 10,
    stepPercent: 5,
    stepBakeMinutes: 0,
    holds: [5, 25, 50],
    holdMinutes: 10,
  };
  const revision = "arn:aws:ecs:eu-west-1:123456789012:service-revision/c/s/2";
  const serviceArn =
    "arn:aws:ecs:eu-west-1:123456789012:service/trading-prod-cluster/trading-prod-api";
  const at = (share: number, details = holdHookDetails("api", deployment)!) => ({
    hookDetails: details,
    serviceArn,
    targetServiceRevisionArn: revision,
    productionTrafficWeights: { [revision]: share, "arn:old": 100 - share },
  });
  /** A hook whose ECS answers that no deployment of the service is rolling back. */
  const steady = () => {
    const aws = fakeAws({ listServiceDeployments: { serviceDeployments: [] } });
    return { calls: aws.calls, handler: aws.run };
  };

  it("lets the steps between holds pass at once, without asking ECS", async () => {
    const { calls, handler } = steady();
    for (const share of [0, 10, 20, 30, 55, 100])
      expect(await handler(at(share))).toEqual({ hookStatus: "SUCCEEDED" });
    expect(calls).toEqual([]);
  });

  it("asks ECS whether the service's deployment is rolling back, by cluster and service", async () => {
    const { calls, handler } = steady();
    expect((await handler(at(5))).hookStatus).toBe("IN_PROGRESS");
    expect(calls).toEqual([
      [
        "listServiceDeployments",
        {
          cluster: "trading-prod-cluster",
          service: "trading-prod-api",
          status: ["ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"],
        },
      ],
    ]);
  });

  it("never holds a rollback: ECS runs the traffic shift hooks when it rolls back too", async () => {
    const rollingBack = fakeAws({
      listServiceDeployments: { serviceDeployments: [{ status: "ROLLBACK_IN_PROGRESS" }] },
    });
    expect(await rollingBack.run(at(50))).toEqual({ hookStatus: "SUCCEEDED" });
  });

  it("lets the shift go on when it cannot tell whether a rollback runs", async () => {
    const refused = fakeAws({ listServiceDeployments: new Error("AccessDeniedException") });
    expect(await refused.run(at(25))).toEqual({ hookStatus: "SUCCEEDED" });
    const noSdk = createHandler(() => Promise.reject(new Error("Cannot find package")));
    expect(await noSdk(at(25))).toEqual({ hookStatus: "SUCCEEDED" });
  });

  it("holds a listed share until holdMinutes have passed since it began", async () => {
    const { handler } = steady();
    const first = await handler(at(25));
    expect(first.hookStatus).toBe("IN_PROGRESS");
    const since = Number(first.hookDetails!["holdingSince"]);
    expect(since).toBeGreaterThan(0);
    // Invoked again with what it returned: still within the hold.
    expect((await handler(at(25, JSON.stringify(first.hookDetails)))).hookStatus).toBe(
      "IN_PROGRESS",
    );
    // Ten minutes later the shift goes on.
    const started = { ...first.hookDetails, holdingSince: since - 10 * 60000 };
    expect(await handler(at(25, JSON.stringify(started)))).toEqual({ hookStatus: "SUCCEEDED" });
  });
});

describe("the rollout hook's post-shift verification", () => {
  const alarms = [
    "trading-prod-colour-latency-p99-api-blue",
    "trading-prod-colour-error-rate-api-blue",
  ];
  const verify = (extra: Record<string, unknown> = {}) => ({
    hookDetails: JSON.stringify({
      check: "verify",
      service: "api",
      url: `${base}/health`,
      alarms,
      ...extra,
    }),
  });
  const withAlarms = (states: Record<string, string> | Error) => {
    const aws = fakeAws({
      describeAlarms:
        states instanceof Error
          ? states
          : {
              MetricAlarms: Object.entries(states).map(([AlarmName, StateValue]) => ({
                AlarmName,
                StateValue,
              })),
            },
    });
    return { calls: aws.calls, handler: aws.run };
  };
  const quiet = Object.fromEntries(alarms.map((a) => [a, "OK"]));

  it("passes when the app answers on production traffic and no rollback alarm fires", async () => {
    answer = 200;
    seen.length = 0;
    const { calls, handler } = withAlarms(quiet);
    expect(await handler(verify())).toEqual({ hookStatus: "SUCCEEDED" });
    // Production traffic: no test header.
    expect(seen.map((h) => h[TEST_TRAFFIC_HEADER])).toEqual([undefined]);
    expect(calls).toEqual([
      ["describeAlarms", { AlarmNames: alarms, AlarmTypes: ["MetricAlarm"] }],
    ]);
  });

  it("rolls back at once when a rollback alarm is in ALARM, however healthy the app", async () => {
    answer = 200;
    const { handler } = withAlarms({ ...quiet, [alarms[1]!]: "ALARM" });
    expect(await handler(verify())).toEqual({ hookStatus: "FAILED" });
  });

  it("counts INSUFFICIENT_DATA as quiet: a new target group has no datapoints yet", async () => {
    answer = 204;
    const { handler } = withAlarms({ [alarms[0]!]: "INSUFFICIENT_DATA" });
    expect(await handler(verify())).toEqual({ hookStatus: "SUCCEEDED" });
  });

  it("retries an unhealthy app, then rolls back on the last attempt", async () => {
    answer = 502;
    const { handler } = withAlarms(quiet);
    const first = await handler(verify());
    expect(first).toMatchObject({ hookStatus: "IN_PROGRESS", hookDetails: { attempt: 1 } });
    expect(first.callBackDelay).toBeGreaterThan(0);
    expect(await handler(verify({ attempt: VERIFY_ATTEMPTS - 1 }))).toEqual({
      hookStatus: "FAILED",
    });
  });

  it("treats alarm states it cannot read as a failed attempt, never as a pass", async () => {
    answer = 200;
    const { handler } = withAlarms(new Error("ThrottlingException"));
    expect((await handler(verify())).hookStatus).toBe("IN_PROGRESS");
    expect(await handler(verify({ attempt: VERIFY_ATTEMPTS - 1 }))).toEqual({
      hookStatus: "FAILED",
    });
  });

  it("fails verify details without a URL or alarms", async () => {
    const { handler } = withAlarms(quiet);
    for (const details of [
      { check: "verify", service: "api", alarms },
      { check: "verify", service: "api", url: `${base}/health` },
    ])
      expect(await handler({ hookDetails: details })).toEqual({ hookStatus: "FAILED" });
  });
});

/**
 * A stand-in for the SDK's ECS client: each method answers from its script in turn (an Error is
 * thrown), and every call is recorded.
 */
function fakeEcs(script: Partial<Record<EcsMethod, unknown[]>>) {
  const calls: [EcsMethod, Record<string, unknown>][] = [];
  const answer = (method: EcsMethod) => async (input: Record<string, unknown>) => {
    calls.push([method, input]);
    const next = script[method]?.shift();
    if (next === undefined) throw new Error(`unexpected ${method}`);
    if (next instanceof Error) throw next;
    return next;
  };
  const client = {
    describeServiceRevisions: answer("describeServiceRevisions"),
    runTask: answer("runTask"),
    describeTasks: answer("describeTasks"),
    stopTask: answer("stopTask"),
  };
  return { calls, run: createHandler(async () => ({ ecs: client })) };
}
type EcsMethod = "describeServiceRevisions" | "runTask" | "describeTasks" | "stopTask";

// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceRevisions.html,
// API_RunTask.html, API_DescribeTasks.html, API_StopTask.html: response shapes, `failures[]`.
describe("the rollout hook's migration", () => {
  const cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/trading-stage-cluster";
  const revisionArn =
    "arn:aws:ecs:eu-west-1:123456789012:service-revision/trading-stage-cluster/trading-stage-api/42";
  const taskDefinition = "arn:aws:ecs:eu-west-1:123456789012:task-definition/trading-stage-api:7";
  const taskArn = "arn:aws:ecs:eu-west-1:123456789012:task/trading-stage-cluster/abc123";
  const network = {
    awsvpcConfiguration: {
      subnets: ["subnet-1"],
      securityGroups: ["sg-1"],
      assignPublicIp: "DISABLED",
    },
  };
  const details = migrateHookDetails("api", {
    command: ["./migrate", "up"],
    version: "2024.06.1",
    timeoutMinutes: 20,
  })!;
  const start = { hookDetails: details, targetServiceRevisionArn: revisionArn };
  const revision = {
    serviceRevisions: [
      {
        serviceRevisionArn: revisionArn,
        clusterArn: cluster,
        taskDefinition,
        launchType: "FARGATE",
        platformVersion: "LATEST",
        networkConfiguration: network,
      },
    ],
    failures: [],
  };
  const started = { tasks: [{ taskArn, lastStatus: "PROVISIONING" }], failures: [] };
  const stopped = (exitCode?: number) => ({
    tasks: [
      {
        taskArn,
        lastStatus: "STOPPED",
        stoppedReason: "Essential container in task exited",
        containers: [{ name: "api", ...(exitCode === undefined ? {} : { exitCode }) }],
      },
    ],
    failures: [],
  });

  it("runs the target revision's task definition in its network, with the command and MIGRATION_VERSION", async () => {
    const ecs = fakeEcs({ describeServiceRevisions: [revision], runTask: [started] });
    const first = await ecs.run(start);
    expect(first).toEqual({
      hookStatus: "IN_PROGRESS",
      callBackDelay: MIGRATE_POLL_SECONDS,
      hookDetails: { ...JSON.parse(details), taskArn, cluster, startedAt: expect.any(Number) },
    });
    expect(ecs.calls).toEqual([
      ["describeServiceRevisions", { serviceRevisionArns: [revisionArn] }],
      [
        "runTask",
        {
          cluster,
          taskDefinition,
          count: 1,
          launchType: "FARGATE",
          platformVersion: "LATEST",
          networkConfiguration: network,
          startedBy: `${MIGRATION_STARTED_BY_PREFIX}api`,
          overrides: {
            containerOverrides: [
              {
                name: "api",
                command: ["./migrate", "up"],
                environment: [{ name: "MIGRATION_VERSION", value: "2024.06.1" }],
              },
            ],
          },
        },
      ],
    ]);
  });

  it("passes once the task stopped with exit code 0, waiting while it runs", async () => {
    const ecs = fakeEcs({
      describeServiceRevisions: [revision],
      runTask: [started],
      describeTasks: [{ tasks: [{ taskArn, lastStatus: "RUNNING" }], failures: [] }, stopped(0)],
    });
    const first = await ecs.run(start);
    const second = await ecs.run({ hookDetails: first.hookDetails });
    expect(second).toEqual({
      hookStatus: "IN_PROGRESS",
      callBackDelay: MIGRATE_POLL_SECONDS,
      hookDetails: first.hookDetails,
    });
    expect(await ecs.run({ hookDetails: JSON.stringify(second.hookDetails) })).toEqual({
      hookStatus: "SUCCEEDED",
    });
    expect(ecs.calls.filter(([m]) => m === "describeTasks").map(([, i]) => i)).toEqual([
      { cluster, tasks: [taskArn] },
      { cluster, tasks: [taskArn] },
    ]);
    expect(ecs.calls.some(([m]) => m === "stopTask")).toBe(false);
  });

  it.each([
    ["a nonzero exit code", stopped(3)],
    ["no exit code (the container never ran)", stopped()],
    ["a task ECS no longer knows", { tasks: [], failures: [{ arn: taskArn, reason: "MISSING" }] }],
  ])("fails the deployment on %s", async (_case, answer) => {
    const ecs = fakeEcs({
      describeServiceRevisions: [revision],
      runTask: [started],
      describeTasks: [answer],
    });
    const first = await ecs.run(start);
    expect(await ecs.run({ hookDetails: first.hookDetails })).toEqual({ hookStatus: "FAILED" });
  });

  it("stops the task and fails once timeoutMinutes have passed", async () => {
    const ecs = fakeEcs({
      describeServiceRevisions: [revision],
      runTask: [started],
      describeTasks: [{ tasks: [{ taskArn, lastStatus: "RUNNING" }], failures: [] }],
      stopTask: [{ task: { taskArn, lastStatus: "RUNNING", desiredStatus: "STOPPED" } }],
    });
    const first = await ecs.run(start);
    const late = {
      ...first.hookDetails,
      startedAt: Number(first.hookDetails!["startedAt"]) - 20 * 60000,
    };
    expect(await ecs.run({ hookDetails: late })).toEqual({ hookStatus: "FAILED" });
    expect(ecs.calls.at(-1)).toEqual([
      "stopTask",
      { cluster, task: taskArn, reason: "envstack: migration exceeded 20 minutes" },
    ]);
  });

  it("keeps watching a running migration through a failed look, until its timeout", async () => {
    const ecs = fakeEcs({
      describeServiceRevisions: [revision],
      runTask: [started],
      describeTasks: [new Error("ThrottlingException"), new Error("ThrottlingException")],
    });
    const first = await ecs.run(start);
    expect((await ecs.run({ hookDetails: first.hookDetails })).hookStatus).toBe("IN_PROGRESS");
    const late = { ...first.hookDetails, startedAt: 0 };
    expect(await ecs.run({ hookDetails: late })).toEqual({ hookStatus: "FAILED" });
  });

  it.each([
    [
      "RunTask reports failures",
      {
        describeServiceRevisions: [revision],
        runTask: [{ tasks: [], failures: [{ arn: taskDefinition, reason: "RESOURCE:ENI" }] }],
      },
    ],
    [
      "RunTask is refused",
      { describeServiceRevisions: [revision], runTask: [new Error("AccessDeniedException")] },
    ],
    [
      "the revision is missing",
      {
        describeServiceRevisions: [
          { serviceRevisions: [], failures: [{ arn: revisionArn, reason: "MISSING" }] },
        ],
      },
    ],
  ])("fails the deployment before any traffic moves when %s", async (_case, script) => {
    const ecs = fakeEcs(script as Partial<Record<EcsMethod, unknown[]>>);
    expect(await ecs.run(start)).toEqual({ hookStatus: "FAILED" });
    expect(ecs.calls.filter(([m]) => m === "runTask").length).toBeLessThanOrEqual(1);
  });

  it("fails without a target revision in the payload, calling nothing", async () => {
    const ecs = fakeEcs({});
    expect(await ecs.run({ hookDetails: details })).toEqual({ hookStatus: "FAILED" });
    expect(ecs.calls).toEqual([]);
  });

  it("leaves the smoke and hold checks to the exported handler unchanged", async () => {
    const ecs = fakeEcs({});
    expect(await ecs.run({ hookDetails: { check: "hold", holds: [5], holdMinutes: 1 } })).toEqual({
      hookStatus: "SUCCEEDED",
    });
    expect(ecs.calls).toEqual([]);
  });
});

describe("ecsDeploymentConfiguration", () => {
  // Plain values in, plain values out: no Output or Promise among the hooks.
  const hooksOf = (config: ReturnType<typeof ecsDeploymentConfiguration>) =>
    config.lifecycleHooks as { lifecycleStages: string[] }[];
  const hooks = {
    hookFunctionArn: "fn",
    hookRoleArn: "role",
    smoke: "{}",
    hold: '{"check":"hold"}',
    verify: '{"check":"verify"}',
  };

  it("runs a rolling rollout without bake or hooks", () => {
    expect(ecsDeploymentConfiguration({ strategy: "rolling" }, undefined)).toEqual({
      strategy: "ROLLING",
    });
  });

  it("lists smoke, hold and verify in lifecycle order, the hold where the parity check reads it", () => {
    const config = ecsDeploymentConfiguration(
      {
        strategy: "linear",
        bakeMinutes: 1,
        stepPercent: 5,
        stepBakeMinutes: 0,
        holds: [5],
        holdMinutes: 1,
      },
      hooks,
    );
    expect(config.lifecycleHooks).toEqual([
      {
        hookTargetArn: "fn",
        roleArn: "role",
        targetType: "AWS_LAMBDA",
        lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"],
        hookDetails: "{}",
      },
      {
        hookTargetArn: "fn",
        roleArn: "role",
        targetType: "AWS_LAMBDA",
        lifecycleStages: ["PRODUCTION_TRAFFIC_SHIFT"],
        hookDetails: '{"check":"hold"}',
      },
      {
        hookTargetArn: "fn",
        roleArn: "role",
        targetType: "AWS_LAMBDA",
        lifecycleStages: ["POST_PRODUCTION_TRAFFIC_SHIFT"],
        hookDetails: '{"check":"verify"}',
      },
    ]);
    expect(hooksOf(config)[HOLD_HOOK_INDEX]!.lifecycleStages).toEqual(["PRODUCTION_TRAFFIC_SHIFT"]);
  });

  it("verifies after the shift without holds too, with no hold hook", () => {
    const config = ecsDeploymentConfiguration(
      { strategy: "blue-green", bakeMinutes: 10 },
      { ...hooks, hold: undefined },
    );
    expect(hooksOf(config).map((h) => h.lifecycleStages)).toEqual([
      ["POST_TEST_TRAFFIC_SHIFT"],
      ["POST_PRODUCTION_TRAFFIC_SHIFT"],
    ]);
  });

  it("runs the migration at PRE_SCALE_UP, last in the list, only when set", () => {
    const deployment: DeploymentConfig = { strategy: "blue-green", bakeMinutes: 0 };
    expect(
      ecsDeploymentConfiguration(deployment, {
        ...hooks,
        hold: undefined,
        migrate: '{"check":"migrate"}',
      }).lifecycleHooks,
    ).toEqual([
      expect.objectContaining({ lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"] }),
      expect.objectContaining({ lifecycleStages: ["POST_PRODUCTION_TRAFFIC_SHIFT"] }),
      {
        hookTargetArn: "fn",
        roleArn: "role",
        targetType: "AWS_LAMBDA",
        lifecycleStages: ["PRE_SCALE_UP"],
        hookDetails: '{"check":"migrate"}',
      },
    ]);
    expect(
      ecsDeploymentConfiguration(deployment, { ...hooks, hold: undefined }).lifecycleHooks,
    ).toEqual([
      expect.objectContaining({ lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"] }),
      expect.objectContaining({ lifecycleStages: ["POST_PRODUCTION_TRAFFIC_SHIFT"] }),
    ]);
  });

  it("gives ECS its bake times as strings, as the provider takes them", () => {
    expect(
      ecsDeploymentConfiguration(
        { strategy: "canary", bakeMinutes: 7, canaryPercent: 2.5, canaryBakeMinutes: 3 },
        { ...hooks, hold: undefined },
      ),
    ).toMatchObject({
      strategy: "CANARY",
      bakeTimeInMinutes: "7",
      canaryConfiguration: { canaryPercent: 2.5, canaryBakeTimeInMinutes: "3" },
    });
  });
});
