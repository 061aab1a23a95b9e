import type { PolicyResource } from "@pulumi/policy";
import { ofType, read, show, whenKnown, type StackPolicyDefinition } from "../support";
import { TASK_DEFINITION, ECS_SERVICE, ECS_TASK_SET, taskDefinitionRef } from "./shared";

export const servicesRunDeclaredTaskDefinitions: StackPolicyDefinition = {
  name: "services-run-declared-task-definitions",
  description:
    "Checks whether every ECS service and task set runs a task definition the stack declares (by dependency on it, or by its family or ARN), so the image checks see every image a service can run.",
  severity: "critical",
  documentation: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html",
  remediationSteps:
    "Pass the declared task definition's `arn` output as the service's taskDefinition (the service component does). A literal family or ARN passes only when it names a declared family, and its revision cannot be checked before the update; a looked-up or foreign task definition runs images no stack file names. This policy cannot be suppressed.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: false,
  validateStack: (args, report, { stack }) => {
    const declared = ofType(args.resources, TASK_DEFINITION);
    const familyOf = (t: PolicyResource) => {
      const family = whenKnown(() => t.props["family"] as unknown);
      return typeof family === "string" ? family : undefined;
    };
    const families = declared.map(familyOf).filter((f): f is string => f !== undefined);
    const runners = args.resources.filter((r) => r.type === ECS_SERVICE || r.type === ECS_TASK_SET);
    for (const runner of runners) {
      const on = { urn: runner.urn };
      const wired = (runner.propertyDependencies?.["taskDefinition"] ?? []).filter((d) =>
        declared.some((t) => t.urn === d.urn),
      );
      const value = read(runner.props, "taskDefinition");
      if (!value.known) {
        if (wired.length > 0) continue;
        report(
          `Set taskDefinition on ${runner.name} to a task definition the stack declares: ${stack} services run only declared task definitions (found a value unknown during preview that depends on none).`,
          on,
        );
        continue;
      }
      // A service without one runs the task sets of an external deployment controller, checked
      // on their own; ECS refuses it under the ECS and CodeDeploy controllers.
      if (value.value === undefined || value.value === null) continue;
      const ref = typeof value.value === "string" ? taskDefinitionRef(value.value) : undefined;
      const wiredFamilies = wired.map(familyOf);
      const ok =
        ref !== undefined &&
        (wired.length > 0
          ? wiredFamilies.some((f) => f === undefined || f === ref.family)
          : families.includes(ref.family));
      if (ok) continue;
      const expected = wired.length > 0 ? wiredFamilies : families;
      report(
        `Set taskDefinition on ${runner.name} to ${expected.length > 0 ? `the declared task definition (family ${expected.filter((f) => f !== undefined).join(" or ")})` : "a task definition the stack declares"}: ${stack} services run only declared task definitions, whose images the promotion checks see (found ${show(value.value)}).`,
        on,
      );
    }
  },
};
