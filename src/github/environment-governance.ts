import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { DeployRole } from "../aws/deploy-role";
import { PreviewRole } from "../aws/preview-role";
import { ENVIRONMENTS, variableName, type GithubConfig, type StackName } from "../model";
import { LABEL_COLOURS } from "../model/github-rules";
import { BranchRules } from "./branch-rules";
import { DeploymentEnvironment } from "./deployment-environment";

export interface EnvironmentGovernanceArgs {
  /** The stack (environment) governed. */
  readonly stack: StackName;
  /** The application name (tags, IAM and parameter paths). */
  readonly app: string;
  /** The AWS region deploy jobs target, published as `<PREFIX>AWS_REGION`. */
  readonly region: string;
  /** The application's URL, published as `<PREFIX>APP_URL`. */
  readonly appUrl: pulumi.Input<string>;
  /** The validated `envstack:github` settings (all defaults already applied by the model). */
  readonly github: GithubConfig;
}

/**
 * Everything on the GitHub side of one environment, plus the AWS role its deploy jobs assume:
 * the branch rules, the deployment environment (with the role's ARN as a variable) and the label.
 * Pass the GitHub and AWS providers through `providers`; children inherit them by package.
 */
export class EnvironmentGovernance extends pulumi.ComponentResource {
  public readonly branchRulesetId: pulumi.Output<number>;
  public readonly tagRulesetId: pulumi.Output<number> | undefined;
  public readonly environmentName: pulumi.Output<string>;
  public readonly deployRoleArn: pulumi.Output<string>;
  public readonly previewRoleArn: pulumi.Output<string>;

  constructor(
    name: string,
    args: EnvironmentGovernanceArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("envstack:github:EnvironmentGovernance", name, {}, opts);
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
    // Both CI roles: who may assume them, and the Pulumi state and secrets key they may use.
    const ci = {
      stack: args.stack,
      app: args.app,
      owner: gh.owner,
      repository: gh.repository,
      stateBucket: gh.stateBucket,
      secretsKeyArn: gh.secretsKeyArn,
    };
    const role = new DeployRole(
      `${name}-deploy`,
      { ...ci, oidcProvider: gh.oidcProvider },
      { parent: this },
    );
    const preview = new PreviewRole(
      `${name}-preview`,
      { ...ci, oidcProviderArn: role.oidcProviderArn },
      { parent: this },
    );
    // Pull-request jobs run in no deployment environment, so they read repository variables.
    const repositoryVariables = { AWS_PREVIEW_ROLE_ARN: preview.roleArn, AWS_REGION: args.region };
    for (const [key, value] of Object.entries(repositoryVariables)) {
      const variable = variableName(args.stack, key);
      new github.ActionsVariable(
        `${name}-repo-${variable.toLowerCase().replace(/_/g, "-")}`,
        { repository: gh.repository, variableName: variable, value },
        { parent: this },
      );
    }
    const environment = new DeploymentEnvironment(
      `${name}-env`,
      {
        repository: gh.repository,
        stack: args.stack,
        reviewers: gh.deploymentReviewers,
        waitTimerMinutes: gh.waitTimerMinutes,
        variables: {
          AWS_REGION: args.region,
          AWS_ROLE_ARN: role.roleArn,
          APP_URL: args.appUrl,
          STACK: args.stack,
        },
      },
      { parent: this },
    );
    new github.IssueLabel(
      `${name}-label`,
      {
        repository: gh.repository,
        name: ENVIRONMENTS[args.stack].label,
        color: LABEL_COLOURS[args.stack],
        description: `Changes bound for the ${args.stack} environment`,
      },
      { parent: this },
    );
    this.branchRulesetId = rules.branchRulesetId;
    this.tagRulesetId = rules.tagRulesetId;
    this.environmentName = environment.environmentName;
    this.deployRoleArn = role.roleArn;
    this.previewRoleArn = preview.roleArn;
    this.registerOutputs({
      previewRoleArn: this.previewRoleArn,
      branchRulesetId: this.branchRulesetId,
      tagRulesetId: this.tagRulesetId,
      environmentName: this.environmentName,
      deployRoleArn: this.deployRoleArn,
    });
  }
}
