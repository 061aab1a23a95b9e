import { environments, type StackName } from "../../src/model";
import type { RefKind } from "../../src/model/fnmatch";
import { stackFileSettings } from "../baselines";
import { scorecard, type StackPolicyDefinition } from "../support";
import {
  RULESETS_DOC,
  Ruleset,
  readRulesets,
  defaultBranchOf,
  readConfigs,
  guardingRulesets,
  checkBranch,
  checkTag,
  Guarded,
  checkBypass,
  reportGithubResources,
} from "./shared";

export const branchRules: StackPolicyDefinition = {
  name: "branch-rules-match-promotion-model",
  description:
    "Checks whether the active rulesets on the repository the stack files name, whose ref conditions cover (as GitHub matches refs: fnmatch with FNM_PATHNAME, ~ALL, ~DEFAULT_BRANCH, excludes) every branch and release tag every environment deploys from, require everything the promotion model and the stack files require (pull requests, approvals at least envstack:github.requiredApprovals, code owners, stale-review dismissal, last-push approval, strict status checks bound to GitHub Actions and enforced on creation, the prior deployment, no force push or deletion), let only the configured teams bypass and only through pull requests, and whether only the prod stack declares GitHub resources.",
  severity: "critical",
  framework: scorecard(
    "Branch-Protection",
    "Branch protection tier 4-5: reviews, code owners, stale dismissal, status checks, no force push or deletion, no admin bypass",
  ),
  documentation: RULESETS_DOC,
  remediationSteps:
    "Declare the stack's rulesets through the GitHub branch-rules component from src/model ENVIRONMENTS (do not hand-edit rules) on envstack:github.owner/repository; set envstack:github.requiredChecks and requiredApprovals to at least the model's values and name bypass teams only in pullRequestBypassTeams. These rules cannot be suppressed.",
  levels: { development: "mandatory", "production-like": "mandatory", production: "mandatory" },
  suppressible: false,
  settings: stackFileSettings,
  validateStack: (args, report, { stack, settings }) => {
    if (!environments().holdsGuards(stack)) {
      reportGithubResources(stack, args.resources, report);
      return;
    }
    const { home, configs } = readConfigs(settings, report);
    if (home === undefined) return;
    const rulesets = readRulesets(args.resources, report);
    const defaultBranch = defaultBranchOf(args.resources, home);
    const guardedBy = new Map<Ruleset, Guarded>();
    const record = (r: Ruleset, s: StackName, pattern: string, tag: boolean) => {
      const g = guardedBy.get(r) ?? { stacks: new Set<StackName>(), patterns: [], tags: false };
      g.stacks.add(s);
      g.patterns.push(pattern);
      g.tags ||= tag;
      guardedBy.set(r, g);
    };
    for (const guarded of environments().names) {
      const env = environments().get(guarded);
      const find = (kind: RefKind, pattern: string) =>
        guardingRulesets(guarded, kind, pattern, rulesets, home, defaultBranch, report);
      for (const branch of env.branches) {
        const guarding = find("heads", branch);
        if (guarding.length === 0) continue;
        checkBranch(guarded, branch, guarding, configs[guarded], report);
        guarding.forEach((r) => record(r, guarded, branch, false));
      }
      for (const tag of env.tags) {
        const guarding = find("tags", tag);
        if (guarding.length === 0) continue;
        checkTag(tag, guarding, report);
        guarding.forEach((r) => record(r, guarded, `tags ${tag}`, true));
      }
    }
    for (const [r, guarded] of guardedBy) checkBypass(r, guarded, configs, report);
  },
};
