import { AWS_DOCS, RDS_POSTGRES_INSTANCE_CLASSES, isPostgresInstanceClass } from "../../src/model";
import { RDS_INSTANCE } from "../data-safety";
import { read, show, type ResourcePolicyDefinition } from "../support";
import { EVERYWHERE, known } from "./shared";

export const databaseInstanceClassOffered: ResourcePolicyDefinition = {
  name: "database-instance-class-offered",
  description:
    "Checks whether every PostgreSQL instance, primary or replica, uses an instance class RDS offers for PostgreSQL.",
  severity: "high",
  documentation: AWS_DOCS.rdsInstanceClasses,
  remediationSteps:
    "Set envstack:database.instanceClass to an instance class of src/model/catalogue.ts, such as db.r6g.large.",
  levels: EVERYWHERE,
  suppressible: false,
  validateResource: (args, report) => {
    if (args.type !== RDS_INSTANCE) return;
    const engine = read(args.props, "engine");
    // A replica inherits its engine from the source; only a known other engine is skipped.
    if (engine.known && engine.value !== undefined && engine.value !== "postgres") return;
    const cls = known(report, args.props, "instanceClass");
    if (cls === undefined) return;
    if (typeof cls.value === "string" && isPostgresInstanceClass(cls.value)) return;
    const families = [
      ...new Set(RDS_POSTGRES_INSTANCE_CLASSES.map((c) => c.split(".").slice(0, 2).join("."))),
    ];
    report(
      `Set instanceClass on ${args.name} to one RDS offers for PostgreSQL (families ${families.join(", ")}): found ${show(cls.value)}.`,
    );
  },
};
