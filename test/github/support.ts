import { SAMPLE } from "../harness/sample";
import * as path from "node:path";
import type { RegisteredResource } from "../../src/engine/mock-run";
import { realisticMocks } from "../../src/engine/mocks";
import { environments, readStackConfigFile, type EnvironmentSpec } from "../../src/model";
import { runStack } from "../program/harness";

export const ROOT = path.resolve(__dirname, "../..");
export const REGION = SAMPLE.region;

export const TYPES = {
  ruleset: "github:index/repositoryRuleset:RepositoryRuleset",
  environment: "github:index/repositoryEnvironment:RepositoryEnvironment",
  branchPolicy:
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
  variable: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
  label: "github:index/issueLabel:IssueLabel",
  githubProvider: "pulumi:providers:github",
  awsProvider: "pulumi:providers:aws",
  oidcProvider: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
  role: "aws:iam/role:Role",
  policy: "aws:iam/policy:Policy",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  deployRole: "envstack:aws:DeployRole",
} as const;

/** A stack file's raw config values. */
export function stackValues(stack: string): Record<string, unknown> {
  return readStackConfigFile(path.join(ROOT, `Pulumi.${stack}.yaml`));
}

/** The committed `envstack:github` map of a stack with some keys replaced. */
export function githubWith(
  stack: string,
  changes: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const github = stackValues(stack)["envstack:github"] as Record<string, unknown>;
  return { ...github, ...changes };
}

export interface GovernanceRun {
  readonly spec: EnvironmentSpec;
  /**
   * The environment's guards (declared by the guards stack, with the environment's settings) and
   * its CI deploy role (declared by its own stack): the AWS environment is another component's.
   */
  readonly resources: readonly RegisteredResource[];
  /** The environment's own exports, and the guards stack's `guards.<stack>` export as `guards`. */
  readonly outputs: Record<string, unknown>;
}

/** Whether a resource is `root` or descends from it (through parents). */
function within(
  resources: readonly RegisteredResource[],
  root: (r: RegisteredResource) => boolean,
) {
  const byUrn = new Map(resources.map((r) => [r.urn, r] as const));
  return (r: RegisteredResource): boolean => {
    for (let at: RegisteredResource | undefined = r; at; at = byUrn.get(at.parent)) {
      if (root(at)) return true;
    }
    return false;
  };
}

/**
 * The guards of one environment and its deploy role: the environment's own run (with
 * `overrides`) for the role, the guards stack's run (reading the environment's file with the
 * same overrides) for the GitHub side.
 */
export async function runGovernance(
  stack: string,
  overrides: Readonly<Record<string, unknown>> = {},
): Promise<GovernanceRun> {
  const own = await runStack(stack, overrides);
  const guardsRun =
    environments().has(stack) && environments().holdsGuards(stack)
      ? own
      : await runStack(environments().production, {}, { [stack]: overrides });
  const guards = (guardsRun.outputs["guards"] ?? {}) as Record<string, unknown>;
  const name = `${own.spec.app}-${stack}`;
  const isGuard = within(
    guardsRun.resources,
    (r) => r.type === "envstack:github:EnvironmentGuards" && r.name === name,
  );
  const inDeployRole = within(own.resources, (r) => r.type === TYPES.deployRole);
  return {
    spec: own.spec,
    resources: [
      ...guardsRun.resources.filter((r) => r.type === TYPES.githubProvider || isGuard(r)),
      ...own.resources.filter(inDeployRole),
    ],
    outputs: { ...own.outputs, guards: guards[stack] },
  };
}

export function ofType(run: GovernanceRun, type: string): RegisteredResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function single(run: GovernanceRun, type: string): RegisteredResource {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

const mocks = realisticMocks(REGION);

/** The numeric id the mocked GitHub API gives a team. */
export async function teamId(slug: string): Promise<number> {
  const team = await mocks.call({ token: "github:index/getTeam:getTeam", inputs: { slug } });
  return Number(team["id"]);
}

/** The numeric id the mocked GitHub API gives a user. */
export async function userId(username: string): Promise<number> {
  const user = await mocks.call({ token: "github:index/getUser:getUser", inputs: { username } });
  return Number(user["id"]);
}
