import type { PolicyDefinition } from "./support";

export const parityPolicies: readonly PolicyDefinition[] = [];
