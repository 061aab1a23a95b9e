import { AWS_DOCS, POSTGRES_VERSIONS } from "../../src/model";
import { RDS_INSTANCE } from "../data-safety";
import { isReplica, show, type ResourcePolicyDefinition } from "../support";
import { EVERYWHERE, known, creatable } from "./shared";

export const databaseVersionCreatable: ResourcePolicyDefinition = {
  name: "database-engine-version-creatable",
  description:
    "Checks whether every PostgreSQL primary, and every replica that names one, asks for an engine version RDS can still create (deprecated minor versions are refused at creation).",
  severity: "high",
  documentation: AWS_DOCS.postgresVersions,
  remediationSteps:
    "Set envstack:database.engineVersion to a version of src/model/catalogue.ts (the same in all three stack files); move the catalogue forward when RDS deprecates a minor version.",
  levels: EVERYWHERE,
  suppressible: false,
  validateResource: (args, report) => {
    if (args.type !== RDS_INSTANCE) return;
    const replica = isReplica(args.props);
    // A replica takes its source's engine and version unless it names them
    // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html).
    const engine = known(report, args.props, "engine");
    if (engine === undefined) return;
    if (engine.value !== "postgres" && !(replica && engine.value === undefined)) return;
    const version = known(report, args.props, "engineVersion");
    if (version === undefined) return;
    if (replica && (version.value === undefined || version.value === null)) return;
    if (typeof version.value === "string" && creatable(version.value)) return;
    report(
      `Set engineVersion on ${args.name} to one RDS can create today (${POSTGRES_VERSIONS.join(", ")}): RDS refuses to create ${show(version.value)}.`,
    );
  },
};
