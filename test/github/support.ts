import * as path from "node:path";
import type { RegisteredResource } from "../../src/cli/mock-run";
import { realisticMocks } from "../../src/cli/mocks";
import { readStackConfigFile, type EnvironmentSpec } from "../../src/model";
import { runStack } from "../program/harness";

export const ROOT = path.resolve(__dirname, "../..");
export const REGION = "eu-west-1";

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
  /** Only the GitHub side and the deploy role: the AWS environment is another component's. */
  readonly resources: readonly RegisteredResource[];
  readonly outputs: Record<string, unknown>;
}

function isGovernance(r: RegisteredResource): boolean {
  return (
    r.type.startsWith("github:") ||
    r.type === TYPES.githubProvider ||
    r.type.startsWith("envstack:github:") ||
    r.type === TYPES.deployRole ||
    r.parent.includes(`$${TYPES.deployRole}::`)
  );
}

/** Runs the whole program for a stack under mocks and keeps the GitHub side and the CI roles. */
export async function runGovernance(
  stack: string,
  overrides: Readonly<Record<string, unknown>> = {},
): Promise<GovernanceRun> {
  const run = await runStack(stack, overrides);
  return { ...run, resources: run.resources.filter(isGovernance) };
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
