import type { PolicyResource } from "@pulumi/policy";
import { ENVIRONMENTS, GUARDS_STACK, holdsGuards, STACKS, type StackName } from "../src/model";
import {
  isRecord,
  isUnknown,
  scorecard,
  show,
  whenKnown,
  type Report,
  type StackPolicyDefinition,
} from "./support";

export const RULESET = "github:index/repositoryRuleset:RepositoryRuleset";
export const ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment";
export const DEPLOYMENT_POLICY =
  "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy";

/** The rules of one ruleset, read once (reads may throw for unknown values). */
interface Ruleset {
  readonly resource: PolicyResource;
  readonly target: string;
  readonly active: boolean;
  readonly includes: readonly string[];
  readonly excludes: readonly string[];
  readonly alwaysBypass: readonly string[];
  readonly pullRequest: boolean;
  readonly approvals: number;
  readonly codeOwnerReview: boolean;
  readonly dismissStaleReviews: boolean;
  readonly lastPushApproval: boolean;
  readonly resolveReviewThreads: boolean;
  readonly linearHistory: boolean;
  readonly checks: readonly string[];
  readonly deployments: readonly string[];
  readonly noForcePush: boolean;
  readonly noDeletion: boolean;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? [...v] : []);
const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === "string");
const flag = (v: unknown): boolean => v === true;

function readRuleset(resource: PolicyResource): Ruleset {
  const p = resource.props;
  const rules: unknown = p["rules"];
  const r = isRecord(rules) ? rules : {};
  const pr = isRecord(r["pullRequest"]) ? r["pullRequest"] : undefined;
  const refName = isRecord(p["conditions"]) ? p["conditions"]["refName"] : undefined;
  const statusChecks = isRecord(r["requiredStatusChecks"]) ? r["requiredStatusChecks"] : {};
  const deployments = isRecord(r["requiredDeployments"]) ? r["requiredDeployments"] : {};
  return {
    resource,
    target: typeof p["target"] === "string" ? p["target"] : "",
    active: p["enforcement"] === "active",
    includes: strings(isRecord(refName) ? refName["includes"] : undefined),
    excludes: strings(isRecord(refName) ? refName["excludes"] : undefined),
    alwaysBypass: list(p["bypassActors"])
      .filter((a) => isRecord(a) && a["bypassMode"] === "always")
      .map((a) => (isRecord(a) ? `${show(a["actorType"])} ${show(a["actorId"])}` : "")),
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
    checks: list(statusChecks["requiredChecks"])
      .map((c) => (isRecord(c) ? c["context"] : undefined))
      .filter((c): c is string => typeof c === "string"),
    deployments: strings(deployments["requiredDeploymentEnvironments"]),
    noForcePush: flag(r["nonFastForward"]),
    noDeletion: flag(r["deletion"]),
  };
}

/** Whether a ruleset's ref conditions cover a branch or tag pattern of the environment. */
export function guards(ruleset: Ruleset, kind: "heads" | "tags", pattern: string): boolean {
  const ref = `refs/${kind}/${pattern}`;
  const hit = (list: readonly string[]) =>
    list.some(
      (i) =>
        i === ref ||
        i === "~ALL" ||
        (kind === "heads" && pattern === "main" && i === "~DEFAULT_BRANCH"),
    );
  return hit(ruleset.includes) && !hit(ruleset.excludes);
}

function readRulesets(resources: readonly PolicyResource[], report: Report): Ruleset[] {
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

function checkBranch(stack: StackName, branch: string, rulesets: Ruleset[], report: Report): void {
  const merge = ENVIRONMENTS[stack].merge;
  const guarding = rulesets.filter(
    (r) => r.active && r.target === "branch" && guards(r, "heads", branch),
  );
  if (guarding.length === 0) {
    report(
      `Declare an active branch ruleset including refs/heads/${branch}: ${stack} deploys from ${branch} and the promotion model guards it (the ${GUARDS_STACK} stack declares none).`,
    );
    return;
  }
  const urn = guarding[0]!.resource.urn;
  const on = (message: string) => report(message, { urn });
  const any = (pick: (r: Ruleset) => boolean) => guarding.some(pick);
  if (!any((r) => r.pullRequest)) {
    on(
      `Require pull requests into ${branch}: ${stack} merges only through reviewed pull requests.`,
    );
  }
  const approvals = Math.max(...guarding.map((r) => r.approvals));
  if (approvals < merge.minApprovals) {
    on(
      `Set requiredApprovingReviewCount to at least ${merge.minApprovals} on ${branch}: ${stack} needs ${merge.minApprovals} approval(s) (found ${approvals}).`,
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
    [true, (r) => r.noForcePush, "nonFastForward", "no force pushes"],
    [true, (r) => r.noDeletion, "deletion", "the branch never deleted"],
  ];
  for (const [needed, has, rule, what] of required) {
    if (needed && !any(has)) on(`Set ${rule} to true on ${branch}: ${stack} requires ${what}.`);
  }
  const checks = new Set(guarding.flatMap((r) => r.checks));
  for (const check of merge.requiredChecks) {
    if (!checks.has(check))
      on(`Require the status check "${check}" on ${branch}: ${stack} merges only when it passes.`);
  }
  const deployments = new Set(guarding.flatMap((r) => r.deployments));
  for (const env of merge.requiredDeployments) {
    if (!deployments.has(env))
      on(
        `Require a successful ${env} deployment on ${branch}: ${stack} receives only what ran in ${env}.`,
      );
  }
  for (const r of guarding) {
    for (const actor of r.alwaysBypass) {
      report(
        `Remove the always-bypass actor ${actor} from ${r.resource.name}: nobody skips the rules guarding ${branch} (use bypass mode pull_request for the pull-request rule only).`,
        { urn: r.resource.urn },
      );
    }
  }
}

function checkTag(stack: StackName, tag: string, rulesets: Ruleset[], report: Report): void {
  const guarding = rulesets.filter((r) => r.active && r.target === "tag" && guards(r, "tags", tag));
  if (guarding.length === 0) {
    report(
      `Declare an active tag ruleset including refs/tags/${tag}: ${stack} release tags must not move or disappear (the ${GUARDS_STACK} stack declares none).`,
    );
    return;
  }
  const urn = guarding[0]!.resource.urn;
  if (!guarding.some((r) => r.noForcePush))
    report(`Set nonFastForward to true for tags ${tag}: release tags never move.`, { urn });
  if (!guarding.some((r) => r.noDeletion))
    report(`Set deletion to true for tags ${tag}: release tags are never deleted.`, { urn });
}

/**
 * Only the guards stack declares GitHub resources: any other stack's deploy job runs code fewer
 * people approved, and must hold no GitHub token that could rewrite a guard.
 */
function reportGithubResources(
  stack: StackName,
  resources: readonly PolicyResource[],
  report: Report,
): void {
  for (const resource of resources) {
    if (!resource.type.startsWith("github:") && resource.type !== "pulumi:providers:github")
      continue;
    report(
      `Remove ${resource.type} ${resource.name} from ${stack}: only the ${GUARDS_STACK} stack declares GitHub guards, so no job that deploys ${stack} needs a GitHub token.`,
      { urn: resource.urn },
    );
  }
}

export const branchRules: StackPolicyDefinition = {
  name: "branch-rules-match-promotion-model",
  description:
    "Checks whether the active rulesets guarding the branches (and release tags) every environment deploys from require everything the promotion model requires (pull requests, approvals, code owners, stale-review dismissal, last-push approval, status checks, the prior deployment, no force push or deletion, no always-bypass actors), and whether only the prod stack declares GitHub resources.",
  severity: "critical",
  framework: scorecard(
    "Branch-Protection",
    "Branch protection tier 4-5: reviews, code owners, stale dismissal, status checks, no force push or deletion, no admin bypass",
  ),
  remediationSteps:
    "Declare the stack's rulesets through the GitHub branch-rules component from src/model ENVIRONMENTS (do not hand-edit rules); set envstack:github.requiredChecks and requiredApprovals to at least the model's values. These rules cannot be suppressed.",
  levels: { dev: "mandatory", stage: "mandatory", prod: "mandatory" },
  suppressible: false,
  validateStack: (args, report, { stack }) => {
    if (!holdsGuards(stack)) {
      reportGithubResources(stack, args.resources, report);
      return;
    }
    const rulesets = readRulesets(args.resources, report);
    for (const guarded of STACKS) {
      const env = ENVIRONMENTS[guarded];
      for (const branch of env.branches) checkBranch(guarded, branch, rulesets, report);
      for (const tag of env.tags) checkTag(guarded, tag, rulesets, report);
    }
  },
};

interface Environment {
  readonly resource: PolicyResource;
  readonly name: string;
  readonly customBranchPolicies: boolean;
  readonly protectedBranches: boolean;
  readonly reviewers: number;
  readonly preventSelfReview: boolean;
  readonly canAdminsBypass: boolean;
}

function readEnvironment(resource: PolicyResource): Environment {
  const p = resource.props;
  const policy = isRecord(p["deploymentBranchPolicy"]) ? p["deploymentBranchPolicy"] : undefined;
  const reviewers = list(p["reviewers"]).reduce<number>(
    (n, r) => n + (isRecord(r) ? list(r["teams"]).length + list(r["users"]).length : 0),
    0,
  );
  return {
    resource,
    name: typeof p["environment"] === "string" ? p["environment"] : "",
    customBranchPolicies: flag(policy?.["customBranchPolicies"]),
    protectedBranches: flag(policy?.["protectedBranches"]),
    reviewers,
    preventSelfReview: flag(p["preventSelfReview"]),
    // GitHub lets admins bypass unless told otherwise.
    canAdminsBypass: p["canAdminsBypass"] !== false,
  };
}

export const deploymentEnvironment: StackPolicyDefinition = {
  name: "deployment-environment-rules",
  description:
    "Checks whether every environment's GitHub deployment environment (declared by the prod stack) deploys only from the environment's branches (and release tags) and, where the promotion model requires a human approval, has reviewers, prevents self-review and gives admins no bypass.",
  severity: "critical",
  framework: scorecard(
    "Branch-Protection",
    "Deployment protection: required reviewers, no self-review, no admin bypass",
  ),
  remediationSteps:
    "Declare the environment through the GitHub deployment-environment component from src/model ENVIRONMENTS; set envstack:github.deploymentReviewers (two distinct reviewers for prod). These rules cannot be suppressed.",
  levels: { dev: "mandatory", stage: "mandatory", prod: "mandatory" },
  suppressible: false,
  validateStack: (args, report, { stack }) => {
    if (!holdsGuards(stack)) return;
    for (const guarded of STACKS) checkEnvironment(guarded, args.resources, report);
  },
};

function checkEnvironment(
  stack: StackName,
  resources: readonly PolicyResource[],
  report: Report,
): void {
  const env = ENVIRONMENTS[stack];
  let found: Environment | undefined;
  for (const resource of resources) {
    if (resource.type !== ENVIRONMENT) continue;
    const e = whenKnown(() => readEnvironment(resource));
    if (isUnknown(e)) {
      report(`Cannot check environment ${resource.name} during preview: ${e.reason}.`, {
        level: "advisory",
        urn: resource.urn,
      });
      return;
    }
    if (e.name === stack) found = e;
  }
  if (!found) {
    report(
      `Declare the GitHub environment "${stack}": deployments to ${stack} go through it (the ${GUARDS_STACK} stack declares none).`,
    );
    return;
  }
  const urn = found.resource.urn;
  const on = (message: string) => report(message, { urn });
  if (!found.customBranchPolicies || found.protectedBranches) {
    on(
      `Set deploymentBranchPolicy to customBranchPolicies true and protectedBranches false: ${stack} deploys only from ${[...env.branches, ...env.tags].join(", ")}.`,
    );
  }
  const patterns = { branch: new Set<string>(), tag: new Set<string>() };
  for (const resource of resources) {
    if (resource.type !== DEPLOYMENT_POLICY) continue;
    const entry = whenKnown(() => ({
      environment: resource.props["environment"] as unknown,
      branch: resource.props["branchPattern"] as unknown,
      tag: resource.props["tagPattern"] as unknown,
    }));
    if (isUnknown(entry)) {
      report(`Cannot check ${resource.name} during preview: ${entry.reason}.`, {
        level: "advisory",
        urn: resource.urn,
      });
      continue;
    }
    if (entry.environment !== stack) continue;
    if (typeof entry.branch === "string") {
      patterns.branch.add(entry.branch);
      if (!env.branches.includes(entry.branch))
        report(
          `Remove the deployment branch pattern ${entry.branch}: ${stack} deploys only from ${env.branches.join(", ")}.`,
          { urn: resource.urn },
        );
    }
    if (typeof entry.tag === "string") {
      patterns.tag.add(entry.tag);
      if (!env.tags.includes(entry.tag))
        report(
          `Remove the deployment tag pattern ${entry.tag}: ${stack} deploys from ${env.tags.length > 0 ? `tags ${env.tags.join(", ")}` : "no tags"}.`,
          { urn: resource.urn },
        );
    }
  }
  for (const b of env.branches)
    if (!patterns.branch.has(b))
      on(`Allow deployments from branch ${b} to ${stack}: it is the branch ${stack} deploys from.`);
  const deploy = env.deploy;
  if (deploy.humanApproval && found.reviewers === 0)
    on(
      `Add required reviewers to the ${stack} environment: every ${stack} deployment needs a human approval.`,
    );
  if (deploy.preventSelfReview && !found.preventSelfReview)
    on(
      `Set preventSelfReview to true on the ${stack} environment: nobody approves their own deployment.`,
    );
  if (!deploy.adminBypass && found.canAdminsBypass)
    on(
      `Set canAdminsBypass to false on the ${stack} environment: admins get no bypass of the approval.`,
    );
}

export const approvalPolicies: readonly StackPolicyDefinition[] = [
  branchRules,
  deploymentEnvironment,
];
