"use strict";
const aws = require("@pulumi/aws");
const { envstack, environment, ECS_TASKS_TRUST } = require("../shared/environment");

const base = envstack();
const { provider, boundary } = environment();

const worker = new aws.iam.Role(
  "corpus-worker",
  { assumeRolePolicy: ECS_TASKS_TRUST, permissionsBoundary: boundary },
  { provider },
);
// The role object itself as the input, as the AWS provider's examples write it; the policy
// allows everything on everything.
new aws.iam.RolePolicy(
  "corpus-worker-admin",
  {
    role: worker,
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    }),
  },
  { provider },
);

module.exports = { ...base, workerRoleArn: worker.arn };
