"use strict";
const aws = require("@pulumi/aws");
const pulumi = require("@pulumi/pulumi");
const { envstack, environment } = require("../shared/environment");

const base = envstack();
const { provider, scoped } = environment();

const queue = new aws.sqs.Queue("corpus-jobs", {}, { provider });
// Known in a preview: the chain starts from a plain value.
const name = pulumi
  .output(scoped("corpus"))
  .apply((prefix) => `${prefix}/jobs`)
  .apply((parameter) => parameter.toLowerCase());
// Unknown in a preview: a queue's URL is computed by the provider.
const value = queue.url
  .apply((url) => url.replace("https://", ""))
  .apply((host) => `sqs://${host}`);
const parameter = new aws.ssm.Parameter(
  "corpus-jobs-endpoint",
  { name, type: "String", value },
  { provider },
);

module.exports = { ...base, jobsParameter: parameter.name };
