import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { declareAwsEnvironment } from "./aws";
import { declareGovernance } from "./github";
import { defaultTags, type EnvironmentSpec } from "./model";

/**
 * Declares a whole environment from a validated spec: the AWS side under one explicit provider
 * carrying the default tags (so every taggable resource is tagged), then the GitHub rules that
 * guard the branch feeding it. Returns the stack's exports.
 */
export function declareEnvironment(spec: EnvironmentSpec): Record<string, pulumi.Input<unknown>> {
  const awsProvider = new aws.Provider(`${spec.app}-${spec.stack}`, {
    region: spec.region as aws.Region,
    defaultTags: { tags: defaultTags(spec.stack, spec.app) },
  });
  const environment = declareAwsEnvironment(spec, { provider: awsProvider });
  const governance = declareGovernance(spec, {
    awsProvider,
    appUrl: environment.appUrl,
  });
  return { ...environment.exports, ...governance.exports };
}
