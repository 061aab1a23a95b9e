import { stackFileSettings } from "../baselines";
import type { StackPolicyDefinition } from "../support";
import { promotedFromPrevious } from "./shared";

export const stageRunsDevDigest: StackPolicyDefinition = {
  name: "stage-runs-dev-digest",
  description:
    "Checks whether every stage service is declared in dev, whether each service's newest image is the image dev runs for it, whether every container of every stage task definition runs an image Pulumi.stage.yaml names and dev has run for the same service, and whether each service's migration version (in Pulumi.stage.yaml and on its ECS service's PRE_SCALE_UP hook) is the one dev runs.",
  severity: "medium",
  remediationSteps:
    "Promote with `envstack promote --to stage`, which copies dev's images and migration versions into Pulumi.stage.yaml. Advisory: dev moves on continuously.",
  levels: { development: "disabled", "production-like": "advisory", production: "disabled" },
  suppressible: true,
  settings: stackFileSettings,
  // The environment before it in the chain (dev by default).
  validateStack: promotedFromPrevious,
};
