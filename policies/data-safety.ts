import type { PolicyDefinition } from "./support";

export const dataSafetyPolicies: readonly PolicyDefinition[] = [];
