import { PARITY, environments } from "../../src/model";
import { stackFileSettings } from "../baselines";
import type { StackPolicyDefinition } from "../support";
import { compare } from "./shared";

export const devFollowsStage: StackPolicyDefinition = {
  name: "dev-follows-stage-versions",
  description:
    "Checks whether dev runs the same database and cache engine versions as the committed stage stack file.",
  severity: "low",
  remediationSteps:
    "Set the engine version in Pulumi.dev.yaml to stage's, or upgrade stage first: versions move forward through dev and stage together.",
  levels: { development: "advisory", "production-like": "disabled", production: "disabled" },
  suppressible: true,
  attributes: PARITY.filter((a) => a.devFollowsStage === true && a.observed).map((a) => a.key),
  settings: stackFileSettings,
  validateStack: (args, report, { stack, settings }) => {
    // The first production-like environment of the chain (stage by default).
    const chain = environments();
    const stage = chain.names.find((s) => chain.role(s) === "production-like");
    if (stage === undefined) return;
    compare(
      args,
      report,
      PARITY.filter((a) => a.devFollowsStage === true),
      stage,
      settings,
      (_attribute, found) =>
        `${stack} must run the engine versions ${stage} runs (${stack} declares ${found}).`,
    );
  },
};
