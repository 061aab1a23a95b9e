import { environments, type MergeMethod, type Role, type StackName } from "./environments";

/**
 * The GitHub side of the promotion model as plain data: what each stack's rulesets, deployment
 * environment, variables and label look like. Derived from ENVIRONMENTS so that the components,
 * the policy pack and the docs read one source of truth.
 */

/** Colour of each environment's label by its role (hex, no leading #): green, amber, red. */
export const LABEL_COLOURS: Readonly<Record<Role, string>> = {
  development: "0e8a16",
  "production-like": "fbca04",
  production: "b60205",
};

/** The variables every deployment environment publishes, before the environment prefix. */
export const ENVIRONMENT_VARIABLES = ["AWS_REGION", "AWS_ROLE_ARN", "STACK"] as const;
export type EnvironmentVariable = (typeof ENVIRONMENT_VARIABLES)[number];

/** The audience GitHub's OIDC tokens carry for AWS (`aud`). */
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";
/** The issuer of GitHub Actions OIDC tokens. */
export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";

/** The `sub` claim of a job running in a repository's deployment environment. */
export function githubOidcSubject(owner: string, repository: string, environment: string): string {
  return `repo:${owner}/${repository}:environment:${environment}`;
}

/**
 * What a pull request into a guarded branch needs, in ruleset terms ("Require a pull request
 * before merging": every change reaches the branch through a pull request, including bringing
 * the branch up to date with another one).
 * https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets
 */
export interface PullRequestRule {
  /** `allowed_merge_methods`; the repository's own merge settings must allow them too. */
  readonly allowedMergeMethods: readonly MergeMethod[];
  readonly requiredApprovingReviewCount: number;
  readonly requireCodeOwnerReview: boolean;
  readonly dismissStaleReviewsOnPush: boolean;
  readonly requireLastPushApproval: boolean;
  readonly requiredReviewThreadResolution: boolean;
}

/** One repository ruleset, without the ids GitHub has to look up (bypass teams). */
export interface RulesetSpec {
  /** The ruleset's name in the repository; unique across the stacks sharing the repository. */
  readonly name: string;
  readonly target: "branch" | "tag";
  /** Full ref patterns (`refs/heads/main`, `refs/tags/v*`). */
  readonly includes: readonly string[];
  readonly deletion: boolean;
  readonly nonFastForward: boolean;
  readonly update: boolean;
  readonly requiredLinearHistory: boolean;
  readonly pullRequest?: PullRequestRule;
  readonly requiredStatusChecks?: {
    readonly strict: boolean;
    readonly contexts: readonly string[];
  };
  readonly requiredDeployments: readonly string[];
  /** Team slugs that may bypass the pull-request rule only (bypass mode `pull_request`). */
  readonly pullRequestBypassTeams: readonly string[];
}

/** The GitHub settings a stack's rules depend on (a subset of `envstack:github`). */
export interface GithubRuleSettings {
  readonly requiredApprovals: number;
  readonly requiredChecks: readonly string[];
  readonly pullRequestBypassTeams: readonly string[];
}

/**
 * The branch ruleset guarding a stack's branches. Every guarded branch requires a pull request
 * (with zero approvals on dev: "pull request, CI green"), forbids deletion and force pushes, and
 * requires the configured checks. Merge methods, linear history and strictness come from the
 * stack's MergeRules, which keep every promotion and back-merge mergeable release after release.
 */
export function branchRuleset(stack: StackName, settings: GithubRuleSettings): RulesetSpec {
  const env = environments().get(stack);
  const merge = env.merge;
  return {
    name: `envstack-${stack}-branches`,
    target: "branch",
    includes: env.branches.map((b) => `refs/heads/${b}`),
    deletion: true,
    nonFastForward: true,
    update: false,
    requiredLinearHistory: merge.linearHistory,
    pullRequest: {
      allowedMergeMethods: [...merge.mergeMethods],
      requiredApprovingReviewCount: settings.requiredApprovals,
      requireCodeOwnerReview: merge.codeOwnerReview,
      dismissStaleReviewsOnPush: merge.dismissStaleReviews,
      requireLastPushApproval: merge.lastPushApproval,
      requiredReviewThreadResolution: merge.resolveReviewThreads,
    },
    requiredStatusChecks: {
      strict: merge.strictChecks,
      contexts: [...settings.requiredChecks],
    },
    requiredDeployments: [...merge.requiredDeployments],
    pullRequestBypassTeams: [...settings.pullRequestBypassTeams],
  };
}

/** The tag ruleset guarding a stack's release tags, or undefined when it guards none. */
export function tagRuleset(stack: StackName): RulesetSpec | undefined {
  const env = environments().get(stack);
  if (env.tags.length === 0) return undefined;
  return {
    name: `envstack-${stack}-tags`,
    target: "tag",
    includes: env.tags.map((t) => `refs/tags/${t}`),
    deletion: true,
    nonFastForward: true,
    update: true,
    requiredLinearHistory: false,
    requiredDeployments: [],
    pullRequestBypassTeams: [],
  };
}

/** Deployment reviewers split into team slugs and user logins (`@login` entries). */
export function splitReviewers(reviewers: readonly string[]): {
  readonly teams: string[];
  readonly users: string[];
} {
  const teams: string[] = [];
  const users: string[] = [];
  for (const r of reviewers) {
    if (r.startsWith("@")) users.push(r.slice(1));
    else teams.push(r);
  }
  return { teams, users };
}

/** Values that occur more than once, compared case-insensitively (GitHub names are). */
export function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const v of values) {
    const key = v.toLowerCase();
    if (seen.has(key)) dup.add(v);
    seen.add(key);
  }
  return [...dup];
}
