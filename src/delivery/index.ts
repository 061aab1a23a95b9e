import * as aws from "@pulumi/aws";
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { deployRoleArn, type EnvironmentSpec } from "../model";
import { EnvironmentGuards } from "./environment-guards";

export { BranchRules, type BranchRulesArgs } from "./branch-rules";
export { DeploymentEnvironment, type DeploymentEnvironmentArgs } from "./deployment-environment";
export { EnvironmentGuards, type EnvironmentGuardsArgs } from "./environment-guards";

export interface GuardsOptions {
  /** The guards stack's AWS provider: its account is the one environments without `accountId` share. */
  readonly awsProvider: aws.Provider;
}

export interface Guards {
  readonly exports: Record<string, pulumi.Input<unknown>>;
}

/**
 * Declares the GitHub guards of every environment under one GitHub provider. The provider is given
 * the owner only: it reads its token from GITHUB_TOKEN itself, so the token never enters config
 * or state, and only the guards stack's deploy job holds it.
 */
export function declareGuards(
  spec: EnvironmentSpec,
  environments: readonly EnvironmentSpec[],
  options: GuardsOptions,
): Guards {
  const githubProvider = new github.Provider(`${spec.app}-github`, { owner: spec.github.owner });
  const invoke = { provider: options.awsProvider };
  const callerAccount = aws.getCallerIdentityOutput({}, invoke).accountId;
  const partition = aws.getPartitionOutput({}, invoke).partition;
  const guards: Record<string, pulumi.Input<unknown>> = {};
  // In promotion order, each after the ones before it: a ruleset may require a deployment to an
  // earlier environment (main requires stage), which must exist when GitHub validates the rule.
  const declared: EnvironmentGuards[] = [];
  for (const env of environments) {
    const accountId = env.accountId ?? callerAccount;
    const roleArn = pulumi
      .all([partition, accountId])
      .apply(([part, account]) => deployRoleArn(part, account, env.stack, env.app));
    const guard = new EnvironmentGuards(
      `${env.app}-${env.stack}`,
      { stack: env.stack, region: env.region, deployRoleArn: roleArn, github: env.github },
      { providers: [githubProvider], dependsOn: [...declared] },
    );
    declared.push(guard);
    guards[env.stack] = {
      branchRulesetId: guard.branchRulesetId,
      deploymentEnvironment: guard.environmentName,
      deployRoleArn: roleArn,
      ...(guard.tagRulesetId !== undefined ? { tagRulesetId: guard.tagRulesetId } : {}),
    };
  }
  return { exports: { guards } };
}
