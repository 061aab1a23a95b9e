// The approvals policies, one per file; what they share is in shared.ts.
import { branchRules } from "./branch-rules-match-promotion-model";
import { deploymentEnvironment } from "./deployment-environment-rules";
import type { StackPolicyDefinition } from "../support";

export * from "./shared";
export { branchRules, deploymentEnvironment };

export const approvalPolicies: readonly StackPolicyDefinition[] = [
  branchRules,
  deploymentEnvironment,
];
