import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  alarmProblems,
  deployProblems,
  healthProblem,
  runVerifyDeploy,
  type Described,
  type DescribedAlarms,
} from "../../src/cli/verify-deploy";

const td = (family: string, revision: number) =>
  `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${revision}`;

const expected = {
  cluster: "app-prod-cluster",
  taskDefinitions: {
    "app-prod-api": td("app-prod-api", 8),
    "app-prod-worker": td("app-prod-worker", 3),
  },
};

/** A service as DescribeServices returns it, settled on one deployment. */
function service(
  name: string,
  taskDefinition: string,
  extra: Described["services"][number]["deployments"] = [],
) {
  return {
    serviceName: name,
    serviceArn: `arn:aws:ecs:eu-west-1:123456789012:service/app-prod-cluster/${name}`,
    status: "ACTIVE",
    taskDefinition,
    deployments: [
      { id: "ecs-svc/1", status: "PRIMARY", taskDefinition, rolloutState: "COMPLETED" },
      ...extra,
    ],
  };
}

const settled: Described = {
  services: [
    service("app-prod-api", td("app-prod-api", 8)),
    service("app-prod-worker", td("app-prod-worker", 3)),
  ],
  failures: [],
};

/** A local app whose health answer the tests set. */
let server: Server;
let base = "";
let answer = 200;
let hits = 0;
beforeAll(async () => {
  server = createServer((_req, res) => {
    hits += 1;
    res.statusCode = answer;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The stack output with a health URL and one web service's rollback alarms. */
const withChecks = () => ({
  ...expected,
  healthUrl: `${base}/health`,
  rollbackAlarms: {
    "app-prod-api": [
      "app-prod-colour-latency-p99-api-blue",
      "app-prod-colour-error-rate-api-green",
    ],
  },
});
const quiet: DescribedAlarms = {
  MetricAlarms: [
    { AlarmName: "app-prod-colour-latency-p99-api-blue", StateValue: "OK" },
    { AlarmName: "app-prod-colour-error-rate-api-green", StateValue: "INSUFFICIENT_DATA" },
  ],
};
const firing: DescribedAlarms = {
  MetricAlarms: [
    { AlarmName: "app-prod-colour-latency-p99-api-blue", StateValue: "OK" },
    {
      AlarmName: "app-prod-colour-error-rate-api-green",
      StateValue: "ALARM",
      StateReason: "Threshold Crossed: 1 datapoint [7.5] was greater than the threshold (1.0).",
    },
  ],
};

describe("deployProblems", () => {
  it("finds nothing when every service runs what the update declared", () => {
    expect(deployProblems(expected, settled)).toEqual([]);
  });

  it("names a service the circuit breaker rolled back to its previous task definition", () => {
    const rolledBack: Described = {
      services: [
        {
          ...service("app-prod-api", td("app-prod-api", 7)),
          deployments: [
            {
              status: "PRIMARY",
              taskDefinition: td("app-prod-api", 7),
              rolloutState: "COMPLETED",
            },
          ],
        },
        service("app-prod-worker", td("app-prod-worker", 3)),
      ],
    };
    expect(deployProblems(expected, rolledBack)).toEqual([
      `app-prod-api runs ${td("app-prod-api", 7)}, not ${td("app-prod-api", 8)}, which this update declared: ECS rolled the deployment back (its tasks did not become healthy) or another deployment replaced it.`,
    ]);
  });

  it("names a failed rollout, a service still replacing tasks, and a missing service", () => {
    const problems = deployProblems(expected, {
      services: [
        {
          ...service("app-prod-api", td("app-prod-api", 8)),
          deployments: [
            {
              status: "PRIMARY",
              taskDefinition: td("app-prod-api", 8),
              rolloutState: "FAILED",
              rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
            },
            { status: "ACTIVE", taskDefinition: td("app-prod-api", 7), rolloutState: "COMPLETED" },
          ],
        },
      ],
      failures: [
        {
          arn: "arn:aws:ecs:eu-west-1:123456789012:service/app-prod-cluster/app-prod-worker",
          reason: "MISSING",
        },
      ],
    });
    expect(problems).toEqual([
      `app-prod-api: the deployment of ${td("app-prod-api", 8)} failed: ECS deployment circuit breaker: tasks failed to start.`,
      "app-prod-api is still replacing tasks (2 deployments): the update ended before the service was stable.",
      "app-prod-worker: not found in cluster app-prod-cluster (MISSING).",
    ]);
  });
});

describe("envstack verify-deploy", () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), "envstack-verify-"));
  const write = (d: string, name: string, value: unknown) => {
    const file = path.join(d, name);
    fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
    return file;
  };
  const run = async (args: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = await runVerifyDeploy(args, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      isTty: false,
    });
    return { code, stdout, stderr };
  };

  it("exits 0 on a settled deploy and 1 naming each service that is not", async () => {
    const d = dir();
    const e = write(d, "expected.json", expected);
    expect(await run(["--expected", e, "--described", write(d, "ok.json", settled)])).toEqual({
      code: 0,
      stdout: "2 ECS service(s) run the task definitions this update declared.\n",
      stderr: "",
    });
    const bad = await run([
      "--expected",
      e,
      "--described",
      write(d, "bad.json", { services: [settled.services[0]], failures: [] }),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      "envstack verify-deploy: app-prod-worker: not found in cluster app-prod-cluster (not described).\n",
    );
  });

  it("refuses input that is not what it reads, naming the file and key", async () => {
    const d = dir();
    const notJson = write(d, "outputs.json", "ecsServices: {}");
    const e = write(d, "expected.json", { cluster: "c", taskDefinitions: { api: 5 } });
    const described = write(d, "described.json", settled);
    expect((await run(["--expected", notJson, "--described", described])).stderr).toMatch(
      new RegExp(
        `^envstack verify-deploy: ${notJson.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: expected the stack output ecsServices as JSON`,
      ),
    );
    const wrong = await run(["--expected", e, "--described", described]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `${e}: taskDefinitions.api: expected a task definition ARN, found number 5`,
    );
    expect((await run(["--expected", e])).stderr).toContain(
      "--expected and --described are required",
    );
  });

  it("checks the rollback alarms and the app's health URL after the update", async () => {
    const d = dir();
    answer = 200;
    const e = write(d, "expected.json", withChecks());
    const described = write(d, "described.json", settled);
    const ok = await run([
      "--expected",
      e,
      "--described",
      described,
      "--alarms",
      write(d, "alarms.json", quiet),
      "--health-interval",
      "0",
    ]);
    expect(ok).toEqual({
      code: 0,
      stdout: `2 ECS service(s) run the task definitions this update declared; none of 2 rollback alarm(s) is in ALARM; ${base}/health answers.\n`,
      stderr: "",
    });

    answer = 503;
    const down = await run([
      "--expected",
      e,
      "--described",
      described,
      "--alarms",
      write(d, "firing.json", firing),
      "--health-attempts",
      "2",
      "--health-interval",
      "0",
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      [
        "app-prod-api: its rollback alarm app-prod-colour-error-rate-api-green is in ALARM: Threshold Crossed: 1 datapoint [7.5] was greater than the threshold (1.0).",
        `the app's health URL ${base}/health gave status 503 on each of 2 attempt(s).`,
        "the deployment has completed, so ECS no longer rolls it back: revert the release's digest commit (docs/RUNBOOK.md, Manual rollback).",
      ]
        .map((line) => `envstack verify-deploy: ${line}\n`)
        .join(""),
    );
  });

  it("requires the alarms when the stack has rollback alarms, and bounds the health options", async () => {
    const d = dir();
    const e = write(d, "expected.json", withChecks());
    const described = write(d, "described.json", settled);
    const missing = await run(["--expected", e, "--described", described]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--alarms is required");
    const alarms = write(d, "alarms.json", { MetricAlarms: [{ AlarmName: "x" }] });
    const wrong = await run(["--expected", e, "--described", described, "--alarms", alarms]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `${alarms}: MetricAlarms[0].StateValue: expected OK, ALARM or INSUFFICIENT_DATA, found nothing`,
    );
    for (const [option, value] of [
      ["--health-attempts", "0"],
      ["--health-attempts", "2.5"],
      ["--health-interval", "ten"],
    ] as const) {
      const bad = await run(["--expected", e, "--described", described, option, value]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`${option}: expected a whole number`);
    }
  });
});

describe("alarmProblems", () => {
  it("passes OK and INSUFFICIENT_DATA, names ALARM and an alarm not described", () => {
    expect(alarmProblems(withChecks(), quiet)).toEqual([]);
    expect(
      alarmProblems(withChecks(), {
        MetricAlarms: [
          { AlarmName: "app-prod-colour-latency-p99-api-blue", StateValue: "INSUFFICIENT_DATA" },
        ],
      }),
    ).toEqual([
      "app-prod-api: its rollback alarm app-prod-colour-error-rate-api-green was not described.",
    ]);
  });
});

describe("healthProblem", () => {
  it("passes on a 2xx or 3xx, retries anything else, and names no answer", async () => {
    answer = 302;
    expect(await healthProblem(`${base}/health`, 1, 0)).toBeUndefined();
    answer = 500;
    const before = hits;
    expect(await healthProblem(`${base}/health`, 3, 0)).toBe(
      `the app's health URL ${base}/health gave status 500 on each of 3 attempt(s).`,
    );
    expect(hits - before).toBe(3);
    expect(await healthProblem("http://127.0.0.1:1/health", 1, 0)).toBe(
      "the app's health URL http://127.0.0.1:1/health gave no answer on each of 1 attempt(s).",
    );
  });
});
