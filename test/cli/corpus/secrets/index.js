"use strict";
const aws = require("@pulumi/aws");
const pulumi = require("@pulumi/pulumi");
const { envstack, environment } = require("../shared/environment");

const base = envstack();
const { provider, scoped } = environment();

const token = pulumi.secret("corpus-token-value");
const parameter = new aws.ssm.Parameter(
  "corpus-token",
  { name: scoped("corpus", "token"), type: "SecureString", value: token },
  { provider, additionalSecretOutputs: ["value"] },
);

module.exports = { ...base, token, tokenVersion: parameter.version };
