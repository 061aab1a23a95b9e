import type { PolicyDefinition } from "./support";

export const promotionPolicies: readonly PolicyDefinition[] = [];
