import type { PolicyDefinition } from "./support";

export const suppressionPolicies: readonly PolicyDefinition[] = [];
