import type { PolicyDefinition } from "./support";

export const approvalPolicies: readonly PolicyDefinition[] = [];
