import { scopePrefix } from "../../src/model";
import { stackFileSettings } from "../baselines";
import { read, show, type ResourcePolicyDefinition } from "../support";
import { appOf, SCOPED } from "./shared";

export const awsNamesScoped: ResourcePolicyDefinition = {
  name: "aws-names-scoped",
  description:
    "Checks whether SSM parameters, secrets and log groups are named under the stack's scope /<stack>/<app>/.",
  severity: "medium",
  remediationSteps:
    "Name them with src/model scopedName(stack, app, ...) or logGroupName(stack, app, component); IAM grants are scoped to that prefix.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: stackFileSettings,
  validateResource: (args, report, { stack, settings }) => {
    const property = SCOPED[args.type];
    if (!property) return;
    const name = read(args.props, property);
    if (!name.known) {
      report(`Cannot check ${property} during preview: ${name.reason}.`, { level: "advisory" });
      return;
    }
    const app = appOf(settings, stack, report);
    if (app === undefined) return;
    const prefix = scopePrefix(stack, app);
    if (typeof name.value === "string" && name.value.startsWith(prefix)) return;
    report(
      `Name ${args.name} under ${prefix}: parameters, secrets and log groups stay in their stack's scope (found ${name.value === undefined ? "a generated name" : show(name.value)}).`,
    );
  },
};
