"use strict";
const aws = require("@pulumi/aws");
const { envstack, environment } = require("../shared/environment");

const base = envstack();
const { provider } = environment();

// ignoreChanges only keeps a live value across updates: a new resource is created with the
// inputs it declares, so the pack judges the tag it sets.
new aws.sqs.Queue(
  "corpus-shared-inbox",
  { tags: { env: "shared" } },
  { provider, ignoreChanges: ["tags"] },
);

module.exports = base;
