// The data-safety policies, one per file; what they share is in shared.ts.
import { prodDatabaseProtected } from "./prod-database-protected";
import { backupRetention } from "./database-backup-retention";
import { redundancy } from "./redundancy-in-production";
import { bucketsVersionedAndPrivate } from "./buckets-versioned-and-private";
import { logRetention } from "./log-retention-floor";
import type { ResourcePolicyDefinition, StackPolicyDefinition } from "../support";

export * from "./shared";
export {
  prodDatabaseProtected,
  backupRetention,
  redundancy,
  bucketsVersionedAndPrivate,
  logRetention,
};

export const dataSafetyPolicies: readonly (ResourcePolicyDefinition | StackPolicyDefinition)[] = [
  prodDatabaseProtected,
  backupRetention,
  redundancy,
  bucketsVersionedAndPrivate,
  logRetention,
];
