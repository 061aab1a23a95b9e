import { CONCERN_POLICIES } from "./concerns";
import { packPath, parseUrn, type StackPolicyDefinition } from "./support";
import { expiredMessage, isExpired, loadSuppressions, today } from "./suppressions";

const NAME = "suppressions-are-valid";

export const suppressionsAreValid: StackPolicyDefinition = {
  name: NAME,
  description:
    "Checks whether the reviewed suppressions file is well-formed, names existing suppressible policies, and whether any suppression that applies to this stack has expired.",
  severity: "medium",
  remediationSteps:
    "Fix the entry the message names in policies/suppressions.yaml (policy, resource as a URN or <type>::<name>, a reason of at least 20 characters, owner, expires as YYYY-MM-DD); renew an expired suppression only after a new review, or fix the resource and delete it.",
  levels: { dev: "mandatory", stage: "mandatory", prod: "mandatory" },
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
          `Remove the suppression of ${s.policy} for ${s.resource} (${where}): ${s.policy} can never be suppressed.`,
        );
        return;
      }
      const urn = parseUrn(s.resource);
      if (urn && urn.stack !== stack) return;
      if (isExpired(s, on)) report(expiredMessage(s), { level: "advisory" });
    });
  },
};

export const suppressionPolicies: readonly StackPolicyDefinition[] = [suppressionsAreValid];
