import { describe, expect, it } from "vitest";
import {
  deployPermissionsPolicy,
  type DeployPermissionsInput,
  type PolicyStatement,
} from "../../src/aws/deploy-role";
import { MOCK_ACCOUNT_ID } from "../../src/cli/mocks";
import { REGION, TYPES, githubWith, runGovernance, single } from "./support";

const OIDC = `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`;

const base: DeployPermissionsInput = {
  stack: "stage",
  app: "trading",
  partition: "aws",
  region: REGION,
  accountId: MOCK_ACCOUNT_ID,
  project: "envstack",
  roleName: "trading-stage-deploy",
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
      "ServiceRolesNamedForThisEnvironment",
      "PassOnlyThisEnvironmentsRoles",
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
      StringEquals: { "aws:ResourceTag/env": "stage", "aws:ResourceTag/app": "trading" },
    });
    expect(statement(statements, "CreateResourcesTaggedForThisEnvironment").Condition).toEqual({
      StringEquals: { "aws:RequestTag/env": "stage", "aws:RequestTag/app": "trading" },
    });
    expect(statement(statements, "DenyRetaggingOtherEnvironments")).toMatchObject({
      Effect: "Deny",
      Condition: {
        StringNotEquals: { "aws:ResourceTag/env": "stage" },
        Null: { "aws:ResourceTag/env": "false" },
      },
    });
  });

  it("passes and edits only the environment's roles, never the deploy role itself", () => {
    expect(statement(statements, "PassOnlyThisEnvironmentsRoles")).toEqual({
      Sid: "PassOnlyThisEnvironmentsRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/trading-stage-*`,
    });
    expect(statement(statements, "ServiceRolesNamedForThisEnvironment").Resource).toEqual([
      `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/trading-stage-*`,
      `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy/trading-stage-*`,
    ]);
    const own = statement(statements, "ReadOwnTrust");
    expect(own.Resource).toEqual([
      OIDC,
      `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/ci/trading-stage-deploy`,
    ]);
    for (const a of asList(own.Action)) expect(a).toMatch(/^iam:(Get|List)/);
  });

  it("scopes parameters, secrets and log groups to /<stack>/<app>/", () => {
    expect(
      statement(statements, "ParametersSecretsAndLogsUnderTheEnvironmentPath").Resource,
    ).toEqual([
      `arn:aws:ssm:${REGION}:${MOCK_ACCOUNT_ID}:parameter/stage/trading/*`,
      `arn:aws:secretsmanager:${REGION}:${MOCK_ACCOUNT_ID}:secret:/stage/trading/*`,
      `arn:aws:logs:${REGION}:${MOCK_ACCOUNT_ID}:log-group:/stage/trading/*`,
    ]);
  });

  it("reaches this stack's state objects and secrets key when they are in AWS", () => {
    const withState = deployPermissionsPolicy({
      ...base,
      stateBucket: "acme-pulumi-state",
      secretsKeyArn: `arn:aws:kms:${REGION}:${MOCK_ACCOUNT_ID}:alias/pulumi-stage`,
    }).Statement;
    expect(withState.slice(statements.length)).toEqual([
      {
        Sid: "ListPulumiState",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: "arn:aws:s3:::acme-pulumi-state",
        Condition: { StringLike: { "s3:prefix": [".pulumi/*"] } },
      },
      {
        Sid: "ReadBackendMetadata",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: "arn:aws:s3:::acme-pulumi-state/.pulumi/meta.yaml",
      },
      {
        Sid: "ThisStacksPulumiState",
        Effect: "Allow",
        Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
        Resource: [
          "arn:aws:s3:::acme-pulumi-state/.pulumi/*/envstack/stage.json*",
          "arn:aws:s3:::acme-pulumi-state/.pulumi/*/envstack/stage/*",
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
    const run = await runGovernance("stage", {
      "envstack:github": githubWith("stage", { stateBucket: "acme-pulumi-state" }),
    });
    const attached = single(run, TYPES.rolePolicy);
    expect(attached.name).toBe("trading-stage-deploy-permissions");
    expect(attached.inputs["name"]).toBe("deploy-environment");
    expect(attached.inputs["role"]).toBe("trading-stage-deploy");
    expect(JSON.parse(String(attached.inputs["policy"]))).toEqual(
      deployPermissionsPolicy({ ...base, stateBucket: "acme-pulumi-state" }),
    );
  });
});
