// The validity policies, one per file; what they share is in shared.ts.
import { databaseVersionCreatable } from "./database-engine-version-creatable";
import { databaseInstanceClassOffered } from "./database-instance-class-offered";
import { cacheFailoverShape } from "./cache-failover-shape";
import { listenerCertificateInRegion } from "./listener-certificate-in-stack-region";
import { vpcCidrValid } from "./vpc-cidr-valid";
import { vpcDisjointFromProd } from "./vpc-disjoint-from-prod";
import type { ResourcePolicyDefinition, StackPolicyDefinition } from "../support";

export * from "./shared";
export {
  databaseVersionCreatable,
  databaseInstanceClassOffered,
  cacheFailoverShape,
  listenerCertificateInRegion,
  vpcCidrValid,
  vpcDisjointFromProd,
};

export const validityPolicies: readonly (ResourcePolicyDefinition | StackPolicyDefinition)[] = [
  databaseVersionCreatable,
  databaseInstanceClassOffered,
  cacheFailoverShape,
  listenerCertificateInRegion,
  vpcCidrValid,
  vpcDisjointFromProd,
];
