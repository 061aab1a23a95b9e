import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { environments, forRole, type GithubConfig, type StackName } from "../model";
import { LABEL_COLOURS } from "../model/github-rules";
import { BranchRules } from "./branch-rules";
import { DeploymentEnvironment } from "./deployment-environment";

export interface EnvironmentGuardsArgs {
  /** The environment guarded. */
  readonly stack: StackName;
  /** The AWS region its deploy jobs target, published as `<PREFIX>AWS_REGION`. */
  readonly region: string;
  /** The environment's CI deploy role, published as `<PREFIX>AWS_ROLE_ARN`. No default. */
  readonly deployRoleArn: pulumi.Input<string>;
  /** The environment's validated `envstack:github` settings (defaults already applied). */
  readonly github: GithubConfig;
}

/**
 * The GitHub guards of one environment: the rulesets on the branches (and tags) it deploys from,
 * its deployment environment with reviewers, branch policies and the variables a deploy job
 * reads, and its label. Declared only by the guards stack, through its GitHub provider.
 */
export class EnvironmentGuards extends pulumi.ComponentResource {
  public readonly branchRulesetId: pulumi.Output<number>;
  public readonly tagRulesetId: pulumi.Output<number> | undefined;
  public readonly environmentName: pulumi.Output<string>;

  constructor(name: string, args: EnvironmentGuardsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:github:EnvironmentGuards", name, {}, opts);
    const gh = args.github;
    const rules = new BranchRules(
      `${name}-rules`,
      {
        repository: gh.repository,
        stack: args.stack,
        requiredApprovals: gh.requiredApprovals,
        requiredChecks: gh.requiredChecks,
        pullRequestBypassTeams: gh.pullRequestBypassTeams,
      },
      { parent: this },
    );
    const environment = new DeploymentEnvironment(
      `${name}-env`,
      {
        repository: gh.repository,
        stack: args.stack,
        reviewers: gh.deploymentReviewers,
        waitTimerMinutes: gh.waitTimerMinutes,
        variables: {
          AWS_REGION: args.region,
          AWS_ROLE_ARN: args.deployRoleArn,
          STACK: args.stack,
        },
      },
      { parent: this },
    );
    new github.IssueLabel(
      `${name}-label`,
      {
        repository: gh.repository,
        name: environments().get(args.stack).label,
        color: forRole(LABEL_COLOURS, args.stack),
        description: `Changes bound for the ${args.stack} environment`,
      },
      { parent: this },
    );
    this.branchRulesetId = rules.branchRulesetId;
    this.tagRulesetId = rules.tagRulesetId;
    this.environmentName = environment.environmentName;
    this.registerOutputs({
      branchRulesetId: this.branchRulesetId,
      tagRulesetId: this.tagRulesetId,
      environmentName: this.environmentName,
    });
  }
}
