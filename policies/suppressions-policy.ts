import { parityTemplateOf } from "../src/model";
import { CONCERN_POLICIES } from "./concerns";
import { packPath, type StackPolicyDefinition } from "./support";
import {
  describeTarget,
  expiredMessage,
  hasMatched,
  isExpired,
  loadSuppressions,
  stackOf,
  staleMessage,
  today,
} from "./suppressions";

const NAME = "suppressions-are-valid";

export const suppressionsAreValid: StackPolicyDefinition = {
  name: NAME,
  description:
    "Checks whether the reviewed suppressions file is well-formed, names existing suppressible policies and the attributes they report, and whether any suppression for this stack has expired or matches no violation.",
  severity: "medium",
  remediationSteps:
    "Fix the entry the message names in policies/suppressions.yaml (policy; resource as a URN, or <type>::<name> with stack; attribute where the policy reports several; a reason of at least 20 characters; owner; expires as YYYY-MM-DD at most a year ahead). Names are exact: no wildcards or patterns. Renew an expired suppression only after a new review; delete one that matches no violation.",
  levels: { development: "mandatory", "production-like": "mandatory", production: "mandatory" },
  suppressible: false,
  validateStack: (_args, report, { stack, settings }) => {
    const file = loadSuppressions(packPath(settings.text("suppressionsFile")));
    for (const error of file.errors) report(`Fix the suppressions file: ${error.message}.`);
    const policies = CONCERN_POLICIES;
    const on = today();
    file.entries.forEach((s, i) => {
      const where = `${file.file}: suppressions[${i}]`;
      const policy = policies.find((p) => p.name === s.policy);
      if (!policy) {
        report(
          `Fix the suppressions file: ${where}.policy: expected one of the pack's suppressible policies, found "${s.policy}".`,
        );
        return;
      }
      if (!policy.suppressible) {
        report(
          `Remove the suppression of ${s.policy} for ${describeTarget(s)} (${where}): ${s.policy} can never be suppressed.`,
        );
        return;
      }
      const attributes = policy.attributes ?? [];
      // A per-service parity key (services.api.cpu) instantiates its template.
      if (
        attributes.length > 0 &&
        !attributes.includes(s.attribute ?? "") &&
        !attributes.includes(parityTemplateOf(s.attribute ?? ""))
      ) {
        report(
          `Fix the suppressions file: ${where}.attribute: expected one of the attributes ${s.policy} reports (${attributes.join(", ")}), found ${s.attribute === undefined ? "nothing (the key is missing)" : `"${s.attribute}"`}.`,
        );
        return;
      }
      if (attributes.length === 0 && s.attribute !== undefined) {
        report(
          `Fix the suppressions file: ${where}.attribute: expected no attribute (${s.policy} reports none), found "${s.attribute}".`,
        );
        return;
      }
      if (stackOf(s) !== stack) return;
      if (isExpired(s, on)) report(expiredMessage(s), { level: "advisory" });
      else if (!hasMatched(stack, s)) report(staleMessage(s, where), { level: "advisory" });
    });
  },
};

export const suppressionPolicies: readonly StackPolicyDefinition[] = [suppressionsAreValid];
