import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { deployProblems, runVerifyDeploy, type Described } from "../../src/cli/verify-deploy";

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
  const run = (args: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = runVerifyDeploy(args, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      isTty: false,
    });
    return { code, stdout, stderr };
  };

  it("exits 0 on a settled deploy and 1 naming each service that is not", () => {
    const d = dir();
    const e = write(d, "expected.json", expected);
    expect(run(["--expected", e, "--described", write(d, "ok.json", settled)])).toEqual({
      code: 0,
      stdout: "2 ECS service(s) run the task definitions this update declared.\n",
      stderr: "",
    });
    const bad = run([
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

  it("refuses input that is not what it reads, naming the file and key", () => {
    const d = dir();
    const notJson = write(d, "outputs.json", "ecsServices: {}");
    const e = write(d, "expected.json", { cluster: "c", taskDefinitions: { api: 5 } });
    const described = write(d, "described.json", settled);
    expect(run(["--expected", notJson, "--described", described]).stderr).toMatch(
      new RegExp(
        `^envstack verify-deploy: ${notJson.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: expected the stack output ecsServices as JSON`,
      ),
    );
    const wrong = run(["--expected", e, "--described", described]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `${e}: taskDefinitions.api: expected a task definition ARN, found number 5`,
    );
    expect(run(["--expected", e]).stderr).toContain("--expected and --described are required");
  });
});
