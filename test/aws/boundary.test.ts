import { describe, expect, it } from "vitest";
import {
  boundaryPolicyArn,
  environmentBoundaryPolicy,
  IAM_WRITE_ACTIONS,
  type BoundaryInput,
} from "../../src/aws/boundary";
import { deployPermissionsPolicy, type PolicyStatement } from "../../src/aws/deploy-role";

const ACCOUNT = "123456789012";
const base: BoundaryInput = {
  stack: "dev",
  app: "trading",
  partition: "aws",
  region: "eu-west-1",
  accountId: ACCOUNT,
};
const statements = environmentBoundaryPolicy(base).Statement;

function statement(sid: string): PolicyStatement {
  const found = statements.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
const MANAGED_POLICY_MAX = 6144;
const ROLE_INLINE_POLICIES_MAX = 10240;

describe("the environment's permissions boundary", () => {
  it("is named and pathed so the deploy role's policy grant never matches it", () => {
    expect(boundaryPolicyArn("aws", ACCOUNT, "dev", "trading")).toBe(
      `arn:aws:iam::${ACCOUNT}:policy/ci/trading-dev-boundary`,
    );
  });

  it("has exactly these statements", () => {
    expect(statements.map((s) => [s.Sid, s.Effect])).toEqual([
      ["DescribeInRegion", "Allow"],
      ["OperateResourcesTaggedForThisEnvironment", "Allow"],
      ["CreateResourcesTaggedForThisEnvironment", "Allow"],
      ["DenyRetaggingOtherEnvironments", "Deny"],
      ["TaskDefinitionsInRegion", "Allow"],
      ["StopTasksInThisEnvironmentsClusters", "Allow"],
      ["ParametersSecretsAndLogsUnderTheEnvironmentPath", "Allow"],
      ["ReadRdsManagedSecrets", "Allow"],
      ["UseKeysTaggedForThisEnvironment", "Allow"],
      ["GrantKeysTaggedForThisEnvironmentToServices", "Allow"],
      ["PullImages", "Allow"],
      ["WriteTelemetryInRegion", "Allow"],
      ["ReadIam", "Allow"],
      ["PassOnlyThisEnvironmentsRoles", "Allow"],
      ["InvokeThisEnvironmentsFunctions", "Allow"],
      ["DenyIamWrites", "Deny"],
      ["DenyAssumingRolesOutsideThisEnvironment", "Deny"],
    ]);
  });

  it("allows unscoped resources only to reads, or under a region or tag condition", () => {
    const unscopedWrites = statements
      .filter((s) => s.Effect === "Allow" && s.Resource === "*" && s.Condition === undefined)
      .flatMap((s) => ([] as string[]).concat(s.Action))
      .filter((a) => !/^[a-z0-9-]+:(Describe|List|Get|BatchGet|BatchCheck)/.test(a));
    expect(unscopedWrites).toEqual([]);
  });

  it("operates only resources, and uses only keys, tagged for the environment", () => {
    expect(statement("OperateResourcesTaggedForThisEnvironment").Condition).toEqual({
      StringEquals: {
        "aws:ResourceTag/env": "dev",
        "aws:ResourceTag/app": "trading",
        "aws:RequestedRegion": "eu-west-1",
      },
    });
    expect(statement("UseKeysTaggedForThisEnvironment")).toEqual({
      Sid: "UseKeysTaggedForThisEnvironment",
      Effect: "Allow",
      Action: [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
      ],
      Resource: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/*`,
      Condition: {
        StringEquals: { "aws:ResourceTag/env": "dev", "aws:ResourceTag/app": "trading" },
      },
    });
    const kms = statements
      .filter((s) => s.Effect === "Allow")
      .filter((s) =>
        ([] as string[])
          .concat(s.Action)
          .some((a) => /^kms:(Decrypt|Encrypt|Gen|Re|Create)/.test(a)),
      );
    expect(kms.map((s) => s.Sid)).toEqual([
      "UseKeysTaggedForThisEnvironment",
      "GrantKeysTaggedForThisEnvironmentToServices",
    ]);
  });

  it("stops only tasks of the environment's clusters (the migration task carries no tags)", () => {
    expect(statement("StopTasksInThisEnvironmentsClusters")).toEqual({
      Sid: "StopTasksInThisEnvironmentsClusters",
      Effect: "Allow",
      Action: "ecs:StopTask",
      Resource: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task/trading-dev-*/*`,
    });
    // The migration hook's other actions: reads bounded by region, RunTask by the task
    // definition's env/app tags, PassRole by the environment's role names.
    expect(statement("DescribeInRegion").Action).toEqual(expect.arrayContaining(["ecs:Describe*"]));
    expect(statement("OperateResourcesTaggedForThisEnvironment").Action).toContain("ecs:*");
    expect(statement("PassOnlyThisEnvironmentsRoles").Condition).toEqual({
      StringEquals: { "iam:PassedToService": expect.arrayContaining(["ecs-tasks.amazonaws.com"]) },
    });
  });

  it("reaches parameters, secrets and log groups only under /<stack>/<app>/", () => {
    expect(statement("ParametersSecretsAndLogsUnderTheEnvironmentPath").Resource).toEqual([
      `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/dev/trading/*`,
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:/dev/trading/*`,
      `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/dev/trading/*`,
    ]);
  });

  it("denies every IAM write and assuming any role outside the environment", () => {
    expect(statement("DenyIamWrites")).toEqual({
      Sid: "DenyIamWrites",
      Effect: "Deny",
      Action: [...IAM_WRITE_ACTIONS],
      Resource: "*",
    });
    for (const a of ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"]) {
      const verb = a.replace(/^iam:([A-Z][a-z]+).*$/, "iam:$1*");
      expect(IAM_WRITE_ACTIONS).toContain(verb);
    }
    expect(statement("DenyAssumingRolesOutsideThisEnvironment")).toEqual({
      Sid: "DenyAssumingRolesOutsideThisEnvironment",
      Effect: "Deny",
      Action: "sts:AssumeRole",
      NotResource: `arn:aws:iam::${ACCOUNT}:role/trading-dev-*`,
    });
    expect(statement("PassOnlyThisEnvironmentsRoles")).toEqual({
      Sid: "PassOnlyThisEnvironmentsRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: `arn:aws:iam::${ACCOUNT}:role/trading-dev-*`,
      Condition: {
        StringEquals: {
          "iam:PassedToService": [
            "ecs-tasks.amazonaws.com",
            "vpc-flow-logs.amazonaws.com",
            "ecs.amazonaws.com",
            "lambda.amazonaws.com",
          ],
        },
      },
    });
  });

  it("fits IAM's size quotas, with the longest app name", () => {
    const app = "a".repeat(24);
    const boundary = JSON.stringify(environmentBoundaryPolicy({ ...base, stack: "stage", app }));
    expect(boundary.length).toBeLessThanOrEqual(MANAGED_POLICY_MAX);
    const deploy = JSON.stringify(
      deployPermissionsPolicy({
        ...base,
        stack: "stage",
        app,
        project: "envstack",
        roleName: `${app}-stage-deploy`,
        oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
        stateBucket: "a".repeat(63),
        secretsKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      }),
    );
    expect(deploy.length).toBeLessThanOrEqual(ROLE_INLINE_POLICIES_MAX);
  });
});
