// The security policies, one per file; what they share is in shared.ts.
import { encryptionAtRest } from "./encryption-at-rest";
import { encryptionInTransit } from "./encryption-in-transit";
import { noPublicIngress } from "./no-public-ingress";
import { noWildcardAdmin } from "./no-iam-wildcard-admin";
import { developerReadOnly } from "./developer-read-only";
import { ciDeployRoleTrust } from "./ci-deploy-role-trust";
import { iamPermissionsBoundary } from "./iam-permissions-boundary";
import { iamRoleTrust } from "./iam-role-trust";
import { kmsKeyPolicy } from "./kms-key-policy";
import { noPlaintextGithubSecrets } from "./no-plaintext-github-secrets";
import type { ResourcePolicyDefinition, StackPolicyDefinition } from "../support";

export * from "./shared";
export {
  encryptionAtRest,
  encryptionInTransit,
  noPublicIngress,
  noWildcardAdmin,
  developerReadOnly,
  ciDeployRoleTrust,
  iamPermissionsBoundary,
  iamRoleTrust,
  kmsKeyPolicy,
  noPlaintextGithubSecrets,
};

export const securityPolicies: readonly (ResourcePolicyDefinition | StackPolicyDefinition)[] = [
  encryptionAtRest,
  encryptionInTransit,
  noPublicIngress,
  noWildcardAdmin,
  developerReadOnly,
  ciDeployRoleTrust,
  iamRoleTrust,
  iamPermissionsBoundary,
  kmsKeyPolicy,
  noPlaintextGithubSecrets,
];
