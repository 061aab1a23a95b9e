import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { EnvironmentSpec } from "../model";

export interface GovernanceOptions {
  /** The stack's AWS provider, for the CI deploy role and the GitHub OIDC provider. */
  readonly awsProvider: aws.Provider;
  /** The application's URL, published as `<STACK>_APP_URL`. */
  readonly appUrl: pulumi.Output<string>;
}

export interface Governance {
  readonly exports: Record<string, pulumi.Input<unknown>>;
}

// Placeholder until the GitHub components land (issue 3).
export function declareGovernance(_spec: EnvironmentSpec, _options: GovernanceOptions): Governance {
  return { exports: {} };
}
