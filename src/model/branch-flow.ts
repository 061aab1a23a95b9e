import { environments, WORK_BRANCHES, type StackName } from "./environments";

type WorkBranchKind = keyof typeof WORK_BRANCHES;

/** How each work branch is named, as people write it; keyed like WORK_BRANCHES so they agree. */
export const WORK_BRANCH_FORMS: Readonly<Record<WorkBranchKind, string>> = {
  feature: "feature/<name>",
  bugfix: "bugfix/<issue-id>-<name>",
  hotfix: "hotfix/<name>",
};

/** The verdict on one pull request's base and head branches. */
export interface BranchFlowVerdict {
  readonly allowed: boolean;
  readonly base: string;
  readonly head: string;
  /** The environment whose branch `base` is; undefined when `base` is not an environment branch. */
  readonly environment: StackName | undefined;
  /** The sources allowed into `base`, as people write them (`bugfix/<issue-id>-<name>`). */
  readonly allowedSources: readonly string[];
  readonly message: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Whether a branch matches a GitHub fnmatch pattern: `*` stays within one path segment,
 * `**` crosses segments. The same semantics the rulesets and environment branch policies use.
 */
export function matchesBranchPattern(pattern: string, branch: string): boolean {
  const source = pattern
    .split("**")
    .map((part) => part.split("*").map(escapeRegExp).join("[^/]*"))
    .join(".*");
  return new RegExp(`^${source}$`).test(branch);
}

/** `refs/heads/main` and `main` name the same branch; the workflows may pass either. */
export function normalizeBranch(ref: string): string {
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
}

/** The environment that deploys from a branch, if any (`release/1.4` -> stage). */
export function environmentOfBranch(branch: string): StackName | undefined {
  return environments().names.find((stack) =>
    environments()
      .get(stack)
      .branches.some((pattern) => matchesBranchPattern(pattern, branch)),
  );
}

/** The work branch kind whose prefix a branch carries (`bugfix/...` -> bugfix), if any. */
function workKindOf(branch: string): WorkBranchKind | undefined {
  return (Object.keys(WORK_BRANCHES) as WorkBranchKind[]).find((kind) =>
    branch.startsWith(`${kind}/`),
  );
}

/**
 * Whether `head` is a source that `pattern` allows. A work branch must also be well named
 * (`bugfix/` needs `<issue-id>-<name>`), so a pattern like `bugfix/*` is narrowed by WORK_BRANCHES.
 */
export function sourceMatches(pattern: string, head: string): boolean {
  if (!matchesBranchPattern(pattern, head)) return false;
  const kind = workKindOf(head);
  return kind === undefined || WORK_BRANCHES[kind].test(head);
}

/** A source pattern as people read it: `bugfix/*` -> `bugfix/<issue-id>-<name>`. */
export function describeSource(pattern: string): string {
  const kind = workKindOf(pattern);
  return kind !== undefined && pattern === `${kind}/*` ? WORK_BRANCH_FORMS[kind] : pattern;
}

function environmentBranches(): string[] {
  return environments().names.flatMap((stack) => environments().get(stack).branches);
}

/**
 * Judges a pull request from `head` into `base` against the promotion model: a pull request into
 * an environment's branch must come from one of that environment's `allowedSources` (the same
 * rule for every branch the environment deploys from, so `release/*` takes what `staging` takes).
 * A base that no environment deploys from is not guarded: any source may merge into it.
 */
export function checkBranchFlow(baseRef: string, headRef: string): BranchFlowVerdict {
  const base = normalizeBranch(baseRef);
  const head = normalizeBranch(headRef);
  const environment = environmentOfBranch(base);
  if (environment === undefined) {
    return {
      allowed: true,
      base,
      head,
      environment,
      allowedSources: [],
      message: `${base} is not an environment branch (${environmentBranches().join(", ")}); any branch may merge into it.`,
    };
  }
  const patterns = environments().get(environment).allowedSources;
  const allowedSources = patterns.map(describeSource);
  const into = `${base} (${environment})`;
  if (patterns.some((pattern) => sourceMatches(pattern, head))) {
    return {
      allowed: true,
      base,
      head,
      environment,
      allowedSources,
      message: `${head} may merge into ${into}: allowed sources are ${allowedSources.join(", ")}.`,
    };
  }
  const kind = workKindOf(head);
  const misnamed =
    kind !== undefined &&
    !WORK_BRANCHES[kind].test(head) &&
    patterns.some((pattern) => matchesBranchPattern(pattern, head))
      ? ` (a ${kind} branch is named ${WORK_BRANCH_FORMS[kind]}: lower-case letters, digits, ".", "_" and "-")`
      : "";
  return {
    allowed: false,
    base,
    head,
    environment,
    allowedSources,
    message: `Pull requests into ${into} come only from ${allowedSources.join(", ")}; ${head} is not one of them${misnamed}.`,
  };
}
