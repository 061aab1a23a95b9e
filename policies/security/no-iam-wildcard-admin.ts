import { adminStatements, declaredDocuments, readDocument, statementName } from "../iam";
import { fsbp, isUnknown, whenKnown, type ResourcePolicyDefinition } from "../support";
import { reach } from "./shared";

export const noWildcardAdmin: ResourcePolicyDefinition = {
  name: "no-iam-wildcard-admin",
  description:
    'Checks whether any IAM policy document (a policy, a role, user or group policy, a role\'s inline policies) allows every action ("*", "*:*"), a whole identity service ("iam:*", "sts:*", "organizations:*", ...) or everything but some actions (NotAction), on every resource ("*" or NotResource).',
  severity: "critical",
  framework: fsbp("IAM.1", 'IAM policies should not allow full "*" administrative privileges'),
  documentation:
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html",
  remediationSteps:
    "Grant the actions a role needs on the resources it needs, scoped by ARN or by the env/app tags; list actions instead of NotAction; grant IAM, STS and Organizations actions by name, on the ARNs they concern.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateResource: (args, report) => {
    const docs = whenKnown(() => declaredDocuments(args.type, args.props));
    if (isUnknown(docs)) {
      report(`Cannot check the policy document during preview: ${docs.reason}.`, {
        level: "advisory",
      });
      return;
    }
    for (const { label, document } of docs) {
      const doc = readDocument(document);
      if (isUnknown(doc)) {
        report(`Cannot check the ${label} of ${args.name} during preview: ${doc.reason}.`, {
          level: "advisory",
        });
        continue;
      }
      if (doc === undefined) {
        if (document !== undefined)
          report(`Make the ${label} of ${args.name} a JSON policy document: it cannot be read.`);
        continue;
      }
      for (const { statement, what } of adminStatements(doc)) {
        report(
          `Remove the ${statementName(statement)} allowing ${what} on ${reach(statement)} from the ${label} of ${args.name}: grant only the actions needed, on the resources needed.`,
        );
      }
    }
  },
};
