import { fsbp, read, show, toNumber, type ResourcePolicyDefinition } from "../support";
import { LOG_GROUP } from "./shared";

export const logRetention: ResourcePolicyDefinition = {
  name: "log-retention-floor",
  description:
    "Checks whether every log group keeps its events for at least the stack's floor of days.",
  severity: "medium",
  framework: fsbp(
    "CloudWatch.16",
    "CloudWatch log groups should be retained for a specified time period",
  ),
  remediationSteps:
    "Raise envstack:observability.logRetentionDays to at least the floor (365 days in prod by default; the pack config's minimumDays sets it).",
  levels: { development: "disabled", "production-like": "disabled", production: "mandatory" },
  suppressible: true,
  settings: () => ({
    minimumDays: {
      type: "integer",
      minimum: 1,
      description: "Fewest days a log group keeps its events.",
      default: 365,
    },
  }),
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== LOG_GROUP) return;
    const floor = settings.number("minimumDays");
    const r = read(args.props, "retentionInDays");
    if (!r.known) {
      report(`Cannot check retentionInDays during preview: ${r.reason}.`, { level: "advisory" });
      return;
    }
    // Unset or 0 means events never expire.
    const days = r.value === undefined ? 0 : toNumber(r.value);
    if (days !== 0 && !(days >= floor)) {
      report(
        `Set retentionInDays to at least ${floor} on ${args.name}: ${stack} keeps logs for at least ${floor} days (found ${show(r.value)}).`,
      );
    }
  },
};
