import type { PolicyDefinition } from "./support";

export const namingPolicies: readonly PolicyDefinition[] = [];
