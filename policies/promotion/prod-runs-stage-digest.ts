import { stackFileSettings } from "../baselines";
import type { StackPolicyDefinition } from "../support";
import { promotedFromPrevious } from "./shared";

export const prodRunsStageDigest: StackPolicyDefinition = {
  name: "prod-runs-stage-digest",
  description:
    "Checks whether every prod service is declared in stage, whether each service's image is exactly the image committed for that service in stage, whether every container of every prod task definition runs an image both Pulumi.prod.yaml and Pulumi.stage.yaml name for the same service, and whether each service's migration version (in Pulumi.prod.yaml and on its ECS service's PRE_SCALE_UP hook) is exactly the one committed for it in stage.",
  severity: "critical",
  remediationSteps:
    "Promote with `envstack promote --to prod` (or `--service <name>` for one service), which copies stage's committed images and migration versions into Pulumi.prod.yaml; do not edit image references or migration hooks in code. A new service is declared in stage first. Sidecar images (observability.xrayDaemonImage) go to stage first. This policy cannot be suppressed.",
  levels: { development: "disabled", "production-like": "disabled", production: "mandatory" },
  suppressible: false,
  settings: stackFileSettings,
  // The environment before production in the chain (stage by default).
  validateStack: promotedFromPrevious,
};
