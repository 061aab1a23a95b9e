import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentSpec } from "../model";

export interface AwsEnvironmentOptions {
  /** The stack's AWS provider (region and default tags). */
  readonly provider: aws.Provider;
}

export interface AwsEnvironment {
  /** The application's HTTPS URL, e.g. `https://<load balancer DNS name>`. */
  readonly appUrl: pulumi.Output<string>;
  /** Stack exports: load balancer DNS, endpoints, log groups, role ARNs, live colour. */
  readonly exports: Record<string, pulumi.Input<unknown>>;
}

// Placeholder until the AWS components land (issue 2).
export function declareAwsEnvironment(
  spec: EnvironmentSpec,
  _options: AwsEnvironmentOptions,
): AwsEnvironment {
  return { appUrl: pulumi.output(`https://${spec.app}.example.com`), exports: {} };
}
