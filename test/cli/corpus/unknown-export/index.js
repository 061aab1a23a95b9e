"use strict";
const aws = require("@pulumi/aws");
const { envstack, environment } = require("../shared/environment");

const base = envstack();
const { provider } = environment();

// A queue's URL is computed by the provider: unknown in a preview, so are its applies.
const queue = new aws.sqs.Queue("corpus-unknowns", {}, { provider });

module.exports = {
  ...base,
  unknownUrl: queue.url,
  unknownHost: queue.url.apply((url) => new URL(url).host),
  nested: { url: queue.url, arn: queue.arn },
};
