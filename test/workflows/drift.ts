import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ACTION_INPUTS } from "./action-inputs";
import {
  environments,
  type EnvironmentDefinition,
  type StackName,
} from "../../src/model/environments";

/** The repository-admin token the guards stack's deploy uses as GITHUB_TOKEN. */
export const GITHUB_ADMIN_SECRET = "ENVSTACK_GITHUB_TOKEN";

/** A parsed workflow file; `doc` is whatever YAML gave, judged by the checker. */
export interface Workflow {
  readonly file: string;
  readonly doc: unknown;
}

/** What the workflows must agree with; the real model unless a test substitutes one. */
export interface PipelineModel {
  readonly stacks: readonly StackName[];
  readonly environments: Readonly<Record<StackName, EnvironmentDefinition>>;
}

export const REAL_MODEL: PipelineModel = {
  stacks: environments().names,
  environments: environments().byName,
};

export const WORKFLOW_DIR = path.join(__dirname, "..", "..", ".github", "workflows");

export function loadWorkflows(dir: string = WORKFLOW_DIR): Workflow[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((file) => ({ file, doc: parse(fs.readFileSync(path.join(dir, file), "utf8")) }));
}

type Rec = Readonly<Record<string, unknown>>;

function rec(value: unknown): Rec | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Rec)
    : undefined;
}

function str(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  return typeof value === "number" || typeof value === "boolean" ? String(value) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `${{vars.X}}` and `${{ vars.X }}` are the same expression. */
function normalizeExpressions(text: string): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, "${{ $1 }}");
}

/** The events a workflow runs on, whichever of the three `on:` forms it uses. */
export function triggers(doc: Rec): Map<string, Rec> {
  const on = doc["on"];
  const events = new Map<string, Rec>();
  if (typeof on === "string") events.set(on, {});
  for (const event of list(on)) if (typeof event === "string") events.set(event, {});
  for (const [event, config] of Object.entries(rec(on) ?? {})) events.set(event, rec(config) ?? {});
  return events;
}

export interface Step {
  readonly id: string | undefined;
  /** The step's environment, values as written. */
  readonly env: Readonly<Record<string, string>>;
  readonly uses: string | undefined;
  readonly run: string | undefined;
  /** The step's inputs as strings, matrix values substituted. */
  readonly with: Readonly<Record<string, string>>;
}

/** One job as it runs for one matrix entry: `${{ matrix.x }}` replaced by the entry's value. */
export interface JobInstance {
  readonly workflow: Workflow;
  readonly id: string;
  readonly job: Rec;
  readonly checkName: string;
  readonly steps: readonly Step[];
}

function matrixEntries(job: Rec): Rec[] {
  const matrix = rec(rec(job["strategy"])?.["matrix"]);
  if (matrix === undefined) return [{}];
  const axes = Object.entries(matrix).filter(([key]) => key !== "include" && key !== "exclude");
  let entries: Rec[] = [{}];
  for (const [key, values] of axes) {
    entries = entries.flatMap((entry) => list(values).map((v) => ({ ...entry, [key]: v })));
  }
  const includes = list(matrix["include"]).map((i) => rec(i) ?? {});
  if (axes.length === 0) return includes.length > 0 ? includes : [{}];
  return [...entries, ...includes];
}

function substitute(text: string, entry: Rec): string {
  return normalizeExpressions(text).replace(/\$\{\{ matrix\.([A-Za-z0-9_-]+) \}\}/g, (m, key) => {
    const value = str(entry[key as string]);
    return value === undefined ? m : normalizeExpressions(value);
  });
}

export function instances(workflow: Workflow): JobInstance[] {
  const jobs = rec(rec(workflow.doc)?.["jobs"]) ?? {};
  return Object.entries(jobs).flatMap(([id, value]) => {
    const job = rec(value) ?? {};
    return matrixEntries(job).map((entry) => ({
      workflow,
      id,
      job,
      checkName: substitute(str(job["name"]) ?? id, entry),
      steps: list(job["steps"]).map((s) => {
        const step = rec(s) ?? {};
        const uses = str(step["uses"]);
        const run = str(step["run"]);
        const withs = Object.fromEntries(
          Object.entries(rec(step["with"]) ?? {}).map(([k, v]) => [
            k,
            substitute(str(v) ?? "", entry),
          ]),
        );
        return {
          id: str(step["id"]),
          env: Object.fromEntries(
            Object.entries(rec(step["env"]) ?? {}).map(([k, v]) => [
              k,
              substitute(str(v) ?? "", entry),
            ]),
          ),
          uses,
          run: run === undefined ? undefined : substitute(run, entry),
          with: withs,
        };
      }),
    }));
  });
}

export function permission(job: Rec, scope: string): string | undefined {
  return str(rec(job["permissions"])?.[scope]);
}

export function environmentName(job: Rec): string | undefined {
  const env = job["environment"];
  return str(env) ?? str(rec(env)?.["name"]);
}

export function actionName(uses: string | undefined): string | undefined {
  return uses?.split("@")[0];
}

const PINNED = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/;

function checkHygiene(workflow: Workflow, problems: string[]): void {
  const doc = rec(workflow.doc) ?? {};
  const where = workflow.file;
  const top = doc["permissions"];
  const topRec = rec(top);
  const topOk =
    topRec !== undefined &&
    Object.entries(topRec).every(([scope, level]) => scope === "contents" && level === "read");
  if (!topOk) {
    problems.push(
      `${where}: set top-level permissions to {} or contents: read (jobs ask for more)`,
    );
  }
  for (const [id, value] of Object.entries(rec(doc["jobs"]) ?? {})) {
    const job = rec(value) ?? {};
    if (job["permissions"] === undefined) {
      problems.push(`${where}: job ${id} has no permissions block (least privilege per job)`);
    }
    for (const s of list(job["steps"])) {
      const uses = str(rec(s)?.["uses"]);
      if (uses === undefined || uses.startsWith("./")) continue;
      if (!PINNED.test(uses)) {
        problems.push(
          `${where}: job ${id} uses ${uses} without a version (pin @vN or a commit SHA)`,
        );
      }
      const known = ACTION_INPUTS[uses];
      for (const input of Object.keys(rec(rec(s)?.["with"]) ?? {})) {
        if (known !== undefined && !known.includes(input)) {
          problems.push(`${where}: job ${id}: input "${input}" is not defined in action ${uses}`);
        }
      }
    }
  }
}

interface CloudExpectation {
  readonly where: string;
  readonly stack: StackName;
  readonly command: "up";
  readonly roleVariable: string;
  readonly regionVariable: string;
}

function varExpression(name: string): string {
  return `\${{ vars.${name} }}`;
}

/** The credentials and Pulumi steps a preview or deploy job must contain, in that order. */
function checkCloudSteps(steps: readonly Step[], x: CloudExpectation, problems: string[]): void {
  const credentials = steps.findIndex(
    (s) => actionName(s.uses) === "aws-actions/configure-aws-credentials",
  );
  const pulumi = steps.findIndex((s) => actionName(s.uses) === "pulumi/actions");
  const creds = steps[credentials];
  if (creds === undefined) {
    problems.push(`${x.where}: no aws-actions/configure-aws-credentials step`);
  } else {
    const role = creds.with["role-to-assume"];
    if (role !== varExpression(x.roleVariable)) {
      problems.push(
        `${x.where}: role-to-assume is ${JSON.stringify(role)}, expected "${varExpression(x.roleVariable)}"`,
      );
    }
    const region = creds.with["aws-region"];
    if (region !== varExpression(x.regionVariable)) {
      problems.push(
        `${x.where}: aws-region is ${JSON.stringify(region)}, expected "${varExpression(x.regionVariable)}"`,
      );
    }
  }
  const step = steps[pulumi];
  if (step === undefined) {
    problems.push(`${x.where}: no pulumi/actions step`);
    return;
  }
  if (creds !== undefined && credentials > pulumi) {
    problems.push(`${x.where}: the credentials step must come before pulumi/actions`);
  }
  if (step.with["command"] !== x.command) {
    problems.push(
      `${x.where}: pulumi/actions command is ${JSON.stringify(step.with["command"])}, expected "${x.command}"`,
    );
  }
  const stackName = step.with["stack-name"] ?? "";
  if (stackName.split("/").pop() !== x.stack) {
    problems.push(
      `${x.where}: pulumi/actions stack-name is ${JSON.stringify(stackName)}, expected <org>/${x.stack}`,
    );
  }
  if (step.with["policyPacks"] !== "policies") {
    problems.push(`${x.where}: pulumi/actions must run the policy pack (policyPacks: policies)`);
  }
}

function requiredChecks(model: PipelineModel): string[] {
  const all = model.stacks.flatMap((s) => model.environments[s]!.merge.requiredChecks);
  return [...new Set(all)].sort();
}

/** Whether a step runs code from the checkout (a pull request's code, on a pull request). */
function runsRepositoryCode(step: Step): boolean {
  return step.run !== undefined || actionName(step.uses) === "actions/checkout";
}

/** Secrets a job reads anywhere in its definition (`secrets.X`), sorted. */
export function secretsOf(job: Rec): string[] {
  const text = JSON.stringify(job);
  return [...new Set([...text.matchAll(/secrets\.([A-Za-z0-9_]+)/g)].map((m) => m[1]!))].sort();
}

/** The permission scopes a job's GITHUB_TOKEN may write, sorted. */
export function writeScopes(job: Rec): string[] {
  return Object.entries(rec(job["permissions"]) ?? {})
    .filter(([, level]) => level === "write")
    .map(([scope]) => scope)
    .sort();
}

function checkPullRequests(
  workflows: readonly Workflow[],
  model: PipelineModel,
  problems: string[],
) {
  const prInstances = workflows
    .filter((w) => triggers(rec(w.doc) ?? {}).has("pull_request"))
    .flatMap(instances);
  const expected = requiredChecks(model);
  const reported = new Map<string, JobInstance[]>();
  for (const i of prInstances) reported.set(i.checkName, [...(reported.get(i.checkName) ?? []), i]);

  for (const check of expected) {
    if (!reported.has(check)) {
      problems.push(`pull_request workflows: no job reports the required check "${check}"`);
    }
  }
  for (const [check, jobs] of [...reported].sort(([a], [b]) => a.localeCompare(b))) {
    const runsCode = jobs.some((j) => j.steps.some(runsRepositoryCode));
    if (!expected.includes(check) && runsCode) {
      problems.push(
        `pull_request workflows: job check "${check}" (${jobs[0]?.workflow.file}) is not a required check of any environment in src/model`,
      );
    } else if (jobs.length > 1) {
      problems.push(`pull_request workflows: check "${check}" is reported by ${jobs.length} jobs`);
    }
  }

  for (const i of prInstances) {
    const where = `${i.workflow.file}: job ${i.checkName}`;
    const runs = i.steps.map((s) => s.run ?? "").join("\n");
    const runsCode = i.steps.some(runsRepositoryCode);
    // Unreviewed code holds nothing: no secret, no OIDC token, no write scope.
    if (runsCode) {
      for (const secret of secretsOf(i.job)) {
        problems.push(`${where}: runs pull-request code with the secret ${secret}`);
      }
      if (permission(i.job, "id-token") !== undefined) {
        problems.push(`${where}: runs pull-request code with id-token (a cloud credential)`);
      }
      for (const scope of writeScopes(i.job)) {
        problems.push(`${where}: runs pull-request code with ${scope}: write`);
      }
      if (environmentName(i.job) !== undefined) {
        problems.push(`${where}: runs pull-request code in a deployment environment`);
      }
    }
    if (i.checkName === "gate") {
      for (const format of ["sarif", "markdown"]) {
        if (!new RegExp(`envstack preview --all --format ${format}\\b`).test(runs)) {
          problems.push(`${where}: does not run "envstack preview --all --format ${format}"`);
        }
      }
    }
    if (i.checkName === "branch-flow") {
      if (!/envstack branch-flow --base \S+ --head \S+/.test(runs)) {
        problems.push(`${where}: does not run "envstack branch-flow --base ... --head ..."`);
      }
      const types = list(triggers(rec(i.workflow.doc) ?? {}).get("pull_request")?.["types"]);
      if (types.length > 0 && !types.includes("edited")) {
        problems.push(`${where}: must also run on edited pull requests (a retargeted base)`);
      }
    }
  }
  const publishers = prInstances.filter((i) => !i.steps.some(runsRepositoryCode));
  if (
    !publishers.some((i) =>
      i.steps.some((s) => actionName(s.uses) === "github/codeql-action/upload-sarif"),
    )
  ) {
    problems.push(
      "pull_request workflows: no job that runs no pull-request code uploads the SARIF (github/codeql-action/upload-sarif)",
    );
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");
}

function checkDeploys(workflows: readonly Workflow[], model: PipelineModel, problems: string[]) {
  const deploys = new Map<StackName, JobInstance[]>();
  for (const workflow of workflows) {
    const push = triggers(rec(workflow.doc) ?? {}).get("push");
    if (push === undefined) continue;
    for (const i of instances(workflow)) {
      const env = environmentName(i.job);
      if (env === undefined) continue;
      const stack = model.stacks.find((s) => s === env);
      if (stack === undefined) {
        problems.push(
          `${workflow.file}: job ${i.id} deploys to environment "${env}", which src/model does not define (${model.stacks.join(", ")})`,
        );
        continue;
      }
      deploys.set(stack, [...(deploys.get(stack) ?? []), i]);
    }
  }
  for (const stack of model.stacks) {
    const found = deploys.get(stack) ?? [];
    const definition = model.environments[stack]!;
    if (found.length === 0) {
      problems.push(`no push workflow deploys ${stack} (a job bound to environment "${stack}")`);
      continue;
    }
    if (found.length > 1) {
      problems.push(
        `${stack} is deployed by ${found.length} jobs: ${found.map((i) => `${i.workflow.file}#${i.id}`).join(", ")}`,
      );
    }
    for (const i of found) {
      const where = `${i.workflow.file}: job ${i.id}`;
      const push = triggers(rec(i.workflow.doc) ?? {}).get("push") ?? {};
      const branches = list(push["branches"]).map((b) => str(b) ?? "");
      if (!sameSet(branches, definition.branches)) {
        problems.push(
          `${where}: deploys ${stack} on pushes to [${branches.join(", ")}], src/model says [${definition.branches.join(", ")}]`,
        );
      }
      const concurrency = i.job["concurrency"];
      const group = str(concurrency) ?? str(rec(concurrency)?.["group"]);
      if (group !== `deploy-${stack}`) {
        problems.push(
          `${where}: concurrency group is ${JSON.stringify(group)}, expected "deploy-${stack}"`,
        );
      }
      if (rec(concurrency)?.["cancel-in-progress"] === true) {
        problems.push(`${where}: cancel-in-progress must be false (never stop a deploy half-way)`);
      }
      if (permission(i.job, "id-token") !== "write") {
        problems.push(`${where}: needs permission id-token: write (OIDC)`);
      }
      const gate = i.steps.findIndex((s) =>
        new RegExp(`envstack preview --stack ${stack}(\\s|$)`).test(s.run ?? ""),
      );
      const up = i.steps.findIndex((s) => actionName(s.uses) === "pulumi/actions");
      if (gate < 0 || (up >= 0 && gate > up)) {
        problems.push(
          `${where}: must run the gate "envstack preview --stack ${stack}" before pulumi up`,
        );
      }
      const guardsToken = secretsOf(i.job).includes(GITHUB_ADMIN_SECRET);
      // The production stack declares every environment's guards.
      const holdsGuards = definition.role === "production";
      if (guardsToken && !holdsGuards) {
        const production = model.stacks.find((s) => model.environments[s]?.role === "production");
        problems.push(
          `${where}: holds ${GITHUB_ADMIN_SECRET}, but only the ${production ?? "production"} deploy changes GitHub guards`,
        );
      }
      if (!guardsToken && holdsGuards) {
        problems.push(
          `${where}: needs ${GITHUB_ADMIN_SECRET} as GITHUB_TOKEN: the ${stack} stack declares the GitHub guards`,
        );
      }
      checkVerify(i, up, problems);
      checkRelease(i, stack, definition, up, problems);
      checkCloudSteps(
        i.steps,
        {
          where,
          stack,
          command: "up",
          roleVariable: `${definition.variablePrefix}AWS_ROLE_ARN`,
          regionVariable: `${definition.variablePrefix}AWS_REGION`,
        },
        problems,
      );
    }
  }
}

/**
 * A deploy checks, after `pulumi up`, that every ECS service runs the task definition the update
 * declared, that no rollback alarm is in ALARM and that the app answers (`envstack verify-deploy`
 * over the step output ecsServices and the alarms' states): a deployment ECS rolled back is
 * stable too, so the update alone does not fail.
 */
function checkVerify(i: JobInstance, up: number, problems: string[]): void {
  const where = `${i.workflow.file}: job ${i.id}`;
  if (up >= 0 && i.steps[up]!.id !== "up") {
    problems.push(`${where}: the pulumi/actions step needs id "up" (its outputs feed the check)`);
  }
  const verify = i.steps.findIndex((s) => /envstack verify-deploy(\s|$)/.test(s.run ?? ""));
  if (verify < 0 || verify < up) {
    problems.push(`${where}: needs a step after pulumi up running envstack verify-deploy`);
    return;
  }
  if (i.steps[verify]!.env["ECS_SERVICES"] !== "${{ steps.up.outputs.ecsServices }}") {
    problems.push(
      `${where}: the verify step must read ECS_SERVICES from steps.up.outputs.ecsServices`,
    );
  }
  const run = i.steps[verify]!.run ?? "";
  if (
    !/aws cloudwatch describe-alarms\b/.test(run) ||
    !/envstack verify-deploy[^\n]*(\\\n[^\n]*)*--alarms /.test(run)
  ) {
    problems.push(
      `${where}: the verify step must describe the rollback alarms and pass them (--alarms)`,
    );
  }
  const release = i.steps.findIndex((s) => s.id === "release");
  if (release >= 0 && release < verify) {
    problems.push(`${where}: the release must come after the deploy is verified`);
  }
}

/**
 * A deploy of an environment that guards release tags records the release: a tag step before
 * `pulumi up` whose output the update message names, and after it a step that writes the notes
 * (`envstack release-notes`) and creates the GitHub release, whose URL the deployment links to.
 * Only that job's token may write contents; every other deploy's stays read-only.
 */
function checkRelease(
  i: JobInstance,
  stack: StackName,
  definition: EnvironmentDefinition,
  up: number,
  problems: string[],
): void {
  const where = `${i.workflow.file}: job ${i.id}`;
  const releases = definition.tags.length > 0;
  const contents = permission(i.job, "contents");
  if (!releases) {
    if (contents === "write") {
      problems.push(`${where}: contents: write, but ${stack} guards no release tags to create`);
    }
    return;
  }
  if (contents !== "write") {
    problems.push(`${where}: needs contents: write to create ${stack}'s release tag and release`);
  }
  const tag = i.steps.findIndex((s) => s.id === "tag");
  if (tag < 0 || (up >= 0 && tag > up)) {
    problems.push(
      `${where}: needs a step with id "tag" computing the release tag before pulumi up`,
    );
  }
  const message = up >= 0 ? (i.steps[up]!.with["message"] ?? "") : "";
  if (!message.includes("${{ steps.tag.outputs.tag }}")) {
    problems.push(`${where}: the pulumi update message must name the release tag (steps.tag)`);
  }
  const release = i.steps.findIndex((s) => s.id === "release");
  const run = i.steps[release]?.run ?? "";
  if (release < 0 || release < up) {
    problems.push(`${where}: needs a step with id "release" after pulumi up`);
  } else {
    if (!new RegExp(`envstack release-notes --stack ${stack}(\\s|$)`).test(run)) {
      problems.push(
        `${where}: the release step must write the notes with envstack release-notes --stack ${stack}`,
      );
    }
    if (!/gh release create "\$TAG"[^\n]*--notes-file/.test(run.replace(/\\\n\s*/g, " "))) {
      problems.push(
        `${where}: the release step must create the release with gh release create "$TAG" --notes-file`,
      );
    }
  }
  const url = str(rec(i.job["environment"])?.["url"]);
  if (url !== "${{ steps.release.outputs.url }}") {
    problems.push(
      `${where}: environment.url must link the deployment to the release (steps.release.outputs.url)`,
    );
  }
}

/**
 * Code scanning holds each guarded branch's alerts: a push workflow over every branch an
 * environment deploys from runs the gate as SARIF in a job that holds no credential, and a job
 * that runs no repository code uploads it.
 */
function checkCodeScanning(
  workflows: readonly Workflow[],
  model: PipelineModel,
  problems: string[],
) {
  const guarded = [...new Set(model.stacks.flatMap((s) => model.environments[s]!.branches))];
  const pushes = workflows.filter((w) => {
    const push = triggers(rec(w.doc) ?? {}).get("push");
    if (push === undefined) return false;
    const branches = list(push["branches"]).map((b) => str(b) ?? "");
    return guarded.every((b) => branches.includes(b));
  });
  const jobs = pushes.flatMap(instances).filter((i) => environmentName(i.job) === undefined);
  const scans = jobs.filter((i) =>
    i.steps.some((s) => /envstack preview --all --format sarif\b/.test(s.run ?? "")),
  );
  if (scans.length === 0) {
    problems.push(
      `push workflows: no job runs "envstack preview --all --format sarif" on pushes to every guarded branch (${guarded.join(", ")})`,
    );
  }
  for (const i of scans) {
    const where = `${i.workflow.file}: job ${i.checkName}`;
    for (const secret of secretsOf(i.job))
      problems.push(`${where}: runs the gate with the secret ${secret}`);
    if (permission(i.job, "id-token") !== undefined) {
      problems.push(`${where}: runs the gate with id-token (a cloud credential)`);
    }
    for (const scope of writeScopes(i.job))
      problems.push(`${where}: runs the gate with ${scope}: write`);
  }
  const uploads = jobs.filter(
    (i) =>
      !i.steps.some(runsRepositoryCode) &&
      i.steps.some((s) => actionName(s.uses) === "github/codeql-action/upload-sarif") &&
      permission(i.job, "security-events") === "write",
  );
  if (uploads.length === 0) {
    problems.push(
      "push workflows: no job that runs no repository code uploads the SARIF (github/codeql-action/upload-sarif, security-events: write)",
    );
  }
}

/**
 * Where the workflows disagree with src/model (check names, environments, branches, concurrency,
 * credentials, the gate) or with the pipeline's hygiene (permissions, pinned actions).
 * Returns one message per disagreement; none means the workflows and the model agree.
 */
export function checkWorkflows(
  workflows: readonly Workflow[],
  model: PipelineModel = REAL_MODEL,
): string[] {
  const problems: string[] = [];
  for (const workflow of workflows) checkHygiene(workflow, problems);
  checkPullRequests(workflows, model, problems);
  checkDeploys(workflows, model, problems);
  checkCodeScanning(workflows, model, problems);
  return problems;
}
