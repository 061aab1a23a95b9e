"use strict";
const aws = require("@pulumi/aws");
const { envstack, environment } = require("../../shared/environment");

const base = envstack();
const { provider } = environment();
new aws.sqs.Queue("corpus-from-directory", {}, { provider });

module.exports = base;
