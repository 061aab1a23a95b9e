/**
 * The environments of an application, in promotion order, as data: the operator declares each
 * environment's name, role and branches (envstack.yaml, src/model/environments-file.ts), and
 * everything else (merge and deploy rules, the sources allowed into each branch, variable
 * prefixes, labels) is derived here from the role and the place in the chain. dev → stage → prod
 * from develop, staging (and release/*) and main is the default.
 */

/**
 * What an environment is for. A `development` environment takes work as it lands, sized down
 * and unguarded by approvals; a `production-like` environment mirrors production (parity, pinned
 * images, Multi-AZ, mandatory policies) and validates what production receives; the one
 * `production` environment, last in the chain, deploys only what the environment before it ran,
 * after a human approval, and declares every environment's GitHub guards.
 */
export const ROLES = ["development", "production-like", "production"] as const;
export type Role = (typeof ROLES)[number];

/** An environment's name, which is also its stack's name. */
export type StackName = string;

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
  readonly role: Role;
  /** Branch patterns (GitHub fnmatch) this environment deploys from. */
  readonly branches: readonly string[];
  /** Tag patterns guarded with this environment (release tags for production). */
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

/** What the operator declares for one environment; the rest follows from the role and order. */
export interface DeclaredEnvironment {
  readonly name: StackName;
  readonly role: Role;
  readonly branches: readonly string[];
  /** Release tag patterns; only the production environment guards tags. Defaults to none. */
  readonly tags?: readonly string[];
}

/** Work branch patterns: `feature/<name>`, `bugfix/<issue-id>-<name>`, `hotfix/<name>`. */
export const WORK_BRANCHES = {
  feature: /^feature\/[a-z0-9][a-z0-9._-]*$/,
  bugfix: /^bugfix\/[0-9]+-[a-z0-9][a-z0-9._-]*$/,
  hotfix: /^hotfix\/[a-z0-9][a-z0-9._-]*$/,
} as const;

/** The branch patterns work branches are pushed as: they merge into the first environment. */
export const WORK_BRANCH_PATTERNS = ["feature/*", "bugfix/*", "hotfix/*"] as const;

/** The hotfix branches: they skip to the environment that validates production's releases. */
const HOTFIX_PATTERN = "hotfix/*";

const commonChecks = [CHECKS.gate, CHECKS.branchFlow];

/**
 * What merging into an environment's branch requires, by role and place. Work branches squash
 * into the first environment; every other merge is a merge commit, so promotions and
 * back-merges share history and stay mergeable release after release (MergeRules).
 */
function mergeRules(
  role: Role,
  first: boolean,
  previous: StackName | undefined,
  trunk: boolean,
): MergeRules {
  switch (role) {
    case "development":
      return {
        minApprovals: 0,
        codeOwnerReview: false,
        dismissStaleReviews: false,
        lastPushApproval: false,
        resolveReviewThreads: false,
        linearHistory: false,
        strictChecks: false,
        mergeMethods: first ? ["merge", "squash"] : ["merge"],
        requiredDeployments: [],
        requiredChecks: [...commonChecks],
      };
    case "production-like":
      return {
        minApprovals: 1,
        codeOwnerReview: false,
        dismissStaleReviews: true,
        lastPushApproval: false,
        resolveReviewThreads: false,
        linearHistory: false,
        // Not strict: what merges is deployed by the push, and production requires that very
        // commit's deployment here; strictness would need this branch to flow back upstream.
        strictChecks: false,
        mergeMethods: ["merge"],
        requiredDeployments: [],
        requiredChecks: [...commonChecks],
      };
    case "production":
      return {
        minApprovals: 2,
        codeOwnerReview: true,
        dismissStaleReviews: true,
        lastPushApproval: true,
        resolveReviewThreads: true,
        // A merge commit keeps the commit the environment before deployed as a parent of the
        // tip; squash or rebase would put a copy on the branch, whose SHA was never deployed.
        linearHistory: false,
        strictChecks: true,
        mergeMethods: ["merge"],
        // On a trunk the head of a pull request is never deployed before it merges: every
        // environment deploys from the trunk itself, and the deploy workflows run production
        // only after the environment before it deployed the same commit (src/model/workflows.ts).
        requiredDeployments: previous === undefined || trunk ? [] : [previous],
        requiredChecks: [...commonChecks],
      };
  }
}

function deployRules(role: Role): DeployRules {
  return role === "production"
    ? { humanApproval: true, preventSelfReview: true, adminBypass: false }
    : { humanApproval: false, preventSelfReview: false, adminBypass: true };
}

/**
 * Whether every environment deploys from the same branches (trunk-based): each push to the
 * trunk deploys the first environment, and each next one once the one before it deployed the
 * same commit. Any other sharing of a branch is refused (src/model/environments-file.ts).
 */
export function isTrunk(declared: readonly DeclaredEnvironment[]): boolean {
  const key = (e: DeclaredEnvironment) => [...e.branches].sort().join("\n");
  return declared.length > 1 && declared.every((e) => key(e) === key(declared[0]!));
}

/**
 * The branches that may merge into environment `index`'s branches: work branches into the
 * first; the branches of the environment before it (a promotion); hotfixes into the environment
 * right before production (which validates what production receives; production requires that
 * environment's deployment of the head, so a hotfix reaches production through it); and the
 * production branches back into every earlier environment, so a promotion that fell behind
 * production can be brought up to date.
 */
function allowedSources(declared: readonly DeclaredEnvironment[], index: number): string[] {
  // On a trunk every environment deploys from the same branches: work merges into them, and
  // nothing is promoted by merging (the next environment's stack file pins what it runs).
  if (isTrunk(declared)) return [...WORK_BRANCH_PATTERNS];
  const env = declared[index]!;
  const before = declared[index - 1];
  const after = declared[index + 1];
  const production = declared.find((e) => e.role === "production");
  const sources = [
    ...(before ? before.branches : WORK_BRANCH_PATTERNS),
    ...(before && after?.role === "production" ? [HOTFIX_PATTERN] : []),
    ...(env.role === "production" || !production ? [] : production.branches),
  ];
  return [...new Set(sources)];
}

/**
 * One chain of environments, in promotion order. Built from declarations that
 * `validateChain` (src/model/environments-file.ts) accepted: unique names and branches, one
 * production environment, last.
 */
export class Environments {
  /** Names in promotion order. */
  readonly names: readonly StackName[];
  /** Each environment by name. */
  readonly byName: Readonly<Record<StackName, EnvironmentDefinition>>;
  /**
   * The production environment: it declares every environment's GitHub guards. Its deploy job
   * runs only code that merged into its branch (two approvals, a code owner, a successful
   * deployment of the environment before it) and only after a human approved the deployment, so
   * the guards of the other environments change through that path too, and their jobs (code
   * nobody or one person reviewed) hold no GitHub admin token.
   */
  readonly production: StackName;
  /**
   * Every environment deploys from the same branches (trunk-based): each one after the first
   * deploys a commit once the environment before it deployed it, instead of on the push.
   */
  readonly trunk: boolean;

  constructor(declared: readonly DeclaredEnvironment[]) {
    const production = declared.find((e) => e.role === "production");
    if (!production) throw new Error("a chain of environments needs a production environment");
    this.names = declared.map((e) => e.name);
    this.production = production.name;
    this.trunk = isTrunk(declared);
    this.byName = Object.fromEntries(
      declared.map((e, order) => [
        e.name,
        {
          stack: e.name,
          order,
          role: e.role,
          branches: [...e.branches],
          tags: [...(e.tags ?? [])],
          merge: mergeRules(e.role, order === 0, declared[order - 1]?.name, this.trunk),
          deploy: deployRules(e.role),
          variablePrefix: `${e.name.toUpperCase().replace(/-/g, "_")}_`,
          label: `env/${e.name}`,
          allowedSources: allowedSources(declared, order),
        } satisfies EnvironmentDefinition,
      ]),
    );
  }

  has(name: unknown): name is StackName {
    return typeof name === "string" && Object.hasOwn(this.byName, name);
  }

  /** The environment named so; throws for a name outside the chain (validate with `has`). */
  get(name: StackName): EnvironmentDefinition {
    const env = this.has(name) ? this.byName[name] : undefined;
    if (!env)
      throw new Error(`unknown environment "${name}": expected one of ${this.names.join(", ")}`);
    return env;
  }

  role(name: StackName): Role {
    return this.get(name).role;
  }

  /** The environment a stack is promoted from, if any. */
  previous(name: StackName): StackName | undefined {
    return this.names[this.get(name).order - 1];
  }

  /** The environment a stack promotes to, if any. */
  next(name: StackName): StackName | undefined {
    return this.names[this.get(name).order + 1];
  }

  /** Production-like and production: parity, pinned images, Multi-AZ and mandatory policies. */
  isProductionLike(name: StackName): boolean {
    return this.role(name) !== "development";
  }

  /** Whether a stack declares the repository guards of every environment. */
  holdsGuards(name: StackName): boolean {
    return name === this.production;
  }
}

/**
 * The default chain, gitflow: dev from `develop`, stage from `staging` and `release/*`, prod from
 * `main` with `v*` release tags. test/branch-model.replay.test.ts replays releases, a hotfix and
 * the back-merges on it.
 */
export const DEFAULT_DECLARATION: readonly DeclaredEnvironment[] = [
  { name: "dev", role: "development", branches: ["develop"] },
  { name: "stage", role: "production-like", branches: ["staging", "release/*"] },
  { name: "prod", role: "production", branches: ["main"], tags: ["v*"] },
];

/**
 * The branch models a project names with `preset:` in envstack.yaml instead of listing its
 * environments (docs/RUNBOOK.md, "Branch models"); test/branch-model.replay.test.ts replays
 * releases, a hotfix and the back-merges under each.
 * - `gitflow`, the default: develop → staging (or a release/* branch) → main.
 * - `release-branches`: develop deploys dev; each release is cut as release/<version>, which
 *   deploys the test environment and is promoted into main.
 * - `trunk-based`: every environment deploys from main; a push deploys dev, then stage once dev
 *   deployed that commit, then prod (after its approval) once stage did. What each runs is the
 *   image digest its stack file pins, promoted by `envstack promote`.
 */
export const PRESETS = {
  gitflow: DEFAULT_DECLARATION,
  "release-branches": [
    { name: "dev", role: "development", branches: ["develop"] },
    { name: "test", role: "production-like", branches: ["release/*"] },
    { name: "prod", role: "production", branches: ["main"], tags: ["v*"] },
  ],
  "trunk-based": [
    { name: "dev", role: "development", branches: ["main"] },
    { name: "stage", role: "production-like", branches: ["main"] },
    { name: "prod", role: "production", branches: ["main"], tags: ["v*"] },
  ],
} as const satisfies Readonly<Record<string, readonly DeclaredEnvironment[]>>;
export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export const DEFAULT_ENVIRONMENTS = new Environments(DEFAULT_DECLARATION);

let active: Environments = DEFAULT_ENVIRONMENTS;

/**
 * The chain this process works with. Entry points (the program, the pack, the CLI) set it from
 * the project's envstack.yaml before anything reads it; until then it is the default chain.
 */
export function environments(): Environments {
  return active;
}

/** The value of a per-role table for a stack: its role's (a policy's level, a default). */
export function forRole<T>(values: Readonly<Record<Role, T>>, stack: StackName): T {
  return values[environments().role(stack)];
}

/** Makes `chain` the chain this process works with (see `environments`). */
export function useEnvironments(chain: Environments): void {
  active = chain;
}
