import { baselineOf, stackFileSettings } from "../baselines";
import {
  KMS_KEY,
  KMS_KEY_POLICY,
  isAccountRoot,
  principalAccount,
  readDocument,
  restrictsAccount,
  statementName,
} from "../iam";
import { isUnknown, read, type ResourcePolicyDefinition } from "../support";
import { grantsAllOfKms } from "./shared";

export const kmsKeyPolicy: ResourcePolicyDefinition = {
  name: "kms-key-policy",
  description:
    'Checks whether every KMS key policy (a key\'s policy, a KeyPolicy) lets no one ("*") use the key without a condition restricting it to an account or service, has no NotPrincipal, and grants kms:* (key administration) to the account root only.',
  severity: "critical",
  documentation: "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
  remediationSteps:
    'Keep the default statement giving kms:* to arn:aws:iam::<account>:root, grant services and roles only the KMS actions they use, and restrict any "*" principal with kms:CallerAccount, aws:SourceAccount or aws:SourceArn.',
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: stackFileSettings,
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== KMS_KEY && args.type !== KMS_KEY_POLICY) return;
    const policy = read(args.props, "policy");
    if (!policy.known) {
      report(`Cannot check the key policy of ${args.name} during preview: ${policy.reason}.`, {
        level: "advisory",
      });
      return;
    }
    // A key without a policy gets the default one: kms:* for the account root only.
    if (policy.value === undefined || policy.value === "") return;
    const doc = readDocument(policy.value);
    if (isUnknown(doc)) {
      report(`Cannot check the key policy of ${args.name} during preview: ${doc.reason}.`, {
        level: "advisory",
      });
      return;
    }
    if (doc === undefined) {
      report(`Make the key policy of ${args.name} a JSON policy document: it cannot be read.`);
      return;
    }
    const baseline = baselineOf(settings, stack);
    const account = baseline.ok ? baseline.spec.accountId : undefined;
    for (const s of doc.statements) {
      if (s.effect !== "Allow" || s.principals === undefined) continue;
      const name = statementName(s);
      if (s.principals.not) {
        report(
          `Remove NotPrincipal from the ${name} of the key policy of ${args.name}: an Allow with NotPrincipal lets everyone else use the key.`,
        );
        continue;
      }
      if (s.principals.anyone && !restrictsAccount(s)) {
        report(
          `Restrict the ${name} of the key policy of ${args.name} to the account (kms:CallerAccount or aws:SourceAccount) or remove it: it lets anyone ("*") use the key.`,
        );
        continue;
      }
      if (!grantsAllOfKms(s)) continue;
      const others = Object.entries(s.principals.byKind).flatMap(([kind, values]) =>
        values
          .filter(
            (v) =>
              !(
                kind === "AWS" &&
                isAccountRoot(v) &&
                (account === undefined || principalAccount(v) === account)
              ),
          )
          .map((v) => (kind === "AWS" ? v : `${kind} ${v}`)),
      );
      if (s.principals.anyone) others.unshift('"*"');
      if (others.length > 0)
        report(
          `Grant ${others.join(", ")} only the KMS actions it uses in the ${name} of the key policy of ${args.name}: kms:* administers the key and belongs to the account root${account === undefined ? "" : ` (${account})`} only.`,
        );
    }
  },
};
