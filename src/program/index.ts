import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { declareAwsEnvironment } from "../aws";
import { declareGuards } from "../delivery";
import { environments, defaultTags, type EnvironmentSpec } from "../model";

/**
 * Declares a whole environment from a validated spec: the AWS side under one explicit provider
 * carrying the default tags (so every taggable resource is tagged). The guards stack (prod) also
 * declares the GitHub guards of every environment, from `guarded`: every stack's validated
 * spec, read from the committed stack files. Other stacks declare nothing on GitHub. Returns the
 * stack's exports.
 */
export function declareEnvironment(
  spec: EnvironmentSpec,
  guarded: readonly EnvironmentSpec[] = [],
): Record<string, pulumi.Input<unknown>> {
  const awsProvider = new aws.Provider(`${spec.app}-${spec.stack}`, {
    region: spec.region as aws.Region,
    defaultTags: { tags: defaultTags(spec.stack, spec.app) },
    ...(spec.accountId !== undefined ? { allowedAccountIds: [spec.accountId] } : {}),
  });
  const environment = declareAwsEnvironment(spec, { provider: awsProvider });
  if (!environments().holdsGuards(spec.stack)) return environment.exports;
  const guards = declareGuards(spec, guarded, { awsProvider });
  return { ...environment.exports, ...guards.exports };
}
