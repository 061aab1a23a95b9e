import { RDS_INSTANCE, REPLICATION_GROUP } from "../data-safety";
import { expectProp, fsbp, isSet, isTrue, type ResourcePolicyDefinition } from "../support";
import { KMS_PROPERTY } from "./shared";

export const encryptionAtRest: ResourcePolicyDefinition = {
  name: "encryption-at-rest",
  description:
    "Checks whether databases, caches, log groups, SNS topics and secrets encrypt their data at rest (with a customer-managed KMS key where the service takes one).",
  severity: "high",
  framework: fsbp("RDS.3", "RDS DB instances should have encryption at-rest enabled"),
  remediationSteps:
    "Set storageEncrypted on RDS instances, atRestEncryptionEnabled on ElastiCache replication groups, and the environment's KMS key on log groups (kmsKeyId), SNS topics (kmsMasterKeyId) and secrets (kmsKeyId).",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: () => ({
    customerManagedKeyTypes: {
      type: "array",
      items: { type: "string" },
      description: "Resource types that must name a customer-managed KMS key.",
      default: Object.keys(KMS_PROPERTY),
    },
  }),
  validateResource: (args, report, { stack, settings }) => {
    if (args.type === RDS_INSTANCE) {
      expectProp(
        report,
        args.props,
        "storageEncrypted",
        isTrue,
        `Set storageEncrypted to true on ${args.name}: ${stack} encrypts databases at rest.`,
      );
    }
    if (args.type === REPLICATION_GROUP) {
      expectProp(
        report,
        args.props,
        "atRestEncryptionEnabled",
        isTrue,
        `Set atRestEncryptionEnabled to true on ${args.name}: ${stack} encrypts caches at rest.`,
      );
    }
    const property = KMS_PROPERTY[args.type];
    if (property && settings.list("customerManagedKeyTypes").includes(args.type)) {
      expectProp(
        report,
        args.props,
        property,
        isSet,
        `Set ${property} on ${args.name}: ${stack} encrypts it with the environment's KMS key.`,
        "passes",
      );
    }
  },
};
