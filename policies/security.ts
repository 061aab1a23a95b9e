import type { PolicyDefinition } from "./support";

export const securityPolicies: readonly PolicyDefinition[] = [];
