import { IAM_ROLE } from "../iam";
import { read, show, type StackPolicyDefinition } from "../support";
import { reportBeyondMetadata, developerReadableData } from "./shared";

export const developerReadOnly: StackPolicyDefinition = {
  name: "developer-read-only",
  description:
    "Checks whether the developer role (an IAM role tagged team-role=developer) only reads metadata in production-like stacks: no write and no read of data or secrets (objects, secret values, decryption, parameters, items, messages) through any policy attached to it, inline, as a role policy or by ARN.",
  severity: "high",
  remediationSteps:
    "Set envstack:access.developer to read-only (or none) for stage and prod and keep the read-only level to Describe/List/Get calls that return metadata; changes reach those stacks through pull requests and deploy jobs, never a developer's role. Data a developer may read (the environment's logs, its plain String parameters) is listed, as ARN patterns, in developerReadableData.",
  levels: { development: "disabled", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: (stack) => ({
    developerReadableData: {
      type: "array",
      items: { type: "string" },
      description:
        "ARN patterns of the resources a developer may read data from (a statement's data reads pass when every resource it names lies within one).",
      default: developerReadableData(stack),
    },
  }),
  validateStack: (args, report, { stack, settings }) => {
    for (const role of args.resources) {
      if (role.type !== IAM_ROLE) continue;
      const team = read(role.props, "tags.team-role");
      if (!team.known || team.value !== "developer") continue;
      const level = read(role.props, "tags.access-level");
      if (level.known && level.value !== undefined && level.value !== "read-only")
        report(
          `Set the developer role ${role.name} to read-only: developers only read in ${stack} (found ${show(level.value)}).`,
          { urn: role.urn },
        );
      reportBeyondMetadata(
        role,
        args.resources,
        report,
        settings.list("developerReadableData"),
        `developers neither write nor read data in ${stack}`,
      );
    }
  },
};
