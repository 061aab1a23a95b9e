import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdHookDetails, migrateHookDetails, type DeploymentConfig } from "../model";
import {
  MIGRATE_POLL_SECONDS,
  MIGRATION_STARTED_BY_PREFIX,
  ROLLOUT_HOOK_SOURCE,
  SMOKE_ATTEMPTS,
  TEST_TRAFFIC_HEADER,
  ecsDeploymentConfiguration,
} from "./rollout";

type HookResult = {
  hookStatus: string;
  callBackDelay?: number;
  hookDetails?: Record<string, unknown>;
};
type Handler = (event: unknown) => Promise<HookResult>;
type CreateHandler = (getEcs: () => unknown) => Handler;

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
  const at = (share: number, details = holdHookDetails("api", deployment)!) => ({
    hookDetails: details,
    targetServiceRevisionArn: revision,
    productionTrafficWeights: { [revision]: share, "arn:old": 100 - share },
  });

  it("lets the steps between holds pass at once", async () => {
    for (const share of [0, 10, 20, 30, 55, 100])
      expect(await handler(at(share))).toEqual({ hookStatus: "SUCCEEDED" });
  });

  it("holds a listed share until holdMinutes have passed since it began", async () => {
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
  return { calls, run: createHandler(() => client) };
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
  const hooks = {
    hookFunctionArn: "fn",
    hookRoleArn: "role",
    smoke: "{}",
    hold: '{"check":"hold"}',
  };

  it("runs a rolling rollout without bake or hooks", () => {
    expect(ecsDeploymentConfiguration({ strategy: "rolling" }, undefined)).toEqual({
      strategy: "ROLLING",
    });
  });

  it("puts the smoke test first and the hold hook second, where the parity check reads them", () => {
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
    ]);
  });

  it("runs the migration at PRE_SCALE_UP, after the smoke and hold hooks in the list, only when set", () => {
    const deployment: DeploymentConfig = { strategy: "blue-green", bakeMinutes: 0 };
    expect(
      ecsDeploymentConfiguration(deployment, {
        ...hooks,
        hold: undefined,
        migrate: '{"check":"migrate"}',
      }).lifecycleHooks,
    ).toEqual([
      expect.objectContaining({ lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"] }),
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
    ).toEqual([expect.objectContaining({ lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"] })]);
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
