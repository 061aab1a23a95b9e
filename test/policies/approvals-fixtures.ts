import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { environments, loadSpecFromFile, type GithubConfig, type StackName } from "../../src/model";
import { splitReviewers } from "../../src/model/github-rules";
import { stackFileKey } from "../../policies/baselines";
import { ENVIRONMENT, RULESET } from "../../policies/approvals";
import { runStack, stackFile } from "../program/harness";
import { checkStack, fixturesOf, urnOf, type Fixture, type Violation } from "./harness";

/**
 * What the approvals tests share: the guards stack's declared GitHub resources, as the engine
 * hands them to the pack, and edits of them. Call `loadGuards()` in a `beforeAll` first.
 */

export const BRANCH_RULES = "branch-rules-match-promotion-model";
export const ENVIRONMENT_RULES = "deployment-environment-rules";

export type Props = Record<string, unknown>;
export type Edit = (props: Props) => void;

/** The resources the guards stack declares, as the engine hands them to the pack. */
export let declared: Fixture[] = [];
/** Each stack file's validated `envstack:github` settings. */
export const github = {} as Record<StackName, GithubConfig>;

export async function loadGuards(): Promise<void> {
  declared = fixturesOf((await runStack(environments().production)).resources);
  for (const stack of environments().names)
    github[stack] = loadSpecFromFile(stackFile(stack), stack).github;
}

export const owner = () => github[environments().production]!.owner;
export const repository = () => github[environments().production]!.repository;
/** The repository the stack files name, as messages show it. */
export const home = () => `${owner()}/${repository()}`;

/** How a stack file's deployment reviewers read in messages. */
export function reviewers(stack: StackName): string {
  const { teams, users } = splitReviewers(github[stack]!.deploymentReviewers);
  return `the ${teams.length} team(s) and ${users.length} user(s) envstack:github.deploymentReviewers names (${github[stack]!.deploymentReviewers.join(", ")})`;
}

export const clone = <T>(value: T): T => structuredClone(value);

/** The declared fixture of a type whose `key` input is `value` (a ruleset's or environment's name). */
export function find(type: string, key: string, value: string): Fixture {
  const found = declared.filter((f) => f.type === type && f.props[key] === value);
  if (found.length !== 1) throw new Error(`${found.length} ${type} with ${key} ${value}`);
  return found[0]!;
}

export const branchRuleset = (stack: StackName) =>
  find(RULESET, "name", `envstack-${stack}-branches`);
export const tagRuleset = (stack: StackName) => find(RULESET, "name", `envstack-${stack}-tags`);
export const environmentOf = (stack: StackName) => find(ENVIRONMENT, "environment", stack);
export const urn = (f: Fixture) => urnOf(environments().production, f.type, f.name);

/** The declared resources with exactly one changed. */
export function edited(target: Fixture, edit: Edit, extra: Partial<Fixture> = {}): Fixture[] {
  return declared.map((f) => {
    if (f !== target) return f;
    const props = clone(f.props);
    edit(props);
    return { ...f, ...extra, props };
  });
}

export const rules = (p: Props) => p["rules"] as Props;
export const pullRequest = (p: Props) => rules(p)["pullRequest"] as Props;
export const statusChecks = (p: Props) => rules(p)["requiredStatusChecks"] as Props;
export const refName = (p: Props) => (p["conditions"] as Props)["refName"] as Props;

/** A stack file like the committed one with `envstack:github` keys replaced, as pack settings. */
export function withGithub(stack: StackName, github: Props): Record<string, unknown> {
  const doc = YAML.parse(fs.readFileSync(stackFile(stack), "utf8")) as { config: Props };
  doc.config["envstack:github"] = { ...(doc.config["envstack:github"] as Props), ...github };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-approvals-"));
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  fs.writeFileSync(file, YAML.stringify(doc));
  return { [stackFileKey(stack)]: file };
}

/** The environment's reviewers entry, created empty where the program declares none. */
export function reviewersOf(p: Props): Props {
  const list = (p["reviewers"] as Props[] | undefined) ?? [{ teams: [], users: [] }];
  p["reviewers"] = list;
  return list[0]!;
}

export const check = (name: string, fixtures: Fixture[], config: Record<string, unknown> = {}) =>
  checkStack(environments().production, name, fixtures, config);

export const mandatory = (message: string, on?: Fixture): Violation =>
  on === undefined
    ? { message, enforcementLevel: "mandatory" }
    : { message, urn: urn(on), enforcementLevel: "mandatory" };

export const why = (stack: StackName, branch: string) =>
  `${stack} deploys from ${branch} and the promotion model guards every branch it matches`;
