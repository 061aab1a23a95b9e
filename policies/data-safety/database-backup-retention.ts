import { fsbp, isReplica, read, show, toNumber, type ResourcePolicyDefinition } from "../support";
import { environments } from "../../src/model";
import { RDS_INSTANCE } from "./shared";

export const backupRetention: ResourcePolicyDefinition = {
  name: "database-backup-retention",
  description:
    "Checks whether every primary database keeps automated backups for at least the stack's floor of days.",
  severity: "high",
  framework: fsbp("RDS.11", "RDS instances should have automatic backups enabled"),
  remediationSteps:
    "Raise envstack:database.backupRetentionDays to at least the floor (stage and prod: 7 by default; the pack config's minimumDays sets it).",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: (stack) => ({
    minimumDays: {
      type: "integer",
      minimum: 0,
      maximum: 35,
      description: "Fewest days of automated backups a primary database keeps.",
      default: environments().role(stack) === "development" ? 1 : 7,
    },
  }),
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== RDS_INSTANCE || isReplica(args.props)) return;
    const floor = settings.number("minimumDays");
    const r = read(args.props, "backupRetentionPeriod");
    if (!r.known) {
      report(`Cannot check backupRetentionPeriod during preview: ${r.reason}.`, {
        level: "advisory",
      });
      return;
    }
    const days = r.value === undefined ? 0 : toNumber(r.value);
    if (!(days >= floor)) {
      report(
        `Set backupRetentionPeriod to at least ${floor} on ${args.name}: ${stack} keeps at least ${floor} days of backups (found ${show(r.value)}).`,
      );
    }
  },
};
