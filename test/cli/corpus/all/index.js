"use strict";
const aws = require("@pulumi/aws");
const pulumi = require("@pulumi/pulumi");
const { envstack, environment } = require("../shared/environment");

const base = envstack();
const { stack, app, provider, scoped } = environment();

const queue = new aws.sqs.Queue("corpus-audit", { delaySeconds: 5 }, { provider });
const name = pulumi
  .all([stack, app, queue.delaySeconds])
  .apply(([, , delay]) => scoped("corpus", `audit-${delay}`));
const value = pulumi
  .all([queue.arn, queue.url])
  .apply(([arn, url]) => JSON.stringify({ arn, url }));
new aws.ssm.Parameter("corpus-audit-queue", { name, type: "String", value }, { provider });

module.exports = { ...base, auditQueue: pulumi.all({ arn: queue.arn, url: queue.url }) };
