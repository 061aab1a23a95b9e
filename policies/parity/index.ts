// The parity policies, one per file; what they share is in shared.ts.
import { stageMirrorsProd } from "./stage-mirrors-prod";
import { devFollowsStage } from "./dev-follows-stage-versions";
import type { StackPolicyDefinition } from "../support";

export * from "./shared";
export { stageMirrorsProd, devFollowsStage };

export const parityPolicies: readonly StackPolicyDefinition[] = [stageMirrorsProd, devFollowsStage];
