import { mustEqualAttributes, environments } from "../../src/model";
import { stackFileSettings } from "../baselines";
import type { StackPolicyDefinition } from "../support";
import { compare } from "./shared";

export const stageMirrorsProd: StackPolicyDefinition = {
  name: "stage-mirrors-prod",
  description:
    "Checks whether the resources a production-like stack declares match the committed prod stack file on every must-equal attribute of the parity contract.",
  severity: "high",
  remediationSteps:
    "Change the stack's config (or the code that overrides it) so the attribute equals prod's committed value, or change prod and stage together in one reviewed change. Only attributes listed as may-differ in the parity contract may differ.",
  levels: { development: "disabled", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  attributes: mustEqualAttributes()
    .filter((a) => a.observed)
    .map((a) => a.key),
  settings: stackFileSettings,
  validateStack: (args, report, { stack, settings }) => {
    const production = environments().production;
    compare(args, report, mustEqualAttributes(), production, settings, (_attribute, found) =>
      stack === production
        ? `${production} must match its committed Pulumi.${production}.yaml (${production} declares ${found}).`
        : `${stack} must mirror ${production} (${stack} declares ${found}).`,
    );
  },
};
