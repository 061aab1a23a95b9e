// The access-controls policies, one per file; what they share is in shared.ts.
import { databaseTlsEnforced } from "./database-tls-enforced";
import { cacheRequiresAuth } from "./cache-requires-auth";
import type { ResourcePolicyDefinition, StackPolicyDefinition } from "../support";

export * from "./shared";
export { databaseTlsEnforced, cacheRequiresAuth };

export const accessControlPolicies: readonly (ResourcePolicyDefinition | StackPolicyDefinition)[] =
  [databaseTlsEnforced, cacheRequiresAuth];
