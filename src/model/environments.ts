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

/** What merging into an environment's branch requires (the promotion model). */
export interface MergeRules {
  /** Minimum number of approving reviews; 0 means a pull request without required review. */
  readonly minApprovals: number;
  readonly codeOwnerReview: boolean;
  readonly dismissStaleReviews: boolean;
  readonly lastPushApproval: boolean;
  readonly resolveReviewThreads: boolean;
  readonly linearHistory: boolean;
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
  /** Branches whose pull requests may merge into this environment's branches. */
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
      requiredDeployments: [],
      requiredChecks: [...commonChecks],
    },
    deploy: { humanApproval: false, preventSelfReview: false, adminBypass: true },
    variablePrefix: "STAGE_",
    label: "env/stage",
    allowedSources: ["develop", "hotfix/*"],
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
      linearHistory: true,
      requiredDeployments: ["stage"],
      requiredChecks: [...commonChecks],
    },
    deploy: { humanApproval: true, preventSelfReview: true, adminBypass: false },
    variablePrefix: "PROD_",
    label: "env/prod",
    allowedSources: ["staging", "release/*", "hotfix/*"],
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
