"use strict";
const aws = require("@pulumi/aws");
const { envstack, environment } = require("../shared/environment");

module.exports = async () => {
  const base = envstack();
  const { provider } = environment();
  const zones = await aws.getAvailabilityZones({ state: "available" }, { provider });
  const queue = new aws.sqs.Queue(
    "corpus-async",
    { delaySeconds: zones.names.length },
    { provider },
  );
  return { ...base, zones: zones.names.length, asyncQueue: queue.arn };
};
