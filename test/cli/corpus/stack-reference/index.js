"use strict";
const aws = require("@pulumi/aws");
const pulumi = require("@pulumi/pulumi");
const { envstack, environment } = require("../shared/environment");

const base = envstack();
const { provider, scoped } = environment();

const shared = new pulumi.StackReference("acme/network/shared");
new aws.ssm.Parameter(
  "corpus-shared-vpc",
  { name: scoped("corpus", "shared-vpc"), type: "String", value: shared.requireOutput("vpcId") },
  { provider },
);

module.exports = {
  ...base,
  sharedStack: shared.name,
  sharedVpcId: shared.getOutput("vpcId"),
};
