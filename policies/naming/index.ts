// The naming policies, one per file; what they share is in shared.ts.
import { requiredTags } from "./required-tags";
import { awsNamesScoped } from "./aws-names-scoped";
import { githubNamesPrefixed } from "./github-names-prefixed";
import type { ResourcePolicyDefinition } from "../support";

export * from "./shared";
export { requiredTags, awsNamesScoped, githubNamesPrefixed };

export const namingPolicies: readonly ResourcePolicyDefinition[] = [
  requiredTags,
  awsNamesScoped,
  githubNamesPrefixed,
];
