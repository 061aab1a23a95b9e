import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** The envstack program: requiring it declares the stack's environment; these are its exports. */
export function envstack(): Record<string, pulumi.Input<unknown>>;

/** The stack, its app, its tagged AWS provider and the names the pack expects. */
export function environment(): {
  readonly stack: string;
  readonly app: string;
  readonly provider: aws.Provider;
  readonly scoped: (...parts: string[]) => string;
  readonly boundary: pulumi.Output<string>;
};

/** A trust policy for ECS tasks, a service the stack's roles may trust. */
export const ECS_TASKS_TRUST: string;
