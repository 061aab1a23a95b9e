import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { GITHUB_ACTIONS_APP_ID, type StackName } from "../model";
import { branchRuleset, tagRuleset, type RulesetSpec } from "../model/github-rules";

export interface BranchRulesArgs {
  /** The repository (name, without owner) the rulesets apply to. */
  readonly repository: string;
  /** The stack whose branches (and release tags) are guarded; its rules come from ENVIRONMENTS. */
  readonly stack: StackName;
  /** Approvals a pull request into the stack's branches needs. Validated against the stack's floor upstream; no default. */
  readonly requiredApprovals: number;
  /** Status check contexts every pull request must pass. No default (the model supplies the stack's checks). */
  readonly requiredChecks: readonly string[];
  /** Team slugs that may bypass the pull-request rule only, never the others. Defaults to none. */
  readonly pullRequestBypassTeams?: readonly string[];
}

/**
 * The repository rulesets guarding one environment's branches and, where it has any, its
 * release tags. No actor bypasses anything except the configured teams, and those only through
 * a pull request.
 */
export class BranchRules extends pulumi.ComponentResource {
  /** The GitHub id of the branch ruleset. */
  public readonly branchRulesetId: pulumi.Output<number>;
  /** The GitHub id of the tag ruleset, when the stack guards tags (prod). */
  public readonly tagRulesetId: pulumi.Output<number> | undefined;

  constructor(name: string, args: BranchRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:github:BranchRules", name, {}, opts);
    const bypassTeams = args.pullRequestBypassTeams ?? [];
    const bypassActors = bypassTeams.map((slug) => ({
      actorType: "Team",
      actorId: github
        .getTeamOutput({ slug, summaryOnly: true }, { parent: this })
        .id.apply((id) => Number(id)),
      bypassMode: "pull_request",
    }));
    const branches = branchRuleset(args.stack, {
      requiredApprovals: args.requiredApprovals,
      requiredChecks: args.requiredChecks,
      pullRequestBypassTeams: bypassTeams,
    });
    const branchSet = new github.RepositoryRuleset(
      `${name}-branches`,
      rulesetArgs(args.repository, branches, bypassActors),
      { parent: this },
    );
    this.branchRulesetId = branchSet.rulesetId;
    const tags = tagRuleset(args.stack);
    if (tags !== undefined) {
      const tagSet = new github.RepositoryRuleset(
        `${name}-tags`,
        rulesetArgs(args.repository, tags, []),
        { parent: this },
      );
      this.tagRulesetId = tagSet.rulesetId;
    }
    this.registerOutputs({
      branchRulesetId: this.branchRulesetId,
      tagRulesetId: this.tagRulesetId,
    });
  }
}

function rulesetArgs(
  repository: string,
  spec: RulesetSpec,
  bypassActors: github.types.input.RepositoryRulesetBypassActor[],
): github.RepositoryRulesetArgs {
  const rules: github.types.input.RepositoryRulesetRules = {
    deletion: spec.deletion,
    nonFastForward: spec.nonFastForward,
  };
  if (spec.update) rules.update = true;
  if (spec.requiredLinearHistory) rules.requiredLinearHistory = true;
  if (spec.pullRequest !== undefined) {
    // RepositoryRulesetRulesPullRequest.allowedMergeMethods (@pulumi/github 6.15) maps to the
    // pull_request rule's allowed_merge_methods.
    rules.pullRequest = {
      ...spec.pullRequest,
      allowedMergeMethods: [...spec.pullRequest.allowedMergeMethods],
    };
  }
  if (spec.requiredStatusChecks !== undefined) {
    rules.requiredStatusChecks = {
      strictRequiredStatusChecksPolicy: spec.requiredStatusChecks.strict,
      // Bound to GitHub Actions: a commit status posted by any other token does not count.
      requiredChecks: spec.requiredStatusChecks.contexts.map((context) => ({
        context,
        integrationId: GITHUB_ACTIONS_APP_ID,
      })),
    };
  }
  if (spec.requiredDeployments.length > 0) {
    rules.requiredDeployments = { requiredDeploymentEnvironments: [...spec.requiredDeployments] };
  }
  return {
    repository,
    name: spec.name,
    target: spec.target,
    enforcement: "active",
    conditions: { refName: { includes: [...spec.includes], excludes: [] } },
    rules,
    bypassActors,
  };
}
