import { z } from "zod";
import { configErrorsFromIssues, readInputFile } from "../model";
import { GateError } from "../engine/gate";
import { EXIT, processIo, reportError, parseOptions, type Io } from "./io";

export const VERIFY_DEPLOY_USAGE = `Usage: envstack verify-deploy --expected <file> --described <file>

Checks, after \`pulumi up\`, that every ECS service of the stack runs the task definition the
update declared. The update waits for each service to be stable, but a deployment the circuit
breaker rolled back is stable too, on the previous task definition: without this check a release
whose tasks never became healthy would pass.

Options:
      --expected <file>   The stack output ecsServices as JSON: {"cluster": ..., "taskDefinitions":
                          {<ECS service name>: <task definition ARN>}} (pulumi/actions sets it as
                          the step output ecsServices).
      --described <file>  What \`aws ecs describe-services --cluster <cluster> --services
                          <names> --output json\` printed for those services.
  -h, --help              This help.

Exit codes: 0 every service runs what the update declared; 1 one does not (each is named);
2 bad usage or input.`;

const expectedSchema = z.looseObject({
  cluster: z.string({ error: "the ECS cluster's name" }),
  taskDefinitions: z.record(z.string(), z.string({ error: "a task definition ARN" }), {
    error: "a map of ECS service names to task definition ARNs",
  }),
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

export type Expected = z.infer<typeof expectedSchema>;
export type Described = z.input<typeof describedSchema>;

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

function readJson(file: string, what: string): unknown {
  const text = readInputFile(file);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new GateError(`${file}: expected ${what} as JSON: ${(err as Error).message}`);
  }
}

/** `envstack verify-deploy`: returns the exit code. */
export function runVerifyDeploy(argv: readonly string[], io: Io = processIo): number {
  try {
    const values = parseOptions(
      argv,
      {
        expected: { type: "string" },
        described: { type: "string" },
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
    const problems = deployProblems(expected.data, described.data);
    if (problems.length > 0) {
      io.stderr(problems.map((p) => `envstack verify-deploy: ${p}\n`).join(""));
      return EXIT.violations;
    }
    const count = Object.keys(expected.data.taskDefinitions).length;
    io.stdout(`${count} ECS service(s) run the task definitions this update declared.\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(io, "verify-deploy", err, false);
  }
}
