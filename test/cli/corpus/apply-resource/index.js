"use strict";
const aws = require("@pulumi/aws");
const pulumi = require("@pulumi/pulumi");
const { envstack, environment } = require("../shared/environment");

const base = envstack();
const { app } = environment();

// The apply's value is known in a preview (a config value), so the engine runs it and registers
// the queue; declared without the stack's provider, it gets the default one, which tags nothing.
const late = pulumi
  .output(app)
  .apply((name) => new aws.sqs.Queue("corpus-late", { name: `${name}-late` }));

module.exports = { ...base, lateQueue: late.arn };
