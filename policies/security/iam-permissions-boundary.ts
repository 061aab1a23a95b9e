import { physicalPrefix } from "../../src/model/naming";
import { baselineOf, stackFileSettings } from "../baselines";
import { IAM_ROLE } from "../iam";
import { read, show, type ResourcePolicyDefinition } from "../support";
import { CI_ROLE_PATH } from "./shared";

export const iamPermissionsBoundary: ResourcePolicyDefinition = {
  name: "iam-permissions-boundary",
  description:
    "Checks whether every IAM role outside the CI path /ci/ carries the stack's permissions boundary (policy/ci/<app>-<stack>-boundary), so no role of one environment reaches another's resources in a shared account.",
  severity: "critical",
  remediationSteps:
    "Set permissionsBoundary on the role to the environment's boundary (the deploy role's boundaryPolicyArn, policy/ci/<app>-<stack>-boundary); the deploy role can create no role without it.",
  levels: { development: "mandatory", "production-like": "mandatory", production: "mandatory" },
  suppressible: false,
  settings: stackFileSettings,
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== IAM_ROLE) return;
    const rolePath = read(args.props, "path");
    if (!rolePath.known) {
      report(`Cannot check the path of ${args.name} during preview: ${rolePath.reason}.`, {
        level: "advisory",
      });
      return;
    }
    if (rolePath.value === CI_ROLE_PATH) return;
    const baseline = baselineOf(settings, stack);
    if (!baseline.ok) {
      report(baseline.message);
      return;
    }
    const expected = `:policy${CI_ROLE_PATH}${physicalPrefix(stack, baseline.spec.app)}-boundary`;
    const boundary = read(args.props, "permissionsBoundary");
    if (!boundary.known) {
      report(
        `Cannot check permissionsBoundary of ${args.name} during preview: ${boundary.reason}.`,
        { level: "advisory" },
      );
      return;
    }
    if (typeof boundary.value === "string" && boundary.value.endsWith(expected)) return;
    report(
      `Set permissionsBoundary on ${args.name} to the ${stack} boundary (arn ending ${expected}): every role outside ${CI_ROLE_PATH} is bounded to its own environment (found ${show(boundary.value)}).`,
    );
  },
};
