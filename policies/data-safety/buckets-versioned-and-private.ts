import { fsbp, isTrue, read, type StackPolicyDefinition } from "../support";
import {
  BUCKETS,
  VERSIONINGS,
  PUBLIC_ACCESS_BLOCK,
  PUBLIC_ACCESS_FLAGS,
  attachedTo,
} from "./shared";

export const bucketsVersionedAndPrivate: StackPolicyDefinition = {
  name: "buckets-versioned-and-private",
  description:
    "Checks whether every S3 bucket has versioning enabled and a public access block with all four settings on.",
  severity: "high",
  framework: fsbp("S3.8", "S3 general purpose buckets should block public access"),
  remediationSteps:
    "Declare, next to each bucket, an aws.s3.BucketVersioning with status Enabled and an aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  validateStack: (args, report, { stack }) => {
    for (const bucket of args.resources.filter((r) => BUCKETS.includes(r.type))) {
      const on = (message: string) => report(message, { urn: bucket.urn });
      const versionings = attachedTo(bucket, args.resources, VERSIONINGS);
      const enabled = versionings.some((v) => {
        const status = read(v.props, "versioningConfiguration.status");
        return !status.known || status.value === "Enabled";
      });
      if (!enabled) {
        on(
          `Declare a BucketVersioning with status Enabled for bucket ${bucket.name}: ${stack} keeps every object version.`,
        );
      }
      const blocks = attachedTo(bucket, args.resources, [PUBLIC_ACCESS_BLOCK]);
      if (blocks.length === 0) {
        on(
          `Declare a BucketPublicAccessBlock for bucket ${bucket.name}: no ${stack} bucket is public.`,
        );
        continue;
      }
      for (const flag of PUBLIC_ACCESS_FLAGS) {
        const all = blocks.every((b) => {
          const v = read(b.props, flag);
          return !v.known || isTrue(v.value);
        });
        if (!all)
          on(
            `Set ${flag} to true on the public access block of bucket ${bucket.name}: no ${stack} bucket is public.`,
          );
      }
    }
  },
};
