import type * as aws from "@pulumi/aws";
import * as github from "@pulumi/github";
import type * as pulumi from "@pulumi/pulumi";
import type { EnvironmentSpec } from "../model";
import { EnvironmentGovernance } from "./environment-governance";

export { BranchRules, type BranchRulesArgs } from "./branch-rules";
export { DeploymentEnvironment, type DeploymentEnvironmentArgs } from "./deployment-environment";
export { EnvironmentGovernance, type EnvironmentGovernanceArgs } from "./environment-governance";

export interface GovernanceOptions {
  /** The stack's AWS provider, for the CI deploy role and the GitHub OIDC provider. */
  readonly awsProvider: aws.Provider;
  /** The application's URL, published as `<STACK>_APP_URL`. */
  readonly appUrl: pulumi.Output<string>;
}

export interface Governance {
  readonly exports: Record<string, pulumi.Input<unknown>>;
}

/**
 * Declares the GitHub side of a validated environment under its own GitHub provider, and the CI
 * deploy role under the stack's AWS provider. The provider is given the owner only: it reads
 * its token from GITHUB_TOKEN itself, so the token never enters config or state.
 */
export function declareGovernance(spec: EnvironmentSpec, options: GovernanceOptions): Governance {
  const name = `${spec.app}-${spec.stack}`;
  const githubProvider = new github.Provider(`${name}-github`, { owner: spec.github.owner });
  const governance = new EnvironmentGovernance(
    name,
    {
      stack: spec.stack,
      app: spec.app,
      region: spec.region,
      appUrl: options.appUrl,
      github: spec.github,
    },
    { providers: [githubProvider, options.awsProvider] },
  );
  const exports: Record<string, pulumi.Input<unknown>> = {
    branchRulesetId: governance.branchRulesetId,
    deploymentEnvironment: governance.environmentName,
    deployRoleArn: governance.deployRoleArn,
    previewRoleArn: governance.previewRoleArn,
  };
  if (governance.tagRulesetId !== undefined) exports["tagRulesetId"] = governance.tagRulesetId;
  return { exports };
}
