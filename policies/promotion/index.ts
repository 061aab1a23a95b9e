// The promotion policies, one per file; what they share is in shared.ts.
import { imagesPinnedByDigest } from "./images-pinned-by-digest";
import { prodRunsStageDigest } from "./prod-runs-stage-digest";
import { stageRunsDevDigest } from "./stage-runs-dev-digest";
import { servicesRunDeclaredTaskDefinitions } from "./services-run-declared-task-definitions";
import type { ResourcePolicyDefinition, StackPolicyDefinition } from "../support";

export * from "./shared";
export {
  imagesPinnedByDigest,
  prodRunsStageDigest,
  stageRunsDevDigest,
  servicesRunDeclaredTaskDefinitions,
};

export const promotionPolicies: readonly (ResourcePolicyDefinition | StackPolicyDefinition)[] = [
  imagesPinnedByDigest,
  prodRunsStageDigest,
  stageRunsDevDigest,
  servicesRunDeclaredTaskDefinitions,
];
