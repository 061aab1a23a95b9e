"use strict";
// What the corpus programs start from: this project's compiled program (its entry reads the
// stack's config, validates it and declares the environment) and the stack's names and provider
// for what each case adds, written the way Pulumi programs are usually written.
const path = require("node:path");
const aws = require("@pulumi/aws");
const pulumi = require("@pulumi/pulumi");

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const model = require(path.join(ROOT, "dist", "src", "model"));

/** The envstack program: requiring it declares the stack's environment; these are its exports. */
function envstack() {
  return require(path.join(ROOT, "dist", "src", "program", "main.js"));
}

/**
 * The stack, its app, and an AWS provider carrying the stack's default tags (as src/program/index.ts
 * declares its own), plus the names the pack expects of what a case adds.
 */
function environment() {
  const stack = pulumi.getStack();
  const app = new pulumi.Config("envstack").require("app");
  const region = new pulumi.Config("aws").require("region");
  const provider = new aws.Provider("corpus", {
    region,
    defaultTags: { tags: model.defaultTags(stack, app) },
  });
  const caller = aws.getCallerIdentityOutput({}, { provider });
  return {
    stack,
    app,
    provider,
    /** A parameter name under the stack's scope, `/<stack>/<app>/...`. */
    scoped: (...parts) => model.scopedName(stack, app, ...parts),
    /** The stack's permissions boundary, which every role outside /ci/ carries. */
    boundary: pulumi.interpolate`arn:aws:iam::${caller.accountId}:policy/ci/${model.physicalPrefix(stack, app)}-boundary`,
  };
}

/** A trust policy for ECS tasks, a service the stack's roles may trust. */
const ECS_TASKS_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: "sts:AssumeRole",
      Principal: { Service: "ecs-tasks.amazonaws.com" },
    },
  ],
});

module.exports = { envstack, environment, ECS_TASKS_TRUST };
