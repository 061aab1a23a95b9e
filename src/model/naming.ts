import { environments, type StackName } from "./environments";

export const MANAGED_BY = "pulumi";

/** Tags every taggable AWS resource carries (the provider's default tags). */
export function defaultTags(stack: StackName, app: string): Record<string, string> {
  return { env: stack, app, "managed-by": MANAGED_BY };
}

export const REQUIRED_TAG_KEYS = ["env", "app", "managed-by"] as const;

/** Scope of parameters and secrets: `/<stack>/<app>/`. */
export function scopePrefix(stack: StackName, app: string): string {
  return `/${stack}/${app}/`;
}

/** A parameter or secret name under the stack's scope: `/<stack>/<app>/<parts...>`. */
export function scopedName(stack: StackName, app: string, ...parts: string[]): string {
  return `${scopePrefix(stack, app)}${parts.join("/")}`;
}

/** A log group name: `/<stack>/<app>/<component>`. */
export function logGroupName(stack: StackName, app: string, component: string): string {
  return scopedName(stack, app, component);
}

/** A feature flag's SSM parameter: `/<stack>/<app>/flags/<name>`. */
export function flagParameterName(stack: StackName, app: string, flag: string): string {
  return scopedName(stack, app, "flags", flag);
}

/** A GitHub environment variable or secret name: `STAGE_AWS_REGION`. */
export function variableName(stack: StackName, name: string): string {
  return `${environments().get(stack).variablePrefix}${name}`;
}

/** Prefix for AWS physical names that must be unique per account: `<app>-<stack>`. */
export function physicalPrefix(stack: StackName, app: string): string {
  return `${app}-${stack}`;
}

/**
 * The component a service's log group and alarms are named for: `service-<name>`, so its log
 * group is `/<stack>/<app>/service-<name>`.
 */
export function serviceComponent(service: string): string {
  return `service-${service}`;
}

/**
 * The suffix of a service's colour-scoped AWS names (target group, ECS service, task
 * definition family): `<service>-<colour>`, under the `<app>-<stack>-` prefix.
 */
export function serviceColourSuffix(service: string, colour: string): string {
  return `${service}-${colour}`;
}
