import type { PolicyResource } from "@pulumi/policy";
import {
  environments,
  GITHUB_ACTIONS_APP_ID,
  type GithubConfig,
  type StackName,
} from "../../src/model";
import { conditionTouches, uncoveredBecause, type RefKind } from "../../src/model/fnmatch";
import { splitReviewers } from "../../src/model/github-rules";
import { baselineOf } from "../baselines";
import { isRecord, isUnknown, show, whenKnown, type Report, type Settings } from "../support";

export const RULESET = "github:index/repositoryRuleset:RepositoryRuleset";
export const ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment";
export const DEPLOYMENT_POLICY =
  "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy";
/** Sets a repository's default branch, which `~DEFAULT_BRANCH` in a ruleset condition names. */
export const BRANCH_DEFAULT = "github:index/branchDefault:BranchDefault";

export const RULESETS_DOC =
  "https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/creating-rulesets-for-a-repository#using-fnmatch-syntax";
export const ENVIRONMENTS_DOC =
  "https://docs.github.com/en/actions/reference/workflows-and-actions/deployments-and-environments";

/** The repository the stack files name: where every guard that counts must be declared. */
export interface Home {
  readonly owner: string;
  readonly repository: string;
}

export const showHome = (home: Home) => `${home.owner}/${home.repository}`;

/**
 * Where a GitHub resource is declared: its `repository` input, under the owner its GitHub
 * provider names (the program gives the provider the owner; a resource on the default provider
 * names none the pack can see, so it is not shown to be on the configured repository).
 */
export interface Place {
  readonly owner: string | undefined;
  readonly repository: string;
}

export function placeOf(resource: PolicyResource): Place {
  const owner = resource.provider?.props["owner"];
  const repository = resource.props["repository"];
  return {
    owner: typeof owner === "string" ? owner : undefined,
    repository: typeof repository === "string" ? repository : "",
  };
}

/** GitHub owner and repository names are case-insensitive. */
export function isHome(place: Place, home: Home): boolean {
  return (
    place.owner?.toLowerCase() === home.owner.toLowerCase() &&
    place.repository.toLowerCase() === home.repository.toLowerCase()
  );
}

export const showPlace = (place: Place) =>
  `${place.owner ?? "(an owner no GitHub provider names)"}/${place.repository || "(no repository)"}`;

export interface BypassActor {
  readonly type: string;
  readonly id: unknown;
  readonly mode: string;
}

export interface RequiredCheck {
  readonly context: string;
  readonly integrationId: unknown;
}

/** The rules of one ruleset, read once (reads may throw for unknown values). */
export interface Ruleset {
  readonly resource: PolicyResource;
  readonly place: Place;
  readonly target: string;
  readonly enforcement: string;
  readonly includes: readonly string[];
  readonly excludes: readonly string[];
  readonly bypass: readonly BypassActor[];
  readonly pullRequest: boolean;
  readonly approvals: number;
  readonly codeOwnerReview: boolean;
  readonly dismissStaleReviews: boolean;
  readonly lastPushApproval: boolean;
  readonly resolveReviewThreads: boolean;
  readonly linearHistory: boolean;
  readonly strictChecks: boolean;
  readonly checksOnCreate: boolean;
  readonly checks: readonly RequiredCheck[];
  readonly deployments: readonly string[];
  readonly noForcePush: boolean;
  readonly noDeletion: boolean;
  /** The `update` rule: refs matched may not be updated (a tag never points elsewhere). */
  readonly noUpdate: boolean;
}

export const list = (v: unknown): unknown[] => (Array.isArray(v) ? [...v] : []);
export const strings = (v: unknown): string[] =>
  list(v).filter((x): x is string => typeof x === "string");
export const flag = (v: unknown): boolean => v === true;
export const text = (v: unknown): string => (typeof v === "string" ? v : "");

export function readRuleset(resource: PolicyResource): Ruleset {
  const p = resource.props;
  const rules: unknown = p["rules"];
  const r = isRecord(rules) ? rules : {};
  const pr = isRecord(r["pullRequest"]) ? r["pullRequest"] : undefined;
  const refName = isRecord(p["conditions"]) ? p["conditions"]["refName"] : undefined;
  const statusChecks = isRecord(r["requiredStatusChecks"]) ? r["requiredStatusChecks"] : {};
  const deployments = isRecord(r["requiredDeployments"]) ? r["requiredDeployments"] : {};
  return {
    resource,
    place: placeOf(resource),
    target: text(p["target"]),
    enforcement: text(p["enforcement"]),
    includes: strings(isRecord(refName) ? refName["includes"] : undefined),
    excludes: strings(isRecord(refName) ? refName["excludes"] : undefined),
    bypass: list(p["bypassActors"])
      .map((a) => (isRecord(a) ? a : {}))
      .map((a) => ({ type: text(a["actorType"]), id: a["actorId"], mode: text(a["bypassMode"]) })),
    pullRequest: pr !== undefined,
    approvals:
      typeof pr?.["requiredApprovingReviewCount"] === "number"
        ? pr["requiredApprovingReviewCount"]
        : 0,
    codeOwnerReview: flag(pr?.["requireCodeOwnerReview"]),
    dismissStaleReviews: flag(pr?.["dismissStaleReviewsOnPush"]),
    lastPushApproval: flag(pr?.["requireLastPushApproval"]),
    resolveReviewThreads: flag(pr?.["requiredReviewThreadResolution"]),
    linearHistory: flag(r["requiredLinearHistory"]),
    strictChecks: flag(statusChecks["strictRequiredStatusChecksPolicy"]),
    checksOnCreate: !flag(statusChecks["doNotEnforceOnCreate"]),
    checks: list(statusChecks["requiredChecks"]).flatMap((c) =>
      isRecord(c) && typeof c["context"] === "string"
        ? [{ context: c["context"], integrationId: c["integrationId"] }]
        : [],
    ),
    deployments: strings(deployments["requiredDeploymentEnvironments"]),
    noForcePush: flag(r["nonFastForward"]),
    noDeletion: flag(r["deletion"]),
    noUpdate: flag(r["update"]),
  };
}

export function readRulesets(resources: readonly PolicyResource[], report: Report): Ruleset[] {
  const out: Ruleset[] = [];
  for (const resource of resources) {
    if (resource.type !== RULESET) continue;
    const ruleset = whenKnown(() => readRuleset(resource));
    if (isUnknown(ruleset)) {
      report(`Cannot check ruleset ${resource.name} during preview: ${ruleset.reason}.`, {
        level: "advisory",
        urn: resource.urn,
      });
      continue;
    }
    out.push(ruleset);
  }
  return out;
}

/**
 * The configured repository's default branch, where the guards stack declares it (a
 * `github.BranchDefault`); undefined when it does not, or not knowably, and `~DEFAULT_BRANCH`
 * then names no branch for certain.
 */
export function defaultBranchOf(
  resources: readonly PolicyResource[],
  home: Home,
): string | undefined {
  for (const resource of resources) {
    if (resource.type !== BRANCH_DEFAULT) continue;
    const declared = whenKnown(() => ({
      place: placeOf(resource),
      branch: resource.props["branch"],
    }));
    if (isUnknown(declared) || !isHome(declared.place, home)) continue;
    if (typeof declared.branch === "string") return declared.branch;
  }
  return undefined;
}

/** The settings a guarded stack's stack file gives its GitHub rules, or undefined if broken. */
export type Configs = Readonly<Record<StackName, GithubConfig | undefined>>;

/**
 * Reads every stack file through the policy's settings. The guards stack's names the repository;
 * a broken file is reported, and its stack is then held to the model's floors only.
 */
export function readConfigs(
  settings: Settings,
  report: Report,
): { home: Home | undefined; configs: Configs } {
  const configs = {} as Record<StackName, GithubConfig | undefined>;
  for (const stack of environments().names) {
    const baseline = baselineOf(settings, stack);
    if (!baseline.ok) report(baseline.message);
    configs[stack] = baseline.ok ? baseline.spec.github : undefined;
  }
  const guards = configs[environments().production];
  const home = guards && { owner: guards.owner, repository: guards.repository };
  return { home, configs };
}

export const TARGET: Readonly<Record<RefKind, string>> = { heads: "branch", tags: "tag" };

/** What a ruleset on an environment's pattern protects, for messages. */
export function purpose(stack: StackName, kind: RefKind, pattern: string): string {
  return kind === "heads"
    ? `${stack} deploys from ${pattern} and the promotion model guards every branch it matches`
    : `${stack} release tags ${pattern} must not move or disappear`;
}

/**
 * The active rulesets on the configured repository whose target and ref conditions cover every
 * ref the environment's pattern matches, as GitHub matches refs (src/model/fnmatch). A ruleset
 * meant for the pattern that does not is reported on its own URN with the first reason it fails;
 * with none meant for it, the stack is told to declare one.
 */
export function guardingRulesets(
  stack: StackName,
  kind: RefKind,
  pattern: string,
  rulesets: readonly Ruleset[],
  home: Home,
  defaultBranch: string | undefined,
  report: Report,
): Ruleset[] {
  const ref = `refs/${kind}/${pattern}`;
  const target = TARGET[kind];
  const why = purpose(stack, kind, pattern);
  const failures = new Map<Ruleset, string>();
  const guarding: Ruleset[] = [];
  for (const r of rulesets) {
    if (!conditionTouches(r, kind, pattern)) continue;
    const name = r.resource.name;
    if (!isHome(r.place, home)) {
      failures.set(
        r,
        `Declare ${name} on ${showHome(home)}, the repository the stack files name: it is declared on ${showPlace(r.place)}, where it guards nothing here (${why}).`,
      );
      continue;
    }
    if (r.enforcement !== "active") {
      failures.set(
        r,
        `Set enforcement to active on ${name}: only an active ruleset is enforced (evaluate only reports, disabled does nothing) and ${why} (found ${show(r.enforcement || undefined)}).`,
      );
      continue;
    }
    if (r.target !== target) {
      failures.set(
        r,
        `Set target to ${target} on ${name}: it includes ${ref}, but a ${show(r.target || undefined)} ruleset never applies to ${kind === "heads" ? "branches" : "tags"} and ${why}.`,
      );
      continue;
    }
    const uncovered = uncoveredBecause(r, kind, pattern, defaultBranch);
    if (uncovered !== undefined) {
      failures.set(
        r,
        `Include every ref ${ref} matches in ${name} and exclude none of them: ${why} (${uncovered}).`,
      );
      continue;
    }
    guarding.push(r);
  }
  if (guarding.length > 0) return guarding;
  if (failures.size === 0) {
    report(
      `Declare an active ${target} ruleset including ${ref} on ${showHome(home)}: ${why} (the ${environments().production} stack declares none).`,
    );
  }
  for (const [r, message] of failures) report(message, { urn: r.resource.urn });
  return [];
}

export function checkBranch(
  stack: StackName,
  branch: string,
  guarding: readonly Ruleset[],
  config: GithubConfig | undefined,
  report: Report,
): void {
  const merge = environments().get(stack).merge;
  const urn = guarding[0]!.resource.urn;
  const on = (message: string) => report(message, { urn });
  const any = (pick: (r: Ruleset) => boolean) => guarding.some(pick);
  if (!any((r) => r.pullRequest)) {
    on(
      `Require pull requests into ${branch}: ${stack} merges only through reviewed pull requests.`,
    );
  }
  // The stack file may ask more than the model's floor; the ruleset must give what it asks.
  const needed = Math.max(merge.minApprovals, config?.requiredApprovals ?? 0);
  const approvals = Math.max(...guarding.map((r) => r.approvals));
  if (approvals < needed) {
    on(
      `Set requiredApprovingReviewCount to at least ${needed} on ${branch}: ${stack} needs ${needed} approval(s), the model's floor or envstack:github.requiredApprovals if higher (found ${approvals}).`,
    );
  }
  const required: [boolean, (r: Ruleset) => boolean, string, string][] = [
    [
      merge.codeOwnerReview,
      (r) => r.codeOwnerReview,
      "requireCodeOwnerReview",
      "a code owner's approval",
    ],
    [
      merge.dismissStaleReviews,
      (r) => r.dismissStaleReviews,
      "dismissStaleReviewsOnPush",
      "stale approvals dismissed on push",
    ],
    [
      merge.lastPushApproval,
      (r) => r.lastPushApproval,
      "requireLastPushApproval",
      "the last push approved by someone else",
    ],
    [
      merge.resolveReviewThreads,
      (r) => r.resolveReviewThreads,
      "requiredReviewThreadResolution",
      "review threads resolved",
    ],
    [merge.linearHistory, (r) => r.linearHistory, "requiredLinearHistory", "a linear history"],
    [
      merge.strictChecks,
      (r) => r.strictChecks,
      "strictRequiredStatusChecksPolicy",
      "branches up to date before merging, so what merges is what was checked",
    ],
    [true, (r) => r.noForcePush, "nonFastForward", "no force pushes"],
    [true, (r) => r.noDeletion, "deletion", "the branch never deleted"],
  ];
  for (const [need, has, rule, what] of required) {
    if (need && !any(has)) on(`Set ${rule} to true on ${branch}: ${stack} requires ${what}.`);
  }
  const checks = guarding.flatMap((r) => r.checks);
  for (const check of new Set([...merge.requiredChecks, ...(config?.requiredChecks ?? [])])) {
    const named = checks.filter((c) => c.context === check);
    if (named.length === 0) {
      on(`Require the status check "${check}" on ${branch}: ${stack} merges only when it passes.`);
    } else if (!named.some((c) => c.integrationId === GITHUB_ACTIONS_APP_ID)) {
      // https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset (integration_id)
      on(
        `Bind the status check "${check}" on ${branch} to GitHub Actions (integrationId ${GITHUB_ACTIONS_APP_ID}): otherwise a commit status any token with statuses: write can post satisfies it (found ${named.map((c) => show(c.integrationId)).join(", ")}).`,
      );
    }
  }
  // do_not_enforce_on_create: "Allow repositories and branches to be created if a check would
  // otherwise prohibit it" (https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset).
  for (const r of guarding) {
    if (r.checks.length > 0 && !r.checksOnCreate)
      report(
        `Set doNotEnforceOnCreate to false on ${r.resource.name}: a new branch matching ${branch} would be created without its required checks passing.`,
        { urn: r.resource.urn },
      );
  }
  const deployments = new Set(guarding.flatMap((r) => r.deployments));
  for (const env of merge.requiredDeployments) {
    if (!deployments.has(env))
      on(
        `Require a successful ${env} deployment on ${branch}: ${stack} receives only what ran in ${env}.`,
      );
  }
}

export function checkTag(tag: string, guarding: readonly Ruleset[], report: Report): void {
  const urn = guarding[0]!.resource.urn;
  if (!guarding.some((r) => r.noForcePush))
    report(`Set nonFastForward to true for tags ${tag}: release tags never move.`, { urn });
  if (!guarding.some((r) => r.noDeletion))
    report(`Set deletion to true for tags ${tag}: release tags are never deleted.`, { urn });
  // The update rule refuses any push that moves a matched ref, fast-forward or not: a release tag
  // keeps the commit it was cut from (rules "update", https://docs.github.com/en/rest/repos/rules).
  if (!guarding.some((r) => r.noUpdate))
    report(`Set update to true for tags ${tag}: a release tag keeps the commit it names.`, { urn });
}

/** What a ruleset was found guarding: which stacks' branches, and whether any release tags. */
export interface Guarded {
  readonly stacks: Set<StackName>;
  readonly patterns: string[];
  tags: boolean;
}

/**
 * Bypass actors of a guarding ruleset. GitHub's modes: `always` skips every rule at any time,
 * `pull_request` only the rules of a pull request (merging it without them), `exempt` takes the
 * actor out of the rules entirely, with no bypass recorded; any actor type may hold any mode
 * (`pull_request` is not applicable to DeployKey).
 * https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset (bypass_actors)
 * https://github.com/integrations/terraform-provider-github/issues/2802 (exempt)
 *
 * The model lets only the configured `pullRequestBypassTeams` bypass, in mode `pull_request`, on
 * the branch rulesets (src/model/github-rules.ts branchRuleset; tagRuleset allows none). Team ids
 * are looked up by slug when the program runs, so the pack cannot tell which team an id is: it
 * allows at most as many distinct Team ids as the stack file names teams, and reports every other
 * actor.
 */
export function checkBypass(
  ruleset: Ruleset,
  guarded: Guarded,
  configs: Configs,
  report: Report,
): void {
  const stacks = [...guarded.stacks];
  const teams = guarded.tags
    ? []
    : stacks
        .map((s) => configs[s]?.pullRequestBypassTeams ?? [])
        .reduce((a, b) => (a.length <= b.length ? a : b));
  const allowed = new Set<unknown>();
  const name = ruleset.resource.name;
  const rule = `only the teams envstack:github.pullRequestBypassTeams names (${teams.length > 0 ? teams.join(", ") : "none here"}) may bypass the rules guarding ${guarded.patterns.join(", ")}, and only through a pull request (mode pull_request)`;
  for (const actor of ruleset.bypass) {
    const teamInPullRequests = actor.type === "Team" && actor.mode === "pull_request";
    if (teamInPullRequests && (allowed.has(actor.id) || allowed.size < teams.length)) {
      allowed.add(actor.id);
      continue;
    }
    const why =
      actor.mode === "always"
        ? "mode always skips every rule, at any time"
        : actor.mode === "exempt"
          ? "mode exempt takes it out of the rules entirely, with no bypass recorded"
          : actor.mode === "pull_request"
            ? actor.type === "Team"
              ? `${teams.length} team(s) are configured and ${allowed.size} already bypass`
              : `a ${show(actor.type || undefined)} actor is not a configured team`
            : `mode ${show(actor.mode || undefined)} is not pull_request`;
    report(
      `Remove the bypass actor ${show(actor.type || undefined)} ${show(actor.id)} (mode ${show(actor.mode || undefined)}) from ${name}: ${why}; ${rule}.`,
      { urn: ruleset.resource.urn },
    );
  }
}

/**
 * Only the guards stack declares GitHub resources: any other stack's deploy job runs code fewer
 * people approved, and must hold no GitHub token that could rewrite a guard.
 */
export function reportGithubResources(
  stack: StackName,
  resources: readonly PolicyResource[],
  report: Report,
): void {
  for (const resource of resources) {
    if (!resource.type.startsWith("github:") && resource.type !== "pulumi:providers:github")
      continue;
    report(
      `Remove ${resource.type} ${resource.name} from ${stack}: only the ${environments().production} stack declares GitHub guards, so no job that deploys ${stack} needs a GitHub token.`,
      { urn: resource.urn },
    );
  }
}

export interface Environment {
  readonly resource: PolicyResource;
  readonly place: Place;
  readonly name: string;
  readonly customBranchPolicies: boolean;
  readonly protectedBranches: boolean;
  readonly teams: readonly unknown[];
  readonly users: readonly unknown[];
  readonly preventSelfReview: boolean;
  readonly canAdminsBypass: boolean;
  readonly waitTimer: number;
}

export function readEnvironment(resource: PolicyResource): Environment {
  const p = resource.props;
  const policy = isRecord(p["deploymentBranchPolicy"]) ? p["deploymentBranchPolicy"] : undefined;
  const reviewers = list(p["reviewers"]).filter(isRecord);
  return {
    resource,
    place: placeOf(resource),
    name: text(p["environment"]),
    customBranchPolicies: flag(policy?.["customBranchPolicies"]),
    protectedBranches: flag(policy?.["protectedBranches"]),
    teams: reviewers.flatMap((r) => list(r["teams"])),
    users: reviewers.flatMap((r) => list(r["users"])),
    preventSelfReview: flag(p["preventSelfReview"]),
    // GitHub lets admins bypass unless told otherwise.
    canAdminsBypass: p["canAdminsBypass"] !== false,
    waitTimer: typeof p["waitTimer"] === "number" ? p["waitTimer"] : 0,
  };
}

export interface DeploymentPolicy {
  readonly resource: PolicyResource;
  readonly place: Place;
  readonly environment: unknown;
  readonly branch: unknown;
  readonly tag: unknown;
}

/**
 * The environments and deployment branch policies the stack declares, each read once; one whose
 * values are unknown during preview is noted once, and may be any stack's, so no stack is told
 * to declare what it might be.
 */
export interface DeploymentResources {
  readonly environments: readonly Environment[];
  readonly policies: readonly DeploymentPolicy[];
  readonly unknownEnvironment: boolean;
  readonly unknownPolicy: boolean;
}

export function readDeploymentResources(
  resources: readonly PolicyResource[],
  report: Report,
): DeploymentResources {
  const environments: Environment[] = [];
  const policies: DeploymentPolicy[] = [];
  let unknownEnvironment = false;
  let unknownPolicy = false;
  for (const resource of resources) {
    if (resource.type === ENVIRONMENT) {
      const e = whenKnown(() => readEnvironment(resource));
      if (isUnknown(e)) {
        report(`Cannot check environment ${resource.name} during preview: ${e.reason}.`, {
          level: "advisory",
          urn: resource.urn,
        });
        unknownEnvironment = true;
      } else environments.push(e);
    } else if (resource.type === DEPLOYMENT_POLICY) {
      const entry = whenKnown(() => ({
        resource,
        place: placeOf(resource),
        environment: resource.props["environment"] as unknown,
        branch: resource.props["branchPattern"] as unknown,
        tag: resource.props["tagPattern"] as unknown,
      }));
      if (isUnknown(entry)) {
        report(`Cannot check ${resource.name} during preview: ${entry.reason}.`, {
          level: "advisory",
          urn: resource.urn,
        });
        unknownPolicy = true;
      } else policies.push(entry);
    }
  }
  return { environments, policies, unknownEnvironment, unknownPolicy };
}

export function checkEnvironment(
  stack: StackName,
  declared: DeploymentResources,
  home: Home,
  config: GithubConfig | undefined,
  report: Report,
): void {
  const env = environments().get(stack);
  let found: Environment | undefined;
  for (const e of declared.environments) {
    if (e.name !== stack) continue;
    if (!isHome(e.place, home)) {
      report(
        `Declare the GitHub environment "${stack}" on ${showHome(home)}, the repository the stack files name: ${e.resource.name} is on ${showPlace(e.place)}, where no ${stack} deployment goes through it.`,
        { urn: e.resource.urn },
      );
      continue;
    }
    found = e;
  }
  if (!found) {
    if (!declared.unknownEnvironment) {
      report(
        `Declare the GitHub environment "${stack}": deployments to ${stack} go through it (the ${environments().production} stack declares none).`,
      );
    }
    return;
  }
  const urn = found.resource.urn;
  const on = (message: string) => report(message, { urn });
  if (!found.customBranchPolicies || found.protectedBranches) {
    on(
      `Set deploymentBranchPolicy to customBranchPolicies true and protectedBranches false: ${stack} deploys only from ${[...env.branches, ...env.tags].join(", ")}.`,
    );
  }
  const branches = new Set<string>();
  for (const entry of declared.policies) {
    const resource = entry.resource;
    if (entry.environment !== stack) continue;
    if (!isHome(entry.place, home)) {
      report(
        `Declare ${resource.name} on ${showHome(home)}, the repository the stack files name: it is on ${showPlace(entry.place)}, where it allows nothing for the ${stack} environment.`,
        { urn: resource.urn },
      );
      continue;
    }
    if (typeof entry.branch === "string") {
      branches.add(entry.branch);
      if (!env.branches.includes(entry.branch))
        report(
          `Remove the deployment branch pattern ${entry.branch}: ${stack} deploys only from ${env.branches.join(", ")}.`,
          { urn: resource.urn },
        );
    }
    if (typeof entry.tag === "string" && !env.tags.includes(entry.tag)) {
      report(
        `Remove the deployment tag pattern ${entry.tag}: ${stack} deploys from ${env.tags.length > 0 ? `tags ${env.tags.join(", ")}` : "no tags"}.`,
        { urn: resource.urn },
      );
    }
  }
  if (!declared.unknownPolicy) {
    for (const b of env.branches)
      if (!branches.has(b))
        on(
          `Allow deployments from branch ${b} to ${stack}: it is the branch ${stack} deploys from.`,
        );
  }
  const deploy = env.deploy;
  if (deploy.humanApproval) checkReviewers(stack, found, config, on);
  if (deploy.preventSelfReview && !found.preventSelfReview)
    on(
      `Set preventSelfReview to true on the ${stack} environment: nobody approves their own deployment.`,
    );
  if (!deploy.adminBypass && found.canAdminsBypass)
    on(
      `Set canAdminsBypass to false on the ${stack} environment: admins get no bypass of the approval.`,
    );
  const wait = config?.waitTimerMinutes ?? 0;
  if (found.waitTimer < wait)
    on(
      `Set waitTimer to ${wait} on the ${stack} environment: envstack:github.waitTimerMinutes holds every ${stack} deployment that long after approval (found ${found.waitTimer}).`,
    );
}

/**
 * The environment's required reviewers are exactly the configured ones: as many distinct teams
 * and users as envstack:github.deploymentReviewers names. GitHub takes reviewer ids, which the
 * program looks up from the configured slugs and logins, so the pack compares kinds and counts.
 */
export function checkReviewers(
  stack: StackName,
  found: Environment,
  config: GithubConfig | undefined,
  on: (message: string) => void,
): void {
  const teams = new Set(found.teams).size;
  const users = new Set(found.users).size;
  if (config === undefined) {
    if (teams + users === 0)
      on(
        `Add required reviewers to the ${stack} environment: every ${stack} deployment needs a human approval.`,
      );
    return;
  }
  const wanted = splitReviewers(config.deploymentReviewers);
  const repeated = found.teams.length + found.users.length - teams - users;
  if (teams !== wanted.teams.length || users !== wanted.users.length || repeated > 0) {
    // Never empty: a stack whose deployments need a human approval names at least one reviewer
    // (src/model/schema.ts), and only such stacks are checked here.
    const named = ` (${config.deploymentReviewers.join(", ")})`;
    on(
      teams + users === 0
        ? `Add required reviewers to the ${stack} environment: every ${stack} deployment needs a human approval from the ${wanted.teams.length} team(s) and ${wanted.users.length} user(s) envstack:github.deploymentReviewers names${named}.`
        : `Set the ${stack} environment's reviewers to the ${wanted.teams.length} team(s) and ${wanted.users.length} user(s) envstack:github.deploymentReviewers names${named}: every ${stack} deployment needs their approval and no one else's (found ${teams} team(s) and ${users} user(s)${repeated > 0 ? `, ${repeated} repeated` : ""}).`,
    );
  }
}
