import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_ACCOUNT_ID } from "../../src/cli/mocks";
import { previewPermissionsPolicy } from "../../src/aws/preview-role";
import { STACKS, type StackName } from "../../src/model";
import type { RegisteredResource } from "../../src/cli/mock-run";
import { isReadOnlyAction } from "../../policies/security";
import { runStack } from "../program/harness";

const PREVIEW_ROLE = "envstack:aws:PreviewRole";
const REPO_VARIABLE = "github:index/actionsVariable:ActionsVariable";

async function run(stack: StackName): Promise<readonly RegisteredResource[]> {
  return (await runStack(stack)).resources;
}

function statementsOf(document: unknown): { Effect: string; Action: string | string[] }[] {
  return (
    JSON.parse(String(document)) as { Statement: { Effect: string; Action: string | string[] }[] }
  ).Statement;
}

describe.each(STACKS)("the %s preview role", (stack) => {
  let resources: readonly RegisteredResource[];
  let children: RegisteredResource[];
  beforeAll(async () => {
    resources = await run(stack);
    const component = resources.find((r) => r.type === PREVIEW_ROLE);
    children = resources.filter((r) => r.parent === component?.urn);
  });

  it("trusts only the repository's pull-request jobs, for AWS STS", () => {
    const role = children.find((r) => r.type === "aws:iam/role:Role")!;
    expect(role.name).toBe(`trading-${stack}-preview-role`);
    expect(role.inputs["name"]).toBe(`trading-${stack}-preview`);
    expect(role.inputs["path"]).toBe("/ci/");
    expect(role.inputs["tags"]).toEqual({ "ci-role": "preview" });
    expect(JSON.parse(String(role.inputs["assumeRolePolicy"]))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: {
            Federated: `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`,
          },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
              "token.actions.githubusercontent.com:sub": "repo:acme/trading-platform:pull_request",
            },
          },
        },
      ],
    });
  });

  it("only reads", () => {
    const policy = children.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy")!;
    const actions = statementsOf(policy.inputs["policy"]).flatMap((s) => [s.Action].flat());
    expect(actions.length).toBeGreaterThan(20);
    expect(actions.filter((a) => !isReadOnlyAction(a))).toEqual([]);
  });

  it("publishes its ARN and the region as repository variables for pull-request jobs", () => {
    const prefix = stack.toUpperCase();
    const variables = resources
      .filter((r) => r.type === REPO_VARIABLE)
      .map((r) => [r.inputs["variableName"], r.inputs["value"]])
      .sort();
    expect(variables).toEqual([
      [
        `${prefix}_AWS_PREVIEW_ROLE_ARN`,
        `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/ci/trading-${stack}-preview`,
      ],
      [`${prefix}_AWS_REGION`, "eu-west-1"],
    ]);
  });
});

describe("preview permissions with a self-managed backend", () => {
  it("read the stack's own state objects and decrypt its secrets, and change nothing", () => {
    const doc = previewPermissionsPolicy({
      stack: "prod",
      partition: "aws",
      project: "envstack",
      stateBucket: "acme-pulumi-state",
      secretsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/abc",
    });
    expect(doc.Statement.slice(1)).toEqual([
      {
        Sid: "ListPulumiState",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: "arn:aws:s3:::acme-pulumi-state",
        Condition: { StringLike: { "s3:prefix": [".pulumi/*"] } },
      },
      {
        Sid: "ReadThisStacksPulumiState",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [
          "arn:aws:s3:::acme-pulumi-state/.pulumi/meta.yaml",
          "arn:aws:s3:::acme-pulumi-state/.pulumi/*/envstack/prod.json*",
          "arn:aws:s3:::acme-pulumi-state/.pulumi/*/envstack/prod/*",
        ],
      },
      {
        Sid: "DecryptStackSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: "arn:aws:kms:eu-west-1:123456789012:key/abc",
      },
    ]);
    // Decrypting the stack's own secrets is how a preview reads them; nothing else is not a read.
    const actions = doc.Statement.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => !isReadOnlyAction(a))).toEqual(["kms:Decrypt"]);
  });
});
