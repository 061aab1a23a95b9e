import { accessControlPolicies } from "./access-controls";
import { approvalPolicies } from "./approvals";
import { dataSafetyPolicies } from "./data-safety";
import { namingPolicies } from "./naming";
import { parityPolicies } from "./parity";
import { promotionPolicies } from "./promotion";
import { securityPolicies } from "./security";
import type { PolicyDefinition } from "./support";
import { validityPolicies } from "./validity";

/**
 * The policies that check resources, by concern, in the order reports and docs list them. The
 * suppressions policy checks these (it cannot import the catalog, which includes it).
 */
export const CONCERN_POLICIES: readonly PolicyDefinition[] = [
  ...parityPolicies,
  ...promotionPolicies,
  ...approvalPolicies,
  ...dataSafetyPolicies,
  ...securityPolicies,
  ...accessControlPolicies,
  ...namingPolicies,
  ...validityPolicies,
];
