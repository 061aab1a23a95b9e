import {
  expectProp,
  fsbp,
  isReplica,
  isSet,
  isTrue,
  read,
  type ResourcePolicyDefinition,
} from "../support";
import { environments } from "../../src/model";
import { RDS_INSTANCE } from "./shared";

/**
 * Stage and prod keep deletion protection and a final snapshot on the primary, prod also
 * Pulumi's `protect` (README, "What a stack declares"). Replicas are exempt: a replica holds no
 * data of its own and RDS deletes it only with SkipFinalSnapshot
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html), and its
 * deletion protection is compared with prod's by stage-mirrors-prod instead.
 */
export const prodDatabaseProtected: ResourcePolicyDefinition = {
  name: "prod-database-protected",
  description:
    "Checks whether the primary database of stage and prod has deletion protection and leaves a final snapshot, and in prod carries the protect resource option.",
  severity: "critical",
  framework: fsbp("RDS.8", "RDS DB instances should have deletion protection enabled"),
  remediationSteps:
    "Set envstack:database.deletionProtection to true in Pulumi.stage.yaml and Pulumi.prod.yaml; the database component sets skipFinalSnapshot false and a finalSnapshotIdentifier on the primary in stage and prod, and `protect: true` in prod. Deleting the database takes a reviewed change that lifts them.",
  levels: { development: "disabled", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateResource: (args, report, { stack }) => {
    if (args.type !== RDS_INSTANCE || isReplica(args.props)) return;
    expectProp(
      report,
      args.props,
      "deletionProtection",
      isTrue,
      `Set deletionProtection to true on ${args.name}: ${stack}'s primary database must not be deletable.`,
    );
    const skip = read(args.props, "skipFinalSnapshot");
    const id = read(args.props, "finalSnapshotIdentifier");
    if (!skip.known) {
      report(`Cannot check skipFinalSnapshot during preview: ${skip.reason}.`, {
        level: "advisory",
      });
    } else if (isTrue(skip.value) || (id.known && !isSet(id.value))) {
      report(
        `Set skipFinalSnapshot to false and a finalSnapshotIdentifier on ${args.name}: deleting ${stack}'s primary database must leave a snapshot.`,
      );
    }
    if (environments().role(stack) === "production" && args.opts.protect !== true) {
      report(
        `Set the protect resource option on ${args.name}: Pulumi must refuse to delete ${stack}'s primary database.`,
      );
    }
  },
};
