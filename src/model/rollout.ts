import type { DeploymentConfig, RolloutStrategy } from "./schema";

/** ECS's names for the rollout strategies (API_DeploymentConfiguration `strategy`). */
export const ECS_STRATEGIES: Readonly<Record<RolloutStrategy, string>> = {
  "blue-green": "BLUE_GREEN",
  canary: "CANARY",
  linear: "LINEAR",
  rolling: "ROLLING",
};

/**
 * The lifecycle hooks of a traffic-shifting service, in the order the ECS service lists them: the
 * smoke test first, the hold hook (linear rollouts with holds) second.
 */
export const SMOKE_HOOK_INDEX = 0;
export const HOLD_HOOK_INDEX = 1;

/**
 * The hold hook's details for a service: what the rollout hook reads at every production traffic
 * step, and what the parity check reads back off the ECS service. Undefined without holds.
 */
export function holdHookDetails(service: string, deployment: DeploymentConfig): string | undefined {
  if (deployment.strategy !== "linear" || deployment.holds === undefined) return undefined;
  return JSON.stringify({
    check: "hold",
    service,
    holds: deployment.holds,
    holdMinutes: deployment.holdMinutes ?? 0,
  });
}
