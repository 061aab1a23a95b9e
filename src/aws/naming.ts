import { physicalPrefix, scopedName, type StackName } from "../model";

/** The component tag values: which part of the environment a resource belongs to. */
export type ComponentKind =
  "network" | "database" | "cache" | "service" | "rollout" | "observability" | "access" | "flags";

/**
 * Tags a component puts on its taggable children. `env`, `app` and `managed-by` come from the
 * provider's default tags and are not repeated here.
 */
export function componentTags(
  component: ComponentKind,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return { component, ...extra };
}

/** What physical names and scoped names derive from. */
export interface Naming {
  readonly stack: StackName;
  readonly app: string;
}

/**
 * A physical name `<app>-<stack>-<suffix>` that fits `max` characters. When it does not fit, the
 * app part is shortened, never the stack or the suffix, so names stay unique per stack.
 */
export function physicalName(naming: Naming, suffix: string, max = 63): string {
  const full = `${physicalPrefix(naming.stack, naming.app)}-${suffix}`;
  if (full.length <= max) return full;
  const room = max - naming.stack.length - suffix.length - 2;
  if (room < 1) {
    throw new Error(`physical name suffix "${suffix}" leaves no room for the app within ${max}`);
  }
  const app = naming.app.slice(0, room).replace(/-+$/, "");
  return `${app}-${naming.stack}-${suffix}`;
}

/** A name under the stack's scope: `/<stack>/<app>/<parts...>`. */
export function scoped(naming: Naming, ...parts: string[]): string {
  return scopedName(naming.stack, naming.app, ...parts);
}

/** `releaseManager` -> `release-manager`, for names that AWS or people read. */
export function kebab(value: string): string {
  return value.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
