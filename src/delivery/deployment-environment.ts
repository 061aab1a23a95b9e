import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { environments, variableName, type StackName } from "../model";
import { splitReviewers, type EnvironmentVariable } from "../model/github-rules";

export interface DeploymentEnvironmentArgs {
  /** The repository (name, without owner) the environment belongs to. */
  readonly repository: string;
  /** The stack; the environment is named after it and deploys only from its branches. */
  readonly stack: StackName;
  /** Teams (slugs) and users (`@login`) who approve deployments. Defaults to none. */
  readonly reviewers?: readonly string[];
  /** Minutes a deployment waits after approval. Defaults to 0. */
  readonly waitTimerMinutes?: number;
  /** Plain (non-secret) values published as `<PREFIX><NAME>` environment variables. No default. */
  readonly variables: Readonly<Record<EnvironmentVariable, pulumi.Input<string>>>;
}

/**
 * The GitHub deployment environment of one stack: only the stack's branches may deploy to it,
 * with the reviewers, self-review and admin-bypass rules of the promotion model, and the plain
 * variables a deploy job reads. It holds no secret: the job gets AWS credentials through OIDC.
 */
export class DeploymentEnvironment extends pulumi.ComponentResource {
  /** The environment's name (the stack's), as deploy jobs reference it. */
  public readonly environmentName: pulumi.Output<string>;

  constructor(
    name: string,
    args: DeploymentEnvironmentArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("envstack:github:DeploymentEnvironment", name, {}, opts);
    const env = environments().get(args.stack);
    const { teams, users } = splitReviewers(args.reviewers ?? []);
    const teamIds = teams.map((slug) =>
      github
        .getTeamOutput({ slug, summaryOnly: true }, { parent: this })
        .id.apply((id) => Number(id)),
    );
    const userIds = users.map((username) =>
      github.getUserOutput({ username }, { parent: this }).id.apply((id) => Number(id)),
    );
    const environment = new github.RepositoryEnvironment(
      `${name}-environment`,
      {
        repository: args.repository,
        environment: args.stack,
        // Only the named branch patterns below, never "any protected branch".
        deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
        reviewers:
          teamIds.length + userIds.length > 0 ? [{ teams: teamIds, users: userIds }] : undefined,
        preventSelfReview: env.deploy.preventSelfReview,
        canAdminsBypass: env.deploy.adminBypass,
        waitTimer: args.waitTimerMinutes ?? 0,
      },
      { parent: this },
    );
    for (const pattern of env.branches) {
      new github.RepositoryEnvironmentDeploymentPolicy(
        `${name}-branch-${slugOf(pattern)}`,
        {
          repository: args.repository,
          environment: environment.environment,
          branchPattern: pattern,
        },
        { parent: this },
      );
    }
    for (const [key, value] of Object.entries(args.variables)) {
      const variable = variableName(args.stack, key);
      new github.ActionsEnvironmentVariable(
        `${name}-${variable.toLowerCase().replace(/_/g, "-")}`,
        {
          repository: args.repository,
          environment: environment.environment,
          variableName: variable,
          value,
        },
        { parent: this },
      );
    }
    this.environmentName = environment.environment;
    this.registerOutputs({ environmentName: this.environmentName });
  }
}

/** A resource-name-safe form of a branch pattern: `release/*` -> `release-all`. */
function slugOf(pattern: string): string {
  return pattern
    .replace(/\*/g, "all")
    .replace(/[^A-Za-z0-9-]+/g, "-")
    .toLowerCase();
}
