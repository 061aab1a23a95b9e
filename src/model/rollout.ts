import {
  DEFAULT_MIGRATION_TIMEOUT_MINUTES,
  type DeploymentConfig,
  type MigrationsConfig,
  type RolloutStrategy,
} from "./schema";

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

/**
 * The lifecycle stage the migration runs at: the new revision has not started and the old one
 * serves all production traffic, with no test traffic
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentLifecycleHook.html).
 * The policies find the migration hook by this stage, not by its place in the list.
 */
export const MIGRATE_STAGE = "PRE_SCALE_UP";

/** What the rollout hook reads at PRE_SCALE_UP: the migration to run, for one service. */
export interface MigrateHookDetails {
  readonly check: "migrate";
  readonly service: string;
  readonly command: readonly string[];
  readonly version: string;
  readonly timeoutMinutes: number;
  /** The container the command runs in: the service's own, named after it. */
  readonly container: string;
}

/**
 * The migration hook's details for a service, serialized as the ECS service carries them and as
 * the parity and promotion checks read them back. Undefined without migrations.
 */
export function migrateHookDetails(
  service: string,
  migrations: MigrationsConfig | undefined,
): string | undefined {
  if (migrations === undefined) return undefined;
  return JSON.stringify({
    check: "migrate",
    service,
    command: migrations.command,
    version: migrations.version,
    timeoutMinutes: migrations.timeoutMinutes ?? DEFAULT_MIGRATION_TIMEOUT_MINUTES,
    container: service,
  } satisfies MigrateHookDetails);
}

/**
 * The hookDetails of the lifecycle hook that runs at `stage`, from an ECS service's
 * deploymentConfiguration as declared (undefined when no hook runs there). Reading a value unknown
 * during preview throws, as any read of the policy SDK's unknown proxy does.
 */
export function hookDetailsAt(deploymentConfiguration: unknown, stage: string): unknown {
  if (deploymentConfiguration === null || typeof deploymentConfiguration !== "object")
    return undefined;
  const hooks = (deploymentConfiguration as { lifecycleHooks?: unknown }).lifecycleHooks;
  if (!Array.isArray(hooks)) return undefined;
  const hook = hooks.find((h: unknown) => {
    const stages =
      h !== null && typeof h === "object"
        ? (h as { lifecycleStages?: unknown }).lifecycleStages
        : undefined;
    return Array.isArray(stages) && stages.includes(stage);
  }) as { hookDetails?: unknown } | undefined;
  return hook?.hookDetails;
}
