import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOLD_HOOK_INDEX, holdHookDetails, type DeploymentConfig } from "../model";
import {
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
type MakeHandler = (deps?: { sdk?: () => Promise<unknown>; now?: () => number }) => Handler;

/**
 * A stand-in for the SDK for JavaScript v3 modules the hook loads (@aws-sdk/client-ecs and
 * @aws-sdk/client-cloudwatch): each client's `send` records the command's name and input and
 * answers with what the test set for it, or throws it when it is an Error.
 */
class FakeSdk {
  readonly sent: { command: string; input: unknown }[] = [];
  readonly answers: Record<string, unknown> = {};
  modules() {
    const send = async (command: { name: string; input: unknown }) => {
      this.sent.push({ command: command.name, input: command.input });
      const answer = this.answers[command.name];
      if (answer instanceof Error) throw answer;
      return answer ?? {};
    };
    const command = (name: string) =>
      class {
        readonly name = name;
        constructor(readonly input: unknown) {}
      };
    class Client {
      send = send;
    }
    return {
      ecs: {
        ECSClient: Client,
        ListServiceDeploymentsCommand: command("ListServiceDeployments"),
      },
      cloudwatch: { CloudWatchClient: Client, DescribeAlarmsCommand: command("DescribeAlarms") },
    };
  }
}

/** The hook's code exactly as the Lambda function runs it, imported as an ES module. */
let handler: Handler;
let makeHandler: MakeHandler;
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
    makeHandler: MakeHandler;
  };
  handler = hook.handler;
  makeHandler = hook.makeHandler;
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
    const sdk = new FakeSdk();
    sdk.answers["ListServiceDeployments"] = { serviceDeployments: [] };
    return { sdk, handler: makeHandler({ sdk: async () => sdk.modules() }) };
  };

  it("lets the steps between holds pass at once, without asking ECS", async () => {
    const { sdk, handler } = steady();
    for (const share of [0, 10, 20, 30, 55, 100])
      expect(await handler(at(share))).toEqual({ hookStatus: "SUCCEEDED" });
    expect(sdk.sent).toEqual([]);
  });

  it("asks ECS whether the service's deployment is rolling back, by cluster and service", async () => {
    const { sdk, handler } = steady();
    expect((await handler(at(5))).hookStatus).toBe("IN_PROGRESS");
    expect(sdk.sent).toEqual([
      {
        command: "ListServiceDeployments",
        input: {
          cluster: "trading-prod-cluster",
          service: "trading-prod-api",
          status: ["ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"],
        },
      },
    ]);
  });

  it("never holds a rollback: ECS runs the traffic shift hooks when it rolls back too", async () => {
    const sdk = new FakeSdk();
    sdk.answers["ListServiceDeployments"] = {
      serviceDeployments: [{ status: "ROLLBACK_IN_PROGRESS" }],
    };
    const rollingBack = makeHandler({ sdk: async () => sdk.modules() });
    expect(await rollingBack(at(50))).toEqual({ hookStatus: "SUCCEEDED" });
  });

  it("lets the shift go on when it cannot tell whether a rollback runs", async () => {
    const sdk = new FakeSdk();
    sdk.answers["ListServiceDeployments"] = new Error("AccessDeniedException");
    expect(await makeHandler({ sdk: async () => sdk.modules() })(at(25))).toEqual({
      hookStatus: "SUCCEEDED",
    });
    const noSdk = makeHandler({ sdk: () => Promise.reject(new Error("Cannot find package")) });
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
    const sdk = new FakeSdk();
    sdk.answers["DescribeAlarms"] =
      states instanceof Error
        ? states
        : {
            MetricAlarms: Object.entries(states).map(([AlarmName, StateValue]) => ({
              AlarmName,
              StateValue,
            })),
          };
    return { sdk, handler: makeHandler({ sdk: async () => sdk.modules() }) };
  };
  const quiet = Object.fromEntries(alarms.map((a) => [a, "OK"]));

  it("passes when the app answers on production traffic and no rollback alarm fires", async () => {
    answer = 200;
    seen.length = 0;
    const { sdk, handler } = withAlarms(quiet);
    expect(await handler(verify())).toEqual({ hookStatus: "SUCCEEDED" });
    // Production traffic: no test header.
    expect(seen.map((h) => h[TEST_TRAFFIC_HEADER])).toEqual([undefined]);
    expect(sdk.sent).toEqual([
      { command: "DescribeAlarms", input: { AlarmNames: alarms, AlarmTypes: ["MetricAlarm"] } },
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
