import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdHookDetails, type DeploymentConfig } from "../model";
import {
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

/** The hook's code exactly as the Lambda function runs it, imported as an ES module. */
let handler: Handler;
let server: Server;
let base = "";
const seen: IncomingHttpHeaders[] = [];
let answer = 200;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "rollout-hook-"));
  const file = join(dir, "index.mjs");
  writeFileSync(file, ROLLOUT_HOOK_SOURCE);
  handler = ((await import(pathToFileURL(file).href)) as { handler: Handler }).handler;
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
