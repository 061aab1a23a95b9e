/** The environments envstack knows, in promotion order. A stack is named after its environment. */
export const STACKS = ["dev", "stage", "prod"] as const;

export type StackName = (typeof STACKS)[number];

export function isStackName(value: unknown): value is StackName {
  return typeof value === "string" && (STACKS as readonly string[]).includes(value);
}

/**
 * Required status check names; the workflows' job names and the rulesets share these. The gate
 * judges every stack offline with no credential: pull-request code never runs with access to a
 * cloud account or a stack's state (docs/SECURITY.md).
 */
export const CHECKS = {
  gate: "gate",
  branchFlow: "branch-flow",
} as const;

/**
 * How GitHub merges a pull request (the ruleset pull_request rule's `allowed_merge_methods`):
 * `merge` creates a merge commit (`--no-ff`), `squash` one new commit, `rebase` new copies of the
 * head's commits. None is a fast-forward: every merge leaves the base with a commit the head lacks.
 * https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/configuring-pull-request-merges/about-merge-methods-on-github
 */
export const MERGE_METHODS = ["merge", "squash", "rebase"] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];

/**
 * What merging into an environment's branch requires (the promotion model).
 *
 * Liveness: with strict checks a pull request merges only when the base's tip is already in the
 * head, and since no merge method fast-forwards, the next pull request from the same long-lived
 * head is out of date until the base is merged back into it. So strictness sits only on `main`,
 * whose promotions must merge exactly the tree stage ran, and `main` may flow back into every
 * branch that promotes to it (which are not strict). Promotions into `main` use merge commits so
 * that the very commit stage deployed is in `main`'s history (a squash or rebase would leave a
 * copy); test/branch-model.replay.test.ts replays releases, a hotfix and the back-merges.
 */
export interface MergeRules {
  /** Minimum number of approving reviews; 0 means a pull request without required review. */
  readonly minApprovals: number;
  readonly codeOwnerReview: boolean;
  readonly dismissStaleReviews: boolean;
  readonly lastPushApproval: boolean;
  readonly resolveReviewThreads: boolean;
  /** Only squash or rebase merges (GitHub's "Require linear history"); excludes `merge`. */
  readonly linearHistory: boolean;
  /**
   * "Require branches to be up to date before merging": the base's tip must be in the head.
   * https://docs.github.com/en/pull-requests/collaborating-with-pull-requests/collaborating-on-repositories-with-code-quality-features/troubleshooting-required-status-checks
   */
  readonly strictChecks: boolean;
  /** The merge methods a pull request into the branch may use (at least one). */
  readonly mergeMethods: readonly MergeMethod[];
  /** Deployments that must have succeeded before a merge (GitHub environment names). */
  readonly requiredDeployments: readonly StackName[];
  /** Status checks every pull request into the branch must pass. */
  readonly requiredChecks: readonly string[];
}

/** What deploying to an environment requires beyond its branch. */
export interface DeployRules {
  readonly humanApproval: boolean;
  readonly preventSelfReview: boolean;
  readonly adminBypass: boolean;
}

export interface EnvironmentDefinition {
  readonly stack: StackName;
  /** Position in the promotion order, 0 first. */
  readonly order: number;
  /** Branch patterns (GitHub fnmatch) this environment deploys from. */
  readonly branches: readonly string[];
  /** Tag patterns guarded with this environment (release tags for prod). */
  readonly tags: readonly string[];
  readonly merge: MergeRules;
  readonly deploy: DeployRules;
  /** Prefix of GitHub environment secrets and variables, e.g. `STAGE_`. */
  readonly variablePrefix: string;
  /** GitHub label marking pull requests for this environment. */
  readonly label: string;
  /**
   * Branches whose pull requests may merge into this environment's branches: promotions from the
   * environment before it, work branches, and back-merges from the environments after it.
   */
  readonly allowedSources: readonly string[];
}

const commonChecks = [CHECKS.gate, CHECKS.branchFlow];

export const ENVIRONMENTS: Readonly<Record<StackName, EnvironmentDefinition>> = {
  dev: {
    stack: "dev",
    order: 0,
    branches: ["develop"],
    tags: [],
    merge: {
      minApprovals: 0,
      codeOwnerReview: false,
      dismissStaleReviews: false,
      lastPushApproval: false,
      resolveReviewThreads: false,
      linearHistory: false,
      strictChecks: false,
      // Work branches squash; back-merges from main must be merge commits (see MergeRules).
      mergeMethods: ["merge", "squash"],
      requiredDeployments: [],
      requiredChecks: [...commonChecks],
    },
    deploy: { humanApproval: false, preventSelfReview: false, adminBypass: true },
    variablePrefix: "DEV_",
    label: "env/dev",
    allowedSources: ["feature/*", "bugfix/*", "hotfix/*", "main"],
  },
  stage: {
    stack: "stage",
    order: 1,
    branches: ["staging", "release/*"],
    tags: [],
    merge: {
      minApprovals: 1,
      codeOwnerReview: false,
      dismissStaleReviews: true,
      lastPushApproval: false,
      resolveReviewThreads: false,
      linearHistory: false,
      // Not strict: what merges is deployed to stage by the push, and prod requires that very
      // commit's stage deployment; strictness here would need stage to flow back into develop.
      strictChecks: false,
      mergeMethods: ["merge"],
      requiredDeployments: [],
      requiredChecks: [...commonChecks],
    },
    deploy: { humanApproval: false, preventSelfReview: false, adminBypass: true },
    variablePrefix: "STAGE_",
    label: "env/stage",
    // main: the back-merge that brings a promotion out of date with main up to date again.
    allowedSources: ["develop", "hotfix/*", "main"],
  },
  prod: {
    stack: "prod",
    order: 2,
    branches: ["main"],
    tags: ["v*"],
    merge: {
      minApprovals: 2,
      codeOwnerReview: true,
      dismissStaleReviews: true,
      lastPushApproval: true,
      resolveReviewThreads: true,
      // A merge commit keeps the commit stage deployed as a parent of main's tip; squash or rebase
      // would put a copy on main, whose SHA stage never deployed.
      linearHistory: false,
      strictChecks: true,
      mergeMethods: ["merge"],
      requiredDeployments: ["stage"],
      requiredChecks: [...commonChecks],
    },
    deploy: { humanApproval: true, preventSelfReview: true, adminBypass: false },
    variablePrefix: "PROD_",
    label: "env/prod",
    // Not hotfix/*: main requires a successful stage deployment of the head, and stage deploys
    // only from its own branches; a hotfix reaches main through release/<version>.
    allowedSources: ["staging", "release/*"],
  },
};

/** Work branch patterns: `feature/<name>`, `bugfix/<issue-id>-<name>`, `hotfix/<name>`. */
export const WORK_BRANCHES = {
  feature: /^feature\/[a-z0-9][a-z0-9._-]*$/,
  bugfix: /^bugfix\/[0-9]+-[a-z0-9][a-z0-9._-]*$/,
  hotfix: /^hotfix\/[a-z0-9][a-z0-9._-]*$/,
} as const;

/** The environment a stack is promoted from, if any (stage from dev, prod from stage). */
export function previousStack(stack: StackName): StackName | undefined {
  const order = ENVIRONMENTS[stack].order;
  return STACKS.find((s) => ENVIRONMENTS[s].order === order - 1);
}

/** The environment a stack promotes to, if any. */
export function nextStack(stack: StackName): StackName | undefined {
  const order = ENVIRONMENTS[stack].order;
  return STACKS.find((s) => ENVIRONMENTS[s].order === order + 1);
}

/** Stage and prod are production-like: parity, pinned images, Multi-AZ and mandatory policies. */
export function isProductionLike(stack: StackName): boolean {
  return stack !== "dev";
}
