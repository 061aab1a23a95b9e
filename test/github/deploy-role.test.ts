import { SAMPLE } from "../harness/sample";
import { describe, expect, it } from "vitest";
import {
  deployPermissionsPolicy,
  type DeployPermissionsInput,
  type PolicyStatement,
} from "../../src/aws/deploy-role";
import { MOCK_ACCOUNT_ID } from "../../src/engine/mocks";
import { one, runStack } from "../program/harness";
import { REGION, TYPES, githubWith } from "./support";

const OIDC = `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`;
const BOUNDARY = `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy/ci/${SAMPLE.app}-stage-boundary`;

const base: DeployPermissionsInput = {
  stack: "stage",
  app: `${SAMPLE.app}`,
  partition: "aws",
  region: REGION,
  accountId: MOCK_ACCOUNT_ID,
  project: "envstack",
  roleName: `${SAMPLE.app}-stage-deploy`,
  oidcProviderArn: OIDC,
};

function statement(statements: readonly PolicyStatement[], sid: string): PolicyStatement {
  const found = statements.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
}

const asList = (v: string | readonly string[] | undefined): readonly string[] =>
  v === undefined ? [] : typeof v === "string" ? [v] : v;

describe("the deploy role's permissions", () => {
  const policy = deployPermissionsPolicy(base);
  const statements = policy.Statement;

  it("has exactly these statements when state and secrets live outside AWS", () => {
    expect(statements.map((s) => s.Sid)).toEqual([
      "PlanningReads",
      "ManageResourcesTaggedForThisEnvironment",
      "CreateResourcesTaggedForThisEnvironment",
      "DenyRetaggingOtherEnvironments",
      "DenyRemovingEnvironmentTags",
      "ParametersSecretsAndLogsUnderTheEnvironmentPath",
      "UntaggableResourcesNamedForThisEnvironment",
      "RdsManagedMasterUserSecrets",
      "CreateAndEditRolesOnlyWithinTheBoundary",
      "ServiceRolesNamedForThisEnvironment",
      "ReadTheBoundary",
      "DenyRemovingBoundaries",
      "DenyChangingTheBoundary",
      "PassOnlyThisEnvironmentsRoles",
      "FunctionsNamedForThisEnvironment",
      "ServiceLinkedRoles",
      "ReadOwnTrust",
    ]);
  });

  it("never allows everything, and allows unscoped resources only to reads or under a condition", () => {
    for (const s of statements.filter((x) => x.Effect === "Allow")) {
      const actions = asList(s.Action);
      expect(actions, s.Sid).not.toContain("*");
      if (asList(s.Resource).includes("*") && s.Condition === undefined) {
        for (const a of actions) expect(a, s.Sid).toMatch(/^[a-z0-9-]+:(Describe|List|Get)/);
      }
    }
  });

  it("manages existing resources only when tagged for this environment", () => {
    expect(statement(statements, "ManageResourcesTaggedForThisEnvironment").Condition).toEqual({
      StringEquals: { "aws:ResourceTag/env": "stage", "aws:ResourceTag/app": `${SAMPLE.app}` },
    });
    expect(statement(statements, "CreateResourcesTaggedForThisEnvironment").Condition).toEqual({
      StringEquals: { "aws:RequestTag/env": "stage", "aws:RequestTag/app": `${SAMPLE.app}` },
    });
    expect(statement(statements, "DenyRetaggingOtherEnvironments")).toMatchObject({
      Effect: "Deny",
      Condition: {
        StringNotEquals: { "aws:ResourceTag/env": "stage" },
        Null: { "aws:ResourceTag/env": "false" },
      },
    });
  });

  it("creates and edits roles only with the environment's boundary, and never changes it", () => {
    expect(statement(statements, "CreateAndEditRolesOnlyWithinTheBoundary")).toEqual({
      Sid: "CreateAndEditRolesOnlyWithinTheBoundary",
      Effect: "Allow",
      Action: [
        "iam:AttachRolePolicy",
        "iam:CreateRole",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:PutRolePolicy",
      ],
      Resource: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${SAMPLE.app}-stage-*`,
      Condition: { StringEquals: { "iam:PermissionsBoundary": BOUNDARY } },
    });
    // No role write that names a boundary is allowed without the condition.
    const unconditioned = statements
      .filter((s) => s.Effect === "Allow" && s.Condition === undefined)
      .flatMap((s) => asList(s.Action));
    for (const a of [
      "iam:AttachRolePolicy",
      "iam:CreateRole",
      "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
      "iam:DeleteRolePermissionsBoundary",
    ])
      expect(unconditioned).not.toContain(a);
    expect(statement(statements, "ReadTheBoundary")).toEqual({
      Sid: "ReadTheBoundary",
      Effect: "Allow",
      Action: ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"],
      Resource: BOUNDARY,
    });
    expect(statement(statements, "DenyRemovingBoundaries")).toEqual({
      Sid: "DenyRemovingBoundaries",
      Effect: "Deny",
      Action: "iam:DeleteRolePermissionsBoundary",
      Resource: "*",
    });
    expect(statement(statements, "DenyChangingTheBoundary")).toEqual({
      Sid: "DenyChangingTheBoundary",
      Effect: "Deny",
      Action: [
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:TagPolicy",
        "iam:UntagPolicy",
      ],
      Resource: BOUNDARY,
    });
  });

  it("passes only the environment's roles, only to the services that take them", () => {
    expect(statement(statements, "PassOnlyThisEnvironmentsRoles")).toEqual({
      Sid: "PassOnlyThisEnvironmentsRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${SAMPLE.app}-stage-*`,
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

  it("edits only the environment's roles and policies, never the deploy role or the boundary", () => {
    const named = statement(statements, "ServiceRolesNamedForThisEnvironment");
    expect(named.Resource).toEqual([
      `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${SAMPLE.app}-stage-*`,
      `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy/${SAMPLE.app}-stage-*`,
    ]);
    // The boundary (policy/ci/...) and the deploy role (role/ci/...) match no grant above.
    for (const r of asList(named.Resource)) {
      const pattern = new RegExp(
        `^${r.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\\\*/g, ".*")}$`,
      );
      expect(BOUNDARY).not.toMatch(pattern);
      expect(`arn:aws:iam::${MOCK_ACCOUNT_ID}:role/ci/${SAMPLE.app}-stage-deploy`).not.toMatch(
        pattern,
      );
    }
    const own = statement(statements, "ReadOwnTrust");
    expect(own.Resource).toEqual([
      OIDC,
      `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/ci/${SAMPLE.app}-stage-deploy`,
    ]);
    for (const a of asList(own.Action)) expect(a).toMatch(/^iam:(Get|List)/);
  });

  it("encrypts and decrypts only with KMS keys tagged for the environment", () => {
    const crypto = /^kms:(\*|Decrypt|Encrypt|GenerateDataKey|ReEncrypt)/;
    const grants = statements.filter(
      (s) => s.Effect === "Allow" && asList(s.Action).some((a) => crypto.test(a)),
    );
    expect(grants.map((s) => [s.Sid, s.Resource, s.Condition])).toEqual([
      [
        "ManageResourcesTaggedForThisEnvironment",
        "*",
        {
          StringEquals: { "aws:ResourceTag/env": "stage", "aws:ResourceTag/app": `${SAMPLE.app}` },
        },
      ],
      [
        // Only requests that tag what they create: Decrypt and Encrypt carry no request tags.
        "CreateResourcesTaggedForThisEnvironment",
        "*",
        { StringEquals: { "aws:RequestTag/env": "stage", "aws:RequestTag/app": `${SAMPLE.app}` } },
      ],
    ]);
  });

  it("scopes parameters, secrets and log groups to /<stack>/<app>/", () => {
    expect(
      statement(statements, "ParametersSecretsAndLogsUnderTheEnvironmentPath").Resource,
    ).toEqual([
      `arn:aws:ssm:${REGION}:${MOCK_ACCOUNT_ID}:parameter/stage/${SAMPLE.app}/*`,
      `arn:aws:secretsmanager:${REGION}:${MOCK_ACCOUNT_ID}:secret:/stage/${SAMPLE.app}/*`,
      `arn:aws:logs:${REGION}:${MOCK_ACCOUNT_ID}:log-group:/stage/${SAMPLE.app}/*`,
    ]);
  });

  it("reaches this stack's state objects and secrets key when they are in AWS", () => {
    const withState = deployPermissionsPolicy({
      ...base,
      stateBucket: `${SAMPLE.owner}-pulumi-state`,
      secretsKeyArn: `arn:aws:kms:${REGION}:${MOCK_ACCOUNT_ID}:alias/pulumi-stage`,
    }).Statement;
    expect(withState.slice(statements.length)).toEqual([
      {
        Sid: "ListPulumiState",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: `arn:aws:s3:::${SAMPLE.owner}-pulumi-state`,
        Condition: { StringLike: { "s3:prefix": [".pulumi/*"] } },
      },
      {
        Sid: "ReadBackendMetadata",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::${SAMPLE.owner}-pulumi-state/.pulumi/meta.yaml`,
      },
      {
        Sid: "ThisStacksPulumiState",
        Effect: "Allow",
        Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
        Resource: [
          `arn:aws:s3:::${SAMPLE.owner}-pulumi-state/.pulumi/*/envstack/stage.json*`,
          `arn:aws:s3:::${SAMPLE.owner}-pulumi-state/.pulumi/*/envstack/stage/*`,
        ],
      },
      {
        Sid: "StackSecretsKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
        Resource: `arn:aws:kms:${REGION}:${MOCK_ACCOUNT_ID}:alias/pulumi-stage`,
      },
    ]);
  });

  it("is what the component attaches to the role, with the stack's state settings", async () => {
    const run = await runStack("stage", {
      "envstack:github": githubWith("stage", { stateBucket: `${SAMPLE.owner}-pulumi-state` }),
    });
    // The AWS environment's deploy role (GitHub governance still declares its own, for now).
    const attached = one(run, TYPES.rolePolicy, "deploy-permissions");
    expect(attached.inputs["name"]).toBe("deploy-environment");
    expect(attached.inputs["role"]).toBe(`${SAMPLE.app}-stage-deploy`);
    expect(JSON.parse(String(attached.inputs["policy"]))).toEqual(
      deployPermissionsPolicy({ ...base, stateBucket: `${SAMPLE.owner}-pulumi-state` }),
    );
  });
});
