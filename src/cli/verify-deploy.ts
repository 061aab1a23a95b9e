import * as http from "node:http";
import * as https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { configErrorsFromIssues, readInputFile } from "../model";
import { GateError } from "../engine/gate";
import { EXIT, processIo, reportError, parseOptions, type Io } from "./io";

export const VERIFY_DEPLOY_USAGE = `Usage: envstack verify-deploy --expected <file> --described <file> [--alarms <file>]
                             [--health-attempts <n>] [--health-interval <seconds>]

Checks, after \`pulumi up\`, that the release runs and is well:
- every ECS service runs the task definition the update declared (the update waits for each
  service to be stable, but a deployment ECS rolled back is stable too, on the previous task
  definition: without this check a release whose tasks never became healthy would pass);
- none of the services' rollback alarms is in ALARM;
- the app's health URL answers 2xx or 3xx on production traffic.
ECS rolls a deployment back by itself until its bake ends (alarms, the post-shift verification
hook); \`pulumi up\` returns after that, so a failure here fails the job and the release is
rolled back by reverting its digest commit (docs/RUNBOOK.md, "Manual rollback").

Options:
      --expected <file>         The stack output ecsServices as JSON: {"cluster": ...,
                                "taskDefinitions": {<ECS service name>: <task definition ARN>},
                                "healthUrl": ..., "rollbackAlarms": {<ECS service name>: [...]}}
                                (pulumi/actions sets it as the step output ecsServices).
      --described <file>        What \`aws ecs describe-services --cluster <cluster> --services
                                <names> --output json\` printed for those services.
      --alarms <file>           What \`aws cloudwatch describe-alarms --alarm-names <names>
                                --output json\` printed for the rollback alarms; required when
                                the stack has any.
      --health-attempts <n>     Requests to the health URL before it counts as down (default 5).
      --health-interval <s>     Seconds between them (default 10).
  -h, --help                    This help.

Exit codes: 0 the release runs and is well; 1 it is not (each problem is named); 2 bad usage or
input.`;

const expectedSchema = z.looseObject({
  cluster: z.string({ error: "the ECS cluster's name" }),
  taskDefinitions: z.record(z.string(), z.string({ error: "a task definition ARN" }), {
    error: "a map of ECS service names to task definition ARNs",
  }),
  healthUrl: z.url({ protocol: /^https?$/, error: "the app's http(s) health URL" }).optional(),
  rollbackAlarms: z
    .record(z.string(), z.array(z.string({ error: "an alarm name" })), {
      error: "a map of ECS service names to alarm names",
    })
    .default({}),
});

/**
 * The parts of DescribeAlarms' response the check reads
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html: StateValue
 * OK, ALARM or INSUFFICIENT_DATA); the AWS CLI prints the response's members as they are named.
 */
const alarmsSchema = z.looseObject({
  MetricAlarms: z.array(
    z.looseObject({
      AlarmName: z.string({ error: "the alarm's name" }),
      StateValue: z.string({ error: "OK, ALARM or INSUFFICIENT_DATA" }),
      StateReason: z.string().nullish(),
    }),
    { error: "the list of metric alarms" },
  ),
});

/**
 * The parts of DescribeServices' response the check reads:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html and
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html (a deployment's
 * status PRIMARY is the newest; rolloutState COMPLETED, FAILED or IN_PROGRESS).
 */
const describedSchema = z.looseObject({
  services: z.array(
    z.looseObject({
      serviceName: z.string({ error: "the service's name" }),
      taskDefinition: z.string({ error: "the service's task definition ARN" }),
      deployments: z.array(
        z.looseObject({
          status: z.string({ error: "PRIMARY, ACTIVE or INACTIVE" }),
          taskDefinition: z.string({ error: "the deployment's task definition ARN" }),
          rolloutState: z.string().nullish(),
          rolloutStateReason: z.string().nullish(),
        }),
        { error: "the service's deployments" },
      ),
    }),
    { error: "the list of services" },
  ),
  failures: z
    .array(z.looseObject({ arn: z.string().nullish(), reason: z.string().nullish() }))
    .default([]),
});

export type Expected = z.input<typeof expectedSchema>;
export type Described = z.input<typeof describedSchema>;
export type DescribedAlarms = z.input<typeof alarmsSchema>;

/** What is wrong with the services ECS runs, against what the update declared; empty when nothing. */
export function deployProblems(expected: Expected, described: Described): string[] {
  const parsed = describedSchema.parse(described);
  const problems: string[] = [];
  for (const [name, declared] of Object.entries(expected.taskDefinitions)) {
    const service = parsed.services.find((s) => s.serviceName === name);
    if (service === undefined) {
      const failure = parsed.failures.find((f) => f.arn?.endsWith(`/${name}`));
      problems.push(
        `${name}: not found in cluster ${expected.cluster} (${failure?.reason ?? "not described"}).`,
      );
      continue;
    }
    const primary = service.deployments.find((d) => d.status === "PRIMARY");
    if (primary?.rolloutState === "FAILED") {
      problems.push(
        `${name}: the deployment of ${primary.taskDefinition} failed${primary.rolloutStateReason ? `: ${primary.rolloutStateReason.replace(/\.$/, "")}` : ""}.`,
      );
    }
    if (service.taskDefinition !== declared) {
      problems.push(
        `${name} runs ${service.taskDefinition}, not ${declared}, which this update declared: ECS rolled the deployment back (its tasks did not become healthy) or another deployment replaced it.`,
      );
    } else if (service.deployments.length > 1) {
      problems.push(
        `${name} is still replacing tasks (${service.deployments.length} deployments): the update ended before the service was stable.`,
      );
    }
  }
  return problems;
}

/** Rollback alarms in ALARM, or not found, by service; empty when every one is quiet. */
export function alarmProblems(expected: Expected, described: DescribedAlarms): string[] {
  const alarms = alarmsSchema.parse(described).MetricAlarms;
  const problems: string[] = [];
  for (const [service, names] of Object.entries(expected.rollbackAlarms ?? {})) {
    for (const name of names) {
      const alarm = alarms.find((a) => a.AlarmName === name);
      if (alarm === undefined) {
        problems.push(`${service}: its rollback alarm ${name} was not described.`);
      } else if (alarm.StateValue === "ALARM") {
        const reason = alarm.StateReason ? `: ${alarm.StateReason.replace(/\.$/, "")}` : "";
        problems.push(`${service}: its rollback alarm ${name} is in ALARM${reason}.`);
      }
    }
  }
  return problems;
}

/** One GET: the status code, or 0 when no answer came within 5 s. */
function statusOf(url: string): Promise<number> {
  return new Promise((resolve) => {
    const client = url.startsWith("https:") ? https : http;
    // The URL names the load balancer, not the certificate's domain: the certificate's name is
    // not checked, and the request carries no credential.
    const request = client.get(url, { rejectUnauthorized: false, timeout: 5000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", () => resolve(0));
  });
}

/** Whether the app answers 2xx or 3xx within the attempts; the problem when it never does. */
export async function healthProblem(
  url: string,
  attempts: number,
  intervalSeconds: number,
): Promise<string | undefined> {
  let status = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    status = await statusOf(url);
    if (status >= 200 && status < 400) return undefined;
    if (attempt < attempts) await sleep(intervalSeconds * 1000);
  }
  const answer = status === 0 ? "no answer" : `status ${status}`;
  return `the app's health URL ${url} gave ${answer} on each of ${attempts} attempt(s).`;
}

/** A whole number from `--<name>`, within the range. */
function count(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 100) {
    throw new GateError(`--${name}: expected a whole number from ${min} to 100, found "${value}"`);
  }
  return n;
}

function readJson(file: string, what: string): unknown {
  const text = readInputFile(file);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new GateError(`${file}: expected ${what} as JSON: ${(err as Error).message}`);
  }
}

/** `envstack verify-deploy`: returns the exit code. */
export async function runVerifyDeploy(
  argv: readonly string[],
  io: Io = processIo,
): Promise<number> {
  try {
    const values = parseOptions(
      argv,
      {
        expected: { type: "string" },
        described: { type: "string" },
        alarms: { type: "string" },
        "health-attempts": { type: "string" },
        "health-interval": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      VERIFY_DEPLOY_USAGE,
    );
    if (values.help) {
      io.stdout(`${VERIFY_DEPLOY_USAGE}\n`);
      return EXIT.ok;
    }
    if (values.expected === undefined || values.described === undefined) {
      throw new GateError(`--expected and --described are required\n\n${VERIFY_DEPLOY_USAGE}`);
    }
    const attempts = count("health-attempts", values["health-attempts"], 5, 1);
    const interval = count("health-interval", values["health-interval"], 10, 0);
    const expectedInput = readJson(values.expected, "the stack output ecsServices");
    const expected = expectedSchema.safeParse(expectedInput);
    if (!expected.success) {
      throw configErrorsFromIssues(values.expected, expectedInput, expected.error.issues);
    }
    const describedInput = readJson(values.described, "aws ecs describe-services output");
    const described = describedSchema.safeParse(describedInput);
    if (!described.success) {
      throw configErrorsFromIssues(values.described, describedInput, described.error.issues);
    }
    const alarmed = Object.keys(expected.data.rollbackAlarms).length > 0;
    if (alarmed && values.alarms === undefined) {
      throw new GateError(
        `--alarms is required: ${values.expected} names rollback alarms (rollbackAlarms)\n\n${VERIFY_DEPLOY_USAGE}`,
      );
    }
    const alarmsInput =
      values.alarms === undefined
        ? undefined
        : readJson(values.alarms, "aws cloudwatch describe-alarms output");
    const alarms = alarmsInput === undefined ? undefined : alarmsSchema.safeParse(alarmsInput);
    if (alarms !== undefined && !alarms.success) {
      throw configErrorsFromIssues(values.alarms!, alarmsInput, alarms.error.issues);
    }

    const problems = deployProblems(expected.data, described.data);
    const wellness = [
      ...(alarms ? alarmProblems(expected.data, alarms.data) : []),
      ...(expected.data.healthUrl === undefined
        ? []
        : [await healthProblem(expected.data.healthUrl, attempts, interval)].filter(
            (p): p is string => p !== undefined,
          )),
    ];
    if (problems.length + wellness.length > 0) {
      io.stderr(
        [...problems, ...wellness].map((p) => `envstack verify-deploy: ${p}\n`).join("") +
          (wellness.length > 0
            ? "envstack verify-deploy: the deployment has completed, so ECS no longer rolls it back: revert the release's digest commit (docs/RUNBOOK.md, Manual rollback).\n"
            : ""),
      );
      return EXIT.violations;
    }
    const services = Object.keys(expected.data.taskDefinitions).length;
    const alarmCount = Object.values(expected.data.rollbackAlarms).flat().length;
    io.stdout(
      `${services} ECS service(s) run the task definitions this update declared` +
        (alarmed ? `; none of ${alarmCount} rollback alarm(s) is in ALARM` : "") +
        (expected.data.healthUrl ? `; ${expected.data.healthUrl} answers` : "") +
        ".\n",
    );
    return EXIT.ok;
  } catch (err) {
    return reportError(io, "verify-deploy", err, false);
  }
}
