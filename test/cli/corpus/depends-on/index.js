"use strict";
const aws = require("@pulumi/aws");
const { envstack, environment } = require("../shared/environment");

const base = envstack();
const { provider } = environment();

const bucket = new aws.s3.Bucket("corpus-exports", {}, { provider });
const versioning = new aws.s3.BucketVersioning(
  "corpus-exports-versioning",
  { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
  { provider },
);
new aws.s3.BucketPublicAccessBlock(
  "corpus-exports-public-access",
  {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  },
  { provider, dependsOn: [versioning] },
);
new aws.sqs.Queue("corpus-exports-events", {}, { provider, dependsOn: [bucket, versioning] });

module.exports = { ...base, exportsBucket: bucket.bucket };
