import { environments } from "../../src/model";
import { stackFileSettings } from "../baselines";
import { scorecard, type StackPolicyDefinition } from "../support";
import { ENVIRONMENTS_DOC, readConfigs, readDeploymentResources, checkEnvironment } from "./shared";

export const deploymentEnvironment: StackPolicyDefinition = {
  name: "deployment-environment-rules",
  description:
    "Checks whether every environment's GitHub deployment environment (declared by the prod stack on the repository the stack files name) deploys only from the environment's branches and, where the promotion model requires a human approval, has exactly the reviewers envstack:github.deploymentReviewers names, prevents self-review, waits envstack:github.waitTimerMinutes and gives admins no bypass.",
  severity: "critical",
  framework: scorecard(
    "Branch-Protection",
    "Deployment protection: required reviewers, no self-review, no admin bypass",
  ),
  documentation: ENVIRONMENTS_DOC,
  remediationSteps:
    "Declare the environment through the GitHub deployment-environment component from src/model ENVIRONMENTS on envstack:github.owner/repository; set envstack:github.deploymentReviewers (two distinct reviewers for prod). These rules cannot be suppressed.",
  levels: { development: "mandatory", "production-like": "mandatory", production: "mandatory" },
  suppressible: false,
  settings: stackFileSettings,
  validateStack: (args, report, { stack, settings }) => {
    if (!environments().holdsGuards(stack)) return;
    const { home, configs } = readConfigs(settings, report);
    if (home === undefined) return;
    const declared = readDeploymentResources(args.resources, report);
    for (const guarded of environments().names)
      checkEnvironment(guarded, declared, home, configs[guarded], report);
  },
};
