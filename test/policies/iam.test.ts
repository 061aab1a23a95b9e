import { SAMPLE } from "../harness/sample";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { accessTrustPolicy } from "../../src/aws/access";
import { environments, type StackName } from "../../src/model";
import {
  actionMatches,
  adminStatements,
  classify,
  grantsOf,
  isAdminPattern,
  onEveryResource,
  parseDocument,
  patternWithin,
  patternsOverlap,
  readDocument,
  resourcesWithin,
  rolePolicies,
  type PolicyDocument,
} from "../../policies/iam";
import { stackFileKey } from "../../policies/baselines";
import { UNKNOWN, unknownCheckingProxy } from "../../policies/unknowns";
import {
  checkResource,
  checkStack,
  stackFixtures,
  policy,
  stackArgs,
  urnOf,
  type Fixture,
  type Violation,
} from "./harness";

const ROLE = "aws:iam/role:Role";
const POLICY = "aws:iam/policy:Policy";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ACCOUNT = "123456789012";
const doc = (...statements: Record<string, unknown>[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (action: unknown, resource: unknown = "*"): Record<string, unknown> => ({
  Effect: "Allow",
  Action: action,
  Resource: resource,
});
const parsed = (document: unknown): PolicyDocument => {
  const d = parseDocument(document);
  if (d === undefined) throw new Error("not a document");
  return d;
};
/** The level a policy that is advisory in dev and mandatory elsewhere reports at. */
const levelIn = (stack: StackName) => (stack === "dev" ? "advisory" : "mandatory");
const messagesOf = (found: readonly Violation[]) => found.map((v) => v.message);

describe("reading a policy document", () => {
  it("takes a JSON string or an object, a Statement list or a single statement", () => {
    const one = { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" };
    const fromObject = parsed({ Version: "2012-10-17", Statement: one });
    const fromString = parsed(JSON.stringify({ Version: "2012-10-17", Statement: [one] }));
    expect(fromObject).toEqual(fromString);
    expect(fromObject).toEqual({
      version: "2012-10-17",
      statements: [
        {
          effect: "Allow",
          actions: { not: false, values: ["s3:GetObject"] },
          resources: { not: false, values: ["arn:aws:s3:::b/*"] },
          conditions: {},
        },
      ],
    });
  });

  it("keeps NotAction, NotResource, NotPrincipal and condition keys (lower-cased)", () => {
    const d = parsed(
      doc({
        Sid: "S",
        Effect: "Allow",
        NotAction: "iam:*",
        NotResource: ["arn:aws:s3:::b"],
        NotPrincipal: { AWS: "arn:aws:iam::123456789012:root" },
        Condition: { Bool: { "aws:MultiFactorAuthPresent": true } },
      }),
    );
    expect(d.statements).toEqual([
      {
        sid: "S",
        effect: "Allow",
        actions: { not: true, values: ["iam:*"] },
        resources: { not: true, values: ["arn:aws:s3:::b"] },
        principals: {
          not: true,
          anyone: false,
          byKind: { AWS: ["arn:aws:iam::123456789012:root"] },
        },
        conditions: { Bool: { "aws:multifactorauthpresent": ["true"] } },
      },
    ]);
  });

  it.each([
    ["*", { not: false, anyone: true, byKind: {} }],
    [{ AWS: "*" }, { not: false, anyone: true, byKind: { AWS: ["*"] } }],
    [
      { Service: ["ecs-tasks.amazonaws.com"] },
      { not: false, anyone: false, byKind: { Service: ["ecs-tasks.amazonaws.com"] } },
    ],
  ])("reads the principal %j", (principal, expected) => {
    const d = parsed(doc({ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }));
    expect(d.statements[0]!.principals).toEqual(expected);
  });

  it.each([["not json"], [42], [null], [["a list"]]])("refuses %j as a document", (value) => {
    expect(parseDocument(value)).toBeUndefined();
  });

  it("says why a document holding a value unknown during preview cannot be read", () => {
    const props = unknownCheckingProxy({
      policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: UNKNOWN.string }] },
    });
    expect(readDocument(props.policy)).toEqual({
      known: false,
      reason: expect.stringMatching(/can't be known during preview/),
    });
  });
});

describe("matching actions the AWS way", () => {
  it.each([
    ["iam:ListAccessKeys", "IAM:listaccesskeys", true],
    ["IAM:LISTACCESSKEYS", "iam:ListAccessKeys", true],
    ["s3:Get*", "s3:GetObject", true],
    ["s3:Get*", "s3:PutObject", false],
    ["s3:?etObject", "s3:GetObject", true],
    ["s3:?etObject", "s3:SetObject", true],
    ["s3:?etObject", "s3:GGetObject", false],
    ["*", "kms:Decrypt", true],
    ["*:*", "kms:Decrypt", true],
    ["iam:*AccessKey*", "iam:CreateAccessKey", true],
    ["ec2:Describe*", "ec2:RunInstances", false],
  ])("%s matches %s: %s", (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });

  it.each([
    ["s3:Get*", "s3:GetObject*", true],
    ["s3:*Object", "s3:Get*", true],
    ["ec2:Describe*", "s3:GetObject*", false],
    ["S3:GETOBJECT", "s3:GetObject*", true],
    ["s3:?", "s3:GetObject", false],
  ])("%s and %s overlap: %s", (a, b, expected) => {
    expect(patternsOverlap(a, b)).toBe(expected);
  });

  it.each([
    [
      `arn:aws:ssm:${SAMPLE.region}:1:parameter/prod/app/connections/*`,
      "arn:*:ssm:*:*:parameter/prod/*/connections/*",
      true,
    ],
    [
      `arn:aws:ssm:${SAMPLE.region}:1:parameter/prod/app/*`,
      "arn:*:ssm:*:*:parameter/prod/*/connections/*",
      false,
    ],
    [
      `arn:aws:logs:${SAMPLE.region}:1:log-group:/prod/app/*`,
      "arn:*:logs:*:*:log-group:/prod/*",
      true,
    ],
    [
      `arn:aws:logs:${SAMPLE.region}:1:log-group:/prod?app`,
      "arn:*:logs:*:*:log-group:/prod/*",
      false,
    ],
    ["*", "arn:*:logs:*:*:log-group:/prod/*", false],
    // No wildcard in the outer pattern: the very string, `?` standing for one literal character.
    ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket", true],
    ["arn:aws:s3:::bucketx", "arn:aws:s3:::bucket", false],
    ["arn:aws:s3:::bucke", "arn:aws:s3:::bucket", false],
    ["arn:aws:s3:::bucket", "arn:aws:s3:::bucke?", true],
    ["arn:aws:s3:::bucke?", "arn:aws:s3:::bucke?", false],
    ["arn:aws:s3:::bucke*", "arn:aws:s3:::bucket", false],
    // The literal head before the first `*` decides alone when it differs.
    ["arn:aws:s3:::other/*", "arn:aws:s3:::bucket/*", false],
    ["arn:aws:s3:::bucket/a/b", "arn:aws:s3:::bucket/*", true],
  ])("%s lies within %s: %s", (inner, outer, expected) => {
    expect(patternWithin(inner, outer)).toBe(expected);
  });
});

describe("classifying what a statement allows", () => {
  it.each([
    ["ec2:Describe*", { write: false, data: false }],
    ["cloudwatch:GetMetricData", { write: false, data: false }],
    ["s3:GetObject", { write: false, data: true }],
    ["s3:GetObjectVersion", { write: false, data: true }],
    ["s3:Get*", { write: false, data: true }],
    ["S3:getobject", { write: false, data: true }],
    ["secretsmanager:GetSecretValue", { write: false, data: true }],
    // Not a read verb: the service authorization reference lists kms:Decrypt at the Write level.
    ["kms:Decrypt", { write: true, data: true }],
    ["ssm:GetParameter", { write: false, data: true }],
    ["ssm:GetParametersByPath", { write: false, data: true }],
    ["dynamodb:Query", { write: false, data: true }],
    ["logs:GetLogEvents", { write: false, data: true }],
    ["ssm:DescribeParameters", { write: false, data: false }],
    ["ecs:UpdateService", { write: true, data: false }],
    ["s3:?etObject", { write: true, data: true }],
    ["sqs:ReceiveMessage", { write: true, data: true }],
    ["rds-data:ExecuteStatement", { write: true, data: true }],
    ["iam:*", { write: true, data: true }],
    ["*", { write: true, data: true }],
  ])("%s", (pattern, expected) => {
    expect(classify(pattern)).toEqual(expected);
  });

  it("counts NotAction in an Allow as a write and a data read; a Deny grants nothing", () => {
    const [allowing, denying] = parsed(
      doc(
        { Effect: "Allow", NotAction: ["iam:*"], Resource: "*" },
        { Effect: "Deny", Action: "*", Resource: "*" },
      ),
    ).statements;
    expect(grantsOf(allowing!)).toEqual([
      { action: 'NotAction ["iam:*"]', write: true, data: true },
    ]);
    expect(grantsOf(denying!)).toEqual([]);
  });

  it("counts NotResource as every resource, and admits no NotResource as within a scope", () => {
    const [s] = parsed(
      doc({ Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::a/*" }),
    ).statements;
    expect(onEveryResource(s!)).toBe(true);
    expect(resourcesWithin(s!, ["*"])).toBe(false);
  });

  it.each([
    ["*", true],
    ["*:*", true],
    ["iam:*", true],
    ["IAM:*", true],
    ["sts:*", true],
    ["s?s:*", true],
    ["organizations:*", true],
    ["ec2:*", false],
    ["kms:*", false],
    ["iam:Get*", false],
  ])("%s is administrator access: %s", (pattern, expected) => {
    expect(isAdminPattern(pattern)).toBe(expected);
  });

  it("finds administrator access only on every resource", () => {
    const d = parsed(
      doc(allow("iam:*", "arn:aws:iam::123456789012:role/app-*"), allow(["ec2:*", "iam:*"])),
    );
    expect(adminStatements(d).map((a) => a.what)).toEqual(['"iam:*"']);
  });
});

// no-iam-wildcard-admin: every document carrier x every offending statement x every stack.

const carriers: [string, (policy: unknown) => Fixture, string][] = [
  ["a policy", (policy) => ({ type: POLICY, name: "p", props: { policy } }), "policy of p"],
  [
    "a role policy",
    (policy) => ({ type: ROLE_POLICY, name: "p", props: { policy } }),
    "policy of p",
  ],
  [
    "a user policy",
    (policy) => ({ type: "aws:iam/userPolicy:UserPolicy", name: "p", props: { policy } }),
    "policy of p",
  ],
  [
    "a group policy",
    (policy) => ({ type: "aws:iam/groupPolicy:GroupPolicy", name: "p", props: { policy } }),
    "policy of p",
  ],
  [
    "a role's inline policy",
    (policy) => ({ type: ROLE, name: "p", props: { inlinePolicies: [{ name: "extra", policy }] } }),
    "inline policy extra of p",
  ],
];

const adminGrants: [string, Record<string, unknown>, string][] = [
  ["* on *", { Sid: "Admin", ...allow("*") }, 'statement Admin allowing "*" on "*"'],
  ["*:* on *", allow(["*:*"]), 'statement allowing "*:*" on "*"'],
  ["iam:* on *", allow(["ec2:Describe*", "iam:*"]), 'statement allowing "iam:*" on "*"'],
  ["IAM:* on *", allow("IAM:*"), 'statement allowing "IAM:*" on "*"'],
  ["sts:* on *", allow("sts:*"), 'statement allowing "sts:*" on "*"'],
  ["organizations:* on *", allow("organizations:*"), 'statement allowing "organizations:*" on "*"'],
  [
    "NotAction on *",
    { Effect: "Allow", NotAction: "iam:*", Resource: "*" },
    'statement allowing NotAction ["iam:*"] on "*"',
  ],
  [
    "* on NotResource",
    { Effect: "Allow", Action: "*", NotResource: "arn:aws:s3:::logs/*" },
    'statement allowing "*" on every resource (NotResource ["arn:aws:s3:::logs/*"])',
  ],
];

describe.each(environments().names)("no-iam-wildcard-admin in %s", (stack) => {
  describe.each(carriers)("%s", (_carrier, carry, label) => {
    it.each(adminGrants)("reports %s", async (_title, statement, what) => {
      const found = await checkResource(stack, "no-iam-wildcard-admin", carry(doc(statement)));
      expect(found).toEqual([
        {
          message: `Remove the ${what} from the ${label}: grant only the actions needed, on the resources needed.`,
          enforcementLevel: levelIn(stack),
        },
      ]);
    });

    it("reports a single statement given as an object, its Action a string", async () => {
      const found = await checkResource(
        stack,
        "no-iam-wildcard-admin",
        carry({
          Version: "2012-10-17",
          Statement: { Effect: "Allow", Action: "*", Resource: "*" },
        }),
      );
      expect(messagesOf(found)).toEqual([
        `Remove the statement allowing "*" on "*" from the ${label}: grant only the actions needed, on the resources needed.`,
      ]);
    });

    it("passes service wildcards, identity wildcards scoped by ARN, reads and denials", async () => {
      const found = await checkResource(
        stack,
        "no-iam-wildcard-admin",
        carry(
          doc(
            allow(["ec2:*", "kms:*", "iam:Get*"]),
            allow("iam:*", `arn:aws:iam::123456789012:role/${SAMPLE.app}-*`),
            { Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::b/*" },
            { Effect: "Deny", Action: "*", Resource: "*" },
          ),
        ),
      );
      expect(found).toEqual([]);
    });
  });

  it("notes a document unknown during preview", async () => {
    const found = await checkResource(stack, "no-iam-wildcard-admin", {
      type: POLICY,
      name: "p",
      props: { policy: UNKNOWN.string },
    });
    expect(found).toEqual([
      {
        message:
          "Cannot check the policy document during preview: string value at .policy can't be known during preview.",
        enforcementLevel: "advisory",
      },
    ]);
  });

  it("notes an action unknown during preview inside a document", async () => {
    const found = await checkResource(stack, "no-iam-wildcard-admin", {
      type: POLICY,
      name: "p",
      props: { policy: { Version: "2012-10-17", Statement: [allow(UNKNOWN.string)] } },
    });
    expect(found).toEqual([
      {
        message: expect.stringMatching(
          /^Cannot check the policy of p during preview: .*can't be known during preview\.$/,
        ),
        enforcementLevel: "advisory",
      },
    ]);
  });
});

// developer-read-only: every way of attaching a document x offending statements x stage, prod.

const developer = (stack: StackName, props: Record<string, unknown> = {}): Fixture => ({
  type: ROLE,
  name: "access-developer",
  props: {
    name: `${SAMPLE.app}-${stack}-developer`,
    tags: { "team-role": "developer", "access-level": "read-only" },
    ...props,
  },
});
const developerUrn = (stack: StackName) => urnOf(stack, ROLE, "access-developer");
const declaredPolicy = (stack: StackName, policy: string): Fixture => ({
  type: POLICY,
  name: "extra",
  props: { name: `${SAMPLE.app}-${stack}-extra`, path: "/", policy },
});
const extraArn = (stack: StackName) =>
  `arn:aws:iam::${ACCOUNT}:policy/${SAMPLE.app}-${stack}-extra`;

/** An attachment kind: the fixtures attaching `policy`, the label reports use, the URN they name. */
type Attach = (
  stack: StackName,
  policy: string,
) => { fixtures: Fixture[]; label: string; urn: string };

const attachments: [string, Attach][] = [
  [
    "an inline policy",
    (stack, policy) => ({
      fixtures: [developer(stack, { inlinePolicies: [{ name: "extra", policy }] })],
      label: "inline policy extra of access-developer",
      urn: developerUrn(stack),
    }),
  ],
  [
    "a role policy depending on the role",
    (stack, policy) => ({
      fixtures: [
        developer(stack),
        {
          type: ROLE_POLICY,
          name: "extra",
          props: { role: "access-developer-id", policy },
          propertyDependencies: { role: [developerUrn(stack)] },
        },
      ],
      label: "policy extra",
      urn: urnOf(stack, ROLE_POLICY, "extra"),
    }),
  ],
  [
    "a role policy naming the role",
    (stack, policy) => ({
      fixtures: [
        developer(stack),
        {
          type: ROLE_POLICY,
          name: "extra",
          props: { role: `${SAMPLE.app}-${stack}-developer`, policy },
        },
      ],
      label: "policy extra",
      urn: urnOf(stack, ROLE_POLICY, "extra"),
    }),
  ],
  [
    "an attachment of a declared policy it depends on",
    (stack, policy) => ({
      fixtures: [
        developer(stack),
        declaredPolicy(stack, policy),
        {
          type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
          name: "extra",
          props: { role: `${SAMPLE.app}-${stack}-developer`, policyArn: UNKNOWN.string },
          propertyDependencies: { policyArn: [urnOf(stack, POLICY, "extra")] },
        },
      ],
      label: "policy extra",
      urn: urnOf(stack, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "extra"),
    }),
  ],
  [
    "an attachment of a declared policy by ARN",
    (stack, policy) => ({
      fixtures: [
        developer(stack),
        declaredPolicy(stack, policy),
        {
          type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
          name: "extra",
          props: { role: "access-developer", policyArn: extraArn(stack) },
          propertyDependencies: { role: [developerUrn(stack)] },
        },
      ],
      label: "policy extra",
      urn: urnOf(stack, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "extra"),
    }),
  ],
  [
    "a policy attachment listing the role",
    (stack, policy) => ({
      fixtures: [
        developer(stack),
        declaredPolicy(stack, policy),
        {
          type: "aws:iam/policyAttachment:PolicyAttachment",
          name: "extra",
          props: { roles: [`${SAMPLE.app}-${stack}-developer`], policyArn: extraArn(stack) },
        },
      ],
      label: "policy extra",
      urn: urnOf(stack, "aws:iam/policyAttachment:PolicyAttachment", "extra"),
    }),
  ],
  [
    "the role's managedPolicyArns",
    (stack, policy) => ({
      fixtures: [
        developer(stack, { managedPolicyArns: [extraArn(stack)] }),
        declaredPolicy(stack, policy),
      ],
      label: "policy extra",
      urn: developerUrn(stack),
    }),
  ],
  [
    "an exclusive set of attachments",
    (stack, policy) => ({
      fixtures: [
        developer(stack),
        declaredPolicy(stack, policy),
        {
          type: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
          name: "extra",
          props: { roleName: `${SAMPLE.app}-${stack}-developer`, policyArns: [extraArn(stack)] },
        },
      ],
      label: "policy extra",
      urn: urnOf(
        stack,
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        "extra",
      ),
    }),
  ],
];

const beyondMetadata: [string, Record<string, unknown>, string, string][] = [
  ["a write", allow("ecs:UpdateService"), "ecs:UpdateService", "writes"],
  ["an object read", allow("s3:GetObject"), "s3:GetObject", "reads data or secrets"],
  ["a Get* wildcard", allow("s3:Get*"), "s3:Get*", "reads data or secrets"],
  [
    "a secret read, in any case",
    allow("SecretsManager:getSecretValue"),
    "SecretsManager:getSecretValue",
    "reads data or secrets",
  ],
  ["decryption", allow("kms:Decrypt"), "kms:Decrypt", "writes and reads data"],
  [
    "a parameter read outside the plain parameters",
    allow(
      "ssm:GetParameter",
      `arn:aws:ssm:${SAMPLE.region}:123456789012:parameter/prod/${SAMPLE.app}/*`,
    ),
    "ssm:GetParameter",
    "reads data or secrets",
  ],
  ["iam:*", allow("iam:*"), "iam:*", "writes and reads data"],
  [
    "NotAction",
    { Effect: "Allow", NotAction: ["iam:*"], Resource: "*" },
    'NotAction ["iam:*"]',
    "writes and reads data",
  ],
];

const PROD_LIKE = ["stage", "prod"] as const;

describe.each(PROD_LIKE)("developer-read-only in %s", (stack) => {
  describe.each(attachments)("through %s", (_kind, attach) => {
    it.each(beyondMetadata)("reports %s", async (_title, statement, action, does) => {
      const { fixtures, label, urn } = attach(stack, doc(allow("ec2:Describe*"), statement));
      expect(await checkStack(stack, "developer-read-only", fixtures)).toEqual([
        {
          message: `Remove ${action} from the ${label}: developers neither write nor read data in ${stack} (it ${does}).`,
          enforcementLevel: "mandatory",
          urn,
        },
      ]);
    });

    it("passes metadata reads and the environment's logs and plain parameters", async () => {
      const arn = (service: string, resource: string) =>
        `arn:aws:${service}:${SAMPLE.region}:${ACCOUNT}:${resource}`;
      const { fixtures } = attach(
        stack,
        doc(
          allow(["ec2:Describe*", "cloudwatch:GetMetricData", "ssm:DescribeParameters"]),
          allow(
            ["logs:GetLogEvents", "logs:StartQuery"],
            arn("logs", `log-group:/${stack}/${SAMPLE.app}/*`),
          ),
          allow("ssm:GetParameter*", [
            arn("ssm", `parameter/${stack}/${SAMPLE.app}/connections/*`),
            arn("ssm", `parameter/${stack}/${SAMPLE.app}/flags/*`),
          ]),
        ),
      );
      expect(await checkStack(stack, "developer-read-only", fixtures)).toEqual([]);
    });
  });

  it("reports another environment's logs and logs on every resource", async () => {
    const other = stack === "prod" ? "stage" : "prod";
    const { fixtures } = attachments[0]![1](
      stack,
      doc(
        allow(
          "logs:GetLogEvents",
          `arn:aws:logs:${SAMPLE.region}:${ACCOUNT}:log-group:/${other}/${SAMPLE.app}/*`,
        ),
        allow("logs:FilterLogEvents"),
      ),
    );
    expect(messagesOf(await checkStack(stack, "developer-read-only", fixtures))).toEqual([
      `Remove logs:GetLogEvents from the inline policy extra of access-developer: developers neither write nor read data in ${stack} (it reads data or secrets).`,
      `Remove logs:FilterLogEvents from the inline policy extra of access-developer: developers neither write nor read data in ${stack} (it reads data or secrets).`,
    ]);
  });

  it.each([
    ["ReadOnlyAccess", "its content is not pinned in the pack"],
    ["job-function/ViewOnlyAccess", "its content is not pinned in the pack"],
  ])("reports the AWS-managed %s as unverifiable", async (name, reason) => {
    const found = await checkStack(stack, "developer-read-only", [
      developer(stack),
      {
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        name: "managed",
        props: {
          role: `${SAMPLE.app}-${stack}-developer`,
          policyArn: `arn:aws:iam::aws:policy/${name}`,
        },
      },
    ]);
    expect(found).toEqual([
      {
        message: `Detach arn:aws:iam::aws:policy/${name} from the developer role access-developer: developers neither write nor read data in ${stack}, and what it allows cannot be verified (${reason}).`,
        enforcementLevel: "mandatory",
        urn: urnOf(stack, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "managed"),
      },
    ]);
  });

  it("reads a pinned AWS-managed policy: ElastiCache read-only passes; the ECS execution policy pulls images and writes logs", async () => {
    const found = await checkStack(stack, "developer-read-only", [
      developer(stack, {
        managedPolicyArns: [
          "arn:aws:iam::aws:policy/AmazonElastiCacheReadOnlyAccess",
          "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
          `arn:aws:iam::${ACCOUNT}:policy/undeclared`,
        ],
      }),
    ]);
    const label = "AWS-managed policy service-role/AmazonECSTaskExecutionRolePolicy";
    const why = `developers neither write nor read data in ${stack}`;
    expect(messagesOf(found)).toEqual([
      `Detach arn:aws:iam::${ACCOUNT}:policy/undeclared from the developer role access-developer: ${why}, and what it allows cannot be verified (no policy the stack declares has that ARN).`,
      `Remove ecr:GetDownloadUrlForLayer from the ${label}: ${why} (it reads data or secrets).`,
      `Remove ecr:BatchGetImage from the ${label}: ${why} (it reads data or secrets).`,
      `Remove logs:CreateLogStream from the ${label}: ${why} (it writes).`,
      `Remove logs:PutLogEvents from the ${label}: ${why} (it writes).`,
    ]);
  });

  it("notes documents and attachments unknown during preview", async () => {
    const found = await checkStack(stack, "developer-read-only", [
      developer(stack, { managedPolicyArns: UNKNOWN.array }),
      {
        type: ROLE_POLICY,
        name: "extra",
        props: { role: `${SAMPLE.app}-${stack}-developer`, policy: UNKNOWN.string },
      },
      {
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        name: "extra",
        props: { role: `${SAMPLE.app}-${stack}-developer`, policyArn: UNKNOWN.string },
      },
    ]);
    expect(found).toEqual([
      {
        message: expect.stringMatching(
          /^Cannot check the managedPolicyArns of access-developer during preview: .*can't be known during preview\.$/,
        ),
        enforcementLevel: "advisory",
        urn: developerUrn(stack),
      },
      {
        message: expect.stringMatching(
          /^Cannot check the policyArn of access-developer during preview: .*can't be known during preview\.$/,
        ),
        enforcementLevel: "advisory",
        urn: urnOf(stack, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "extra"),
      },
      {
        message: expect.stringMatching(
          /^Cannot check the policy extra during preview: .*can't be known during preview\.$/,
        ),
        enforcementLevel: "advisory",
        urn: urnOf(stack, ROLE_POLICY, "extra"),
      },
    ]);
  });

  it("leaves other teams' roles and unlinked policies alone", async () => {
    const qa = developer(stack, { tags: { "team-role": "qa", "access-level": "deploy" } });
    expect(
      await checkStack(stack, "developer-read-only", [
        qa,
        {
          type: ROLE_POLICY,
          name: "access-developer",
          props: { role: "someone-else", policy: doc(allow("*")) },
        },
      ]),
    ).toEqual([]);
  });
});

it("leaves developers alone in dev", async () => {
  const { fixtures } = attachments[0]![1]("dev", doc(allow("*")));
  expect(await checkStack("dev", "developer-read-only", fixtures)).toEqual([]);
});

// iam-role-trust

const boundaryOf = (stack: StackName, account = ACCOUNT) =>
  `arn:aws:iam::${account}:policy/ci/${SAMPLE.app}-${stack}-boundary`;
const accessRole = (stack: StackName, props: Record<string, unknown> = {}): Fixture => ({
  type: ROLE,
  name: "access-developer",
  props: {
    name: `${SAMPLE.app}-${stack}-developer`,
    assumeRolePolicy: JSON.stringify(accessTrustPolicy("aws", ACCOUNT, "developer")),
    maxSessionDuration: 3600,
    permissionsBoundary: boundaryOf(stack),
    tags: { "team-role": "developer", "access-level": "read-only" },
    ...props,
  },
});
const serviceRole = (stack: StackName, trust: Record<string, unknown>[]): Fixture => ({
  type: ROLE,
  name: "service-task",
  props: {
    name: `${SAMPLE.app}-${stack}-task`,
    assumeRolePolicy: doc(...trust),
    permissionsBoundary: boundaryOf(stack),
  },
});
const assume = (principal: unknown, condition?: Record<string, unknown>) => ({
  Effect: "Allow",
  Principal: principal,
  Action: "sts:AssumeRole",
  ...(condition ? { Condition: condition } : {}),
});
const mfa = (team = "developer", age = "3600") => ({
  Bool: { "aws:MultiFactorAuthPresent": "true" },
  NumericLessThan: { "aws:MultiFactorAuthAge": age },
  StringEquals: { "aws:PrincipalTag/team-role": team },
});
const root = (account = ACCOUNT) => ({ AWS: `arn:aws:iam::${account}:root` });

const trustCases: [string, (stack: StackName) => Fixture, (stack: StackName) => string[]][] = [
  ["the program's access trust", (s) => accessRole(s), () => []],
  [
    "a task role trusting ECS tasks, as a single statement object",
    (s) => ({
      ...serviceRole(s, []),
      props: {
        ...serviceRole(s, []).props,
        assumeRolePolicy: {
          Version: "2012-10-17",
          Statement: assume(
            { Service: "ecs-tasks.amazonaws.com" },
            { StringEquals: { "aws:SourceAccount": ACCOUNT } },
          ),
        },
      },
    }),
    () => [],
  ],
  [
    "everyone, restricted to the account",
    (s) => serviceRole(s, [assume("*", { StringEquals: { "aws:PrincipalAccount": ACCOUNT } })]),
    () => [],
  ],
  [
    "everyone",
    (s) => serviceRole(s, [assume("*")]),
    (s) => [
      `Remove the trust of everyone ("*") from service-task: a role is assumed only by principals of ${s}'s account (add an aws:PrincipalAccount condition at least).`,
    ],
  ],
  [
    "every AWS principal",
    (s) => serviceRole(s, [assume({ AWS: "*" })]),
    (s) => [
      `Remove the trust of everyone ("*") from service-task: a role is assumed only by principals of ${s}'s account (add an aws:PrincipalAccount condition at least).`,
    ],
  ],
  [
    "NotPrincipal",
    (s) => serviceRole(s, [{ Effect: "Allow", NotPrincipal: root(), Action: "sts:AssumeRole" }]),
    () => [
      "Remove NotPrincipal from the trust of service-task: an Allow with NotPrincipal trusts every principal it does not name.",
    ],
  ],
  [
    "another account",
    (s) => serviceRole(s, [assume({ AWS: ["arn:aws:iam::999999999999:role/x", ACCOUNT] })]),
    (s) => [
      `Remove the trust of arn:aws:iam::999999999999:role/x from service-task: only principals of ${s}'s account ${ACCOUNT} may assume its roles.`,
    ],
  ],
  [
    "a service that takes none of the environment's roles",
    (s) => serviceRole(s, [assume({ Service: ["ec2.amazonaws.com"] })]),
    (s) => [
      `Remove the trust of the service ec2.amazonaws.com from service-task: only ecs-tasks.amazonaws.com, vpc-flow-logs.amazonaws.com, ecs.amazonaws.com, lambda.amazonaws.com take ${s}'s roles.`,
    ],
  ],
  [
    "another federated identity",
    (s) =>
      serviceRole(s, [
        {
          ...assume({ Federated: `arn:aws:iam::${ACCOUNT}:saml-provider/corp` }),
          Action: "sts:AssumeRoleWithSAML",
        },
      ]),
    (s) => [
      `Remove the trust of Federated arn:aws:iam::${ACCOUNT}:saml-provider/corp from service-task: ${s}'s roles trust the account's principals and its services; GitHub Actions is the only federated identity (ci-deploy-role-trust).`,
    ],
  ],
  [
    "an access role without MFA",
    (s) =>
      accessRole(s, {
        assumeRolePolicy: doc(
          assume(root(), {
            BoolIfExists: { "aws:MultiFactorAuthPresent": "true" },
            NumericLessThan: { "aws:MultiFactorAuthAge": "3600" },
            StringEquals: { "aws:PrincipalTag/team-role": "developer" },
          }),
        ),
      }),
    () => [
      'Require MFA in the trust of access-developer (Bool aws:MultiFactorAuthPresent "true"): people assume access roles only signed in with MFA.',
    ],
  ],
  [
    "an access role accepting old MFA sign-ins",
    (s) => accessRole(s, { assumeRolePolicy: doc(assume(root(), mfa("developer", "7200"))) }),
    () => [
      "Set NumericLessThan aws:MultiFactorAuthAge to at most 3600 in the trust of access-developer: an MFA sign-in is good for an hour (found 7200).",
    ],
  ],
  [
    "an access role trusting another team",
    (s) => accessRole(s, { assumeRolePolicy: doc(assume(root(), mfa("qa"))) }),
    () => [
      'Set StringEquals aws:PrincipalTag/team-role to developer in the trust of access-developer: only that team\'s people assume its access role (found ["qa"]).',
    ],
  ],
  [
    "an access role trusting a service",
    (s) =>
      accessRole(s, {
        assumeRolePolicy: doc(assume({ Service: "ecs-tasks.amazonaws.com" }, mfa())),
      }),
    () => [
      "Remove the trust of the service ecs-tasks.amazonaws.com from access-developer: an access role is assumed by people, never by a service.",
    ],
  ],
  [
    "an access role trusting another account",
    (s) => accessRole(s, { assumeRolePolicy: doc(assume(root("999999999999"), mfa())) }),
    (s) => [
      `Remove the trust of arn:aws:iam::999999999999:root from access-developer: only principals of ${s}'s account ${ACCOUNT} may assume its roles.`,
    ],
  ],
  [
    "an access role with long sessions",
    (s) => accessRole(s, { maxSessionDuration: 43200 }),
    () => [
      "Set maxSessionDuration on access-developer to at most 3600 seconds: access sessions last at most an hour (found 43200).",
    ],
  ],
  [
    "a GitHub Actions role (ci-deploy-role-trust's)",
    (s) =>
      serviceRole(s, [
        {
          Effect: "Allow",
          Principal: {
            Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
          },
          Action: "sts:AssumeRoleWithWebIdentity",
        },
      ]),
    () => [],
  ],
];

describe.each(environments().names)("iam-role-trust in %s", (stack) => {
  it.each(trustCases)("%s", async (_title, fixture, expected) => {
    const found = await checkResource(stack, "iam-role-trust", fixture(stack));
    expect(found).toEqual(
      expected(stack).map((message) => ({ message, enforcementLevel: levelIn(stack) })),
    );
  });

  it("notes a principal whose account cannot be known (no accountId, no boundary)", async () => {
    const role = serviceRole(stack, [assume(root())]);
    const found = await checkResource(stack, "iam-role-trust", {
      ...role,
      props: { ...role.props, permissionsBoundary: undefined },
    });
    expect(found).toEqual([
      {
        message: `Cannot check that arn:aws:iam::${ACCOUNT}:root, trusted by service-task, belongs to ${stack}'s account: set envstack:accountId or a permissions boundary.`,
        enforcementLevel: "advisory",
      },
    ]);
  });

  it("notes a trust policy unknown during preview", async () => {
    const found = await checkResource(
      stack,
      "iam-role-trust",
      accessRole(stack, { assumeRolePolicy: UNKNOWN.string }),
    );
    expect(found).toEqual([
      {
        message:
          "Cannot check assumeRolePolicy during preview: string value at .assumeRolePolicy can't be known during preview.",
        enforcementLevel: "advisory",
      },
    ]);
  });
});

describe("iam-role-trust with envstack:accountId set", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "envstack-iam-"));
  const file = path.join(tmp, "Pulumi.prod.yaml");
  fs.writeFileSync(
    file,
    fs
      .readFileSync(path.join(__dirname, "..", "..", "Pulumi.prod.yaml"), "utf8")
      .replace(
        `  envstack:app: ${SAMPLE.app}\n`,
        `  envstack:app: ${SAMPLE.app}\n  envstack:accountId: "210987654321"\n`,
      ),
  );

  it("reports the mock account's root as another account's", async () => {
    const found = await checkResource("prod", "iam-role-trust", accessRole("prod"), {
      [stackFileKey("prod")]: file,
    });
    expect(messagesOf(found)).toEqual([
      `Remove the trust of arn:aws:iam::${ACCOUNT}:root from access-developer: only principals of prod's account 210987654321 may assume its roles.`,
    ]);
  });
});

// kms-key-policy

const KEY = "aws:kms/key:Key";
const KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy";
const grant = (principal: unknown, action: unknown, condition?: Record<string, unknown>) => ({
  Effect: "Allow",
  Principal: principal,
  Action: action,
  Resource: "*",
  ...(condition ? { Condition: condition } : {}),
});
const keyCarriers: [string, (policy: unknown) => Fixture][] = [
  ["a key", (policy) => ({ type: KEY, name: "key", props: { policy } })],
  ["a key policy", (policy) => ({ type: KEY_POLICY, name: "key", props: { keyId: "k", policy } })],
];
const keyCases: [string, Record<string, unknown>, string][] = [
  [
    "kms:* to a role",
    grant({ AWS: `arn:aws:iam::${ACCOUNT}:role/admin` }, "kms:*"),
    `Grant arn:aws:iam::${ACCOUNT}:role/admin only the KMS actions it uses in the statement of the key policy of key: kms:* administers the key and belongs to the account root only.`,
  ],
  [
    "KMS:* to a service",
    grant({ Service: `logs.${SAMPLE.region}.amazonaws.com` }, ["KMS:*"]),
    `Grant Service logs.${SAMPLE.region}.amazonaws.com only the KMS actions it uses in the statement of the key policy of key: kms:* administers the key and belongs to the account root only.`,
  ],
  [
    "NotAction to a role",
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/app` },
      NotAction: "kms:ScheduleKeyDeletion",
      Resource: "*",
    },
    `Grant arn:aws:iam::${ACCOUNT}:role/app only the KMS actions it uses in the statement of the key policy of key: kms:* administers the key and belongs to the account root only.`,
  ],
  [
    "use by anyone",
    { Sid: "Open", ...grant("*", ["kms:Decrypt"]) },
    'Restrict the statement Open of the key policy of key to the account (kms:CallerAccount or aws:SourceAccount) or remove it: it lets anyone ("*") use the key.',
  ],
  [
    "NotPrincipal",
    { Effect: "Allow", NotPrincipal: root(), Action: "kms:Decrypt", Resource: "*" },
    "Remove NotPrincipal from the statement of the key policy of key: an Allow with NotPrincipal lets everyone else use the key.",
  ],
];

describe.each(environments().names)("kms-key-policy in %s", (stack) => {
  describe.each(keyCarriers)("%s", (_kind, carry) => {
    it.each(keyCases)("reports %s", async (_title, statement, message) => {
      const found = await checkResource(
        stack,
        "kms-key-policy",
        carry(doc(grant(root(), "kms:*"), statement)),
      );
      expect(found).toEqual([{ message, enforcementLevel: levelIn(stack) }]);
    });

    it("passes the account root administering and restricted use", async () => {
      const found = await checkResource(
        stack,
        "kms-key-policy",
        carry(
          doc(
            grant(root(), "kms:*"),
            grant({ AWS: ACCOUNT }, "kms:*"),
            grant("*", ["kms:Decrypt"], { StringEquals: { "kms:CallerAccount": ACCOUNT } }),
            grant({ Service: "cloudwatch.amazonaws.com" }, ["kms:Decrypt", "kms:GenerateDataKey*"]),
            { Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*" },
          ),
        ),
      );
      expect(found).toEqual([]);
    });
  });

  it("passes a key with the default policy", async () => {
    expect(
      await checkResource(stack, "kms-key-policy", { type: KEY, name: "key", props: {} }),
    ).toEqual([]);
  });

  it("notes a key policy unknown during preview", async () => {
    const found = await checkResource(stack, "kms-key-policy", {
      type: KEY,
      name: "key",
      props: { policy: UNKNOWN.string },
    });
    expect(found).toEqual([
      {
        message:
          "Cannot check the key policy of key during preview: string value at .policy can't be known during preview.",
        enforcementLevel: "advisory",
      },
    ]);
  });
});

// The program's own roles, keys and documents.

const IAM_POLICIES = [
  "no-iam-wildcard-admin",
  "developer-read-only",
  "iam-role-trust",
  "kms-key-policy",
  "ci-deploy-role-trust",
  "iam-permissions-boundary",
];

/** Appends a statement to a fixture's `policy` document. */
function withStatement(f: Fixture, statement: Record<string, unknown>): Fixture {
  const policy = JSON.parse(f.props["policy"] as string) as { Statement: unknown[] };
  return {
    ...f,
    props: {
      ...f.props,
      policy: JSON.stringify({ ...policy, Statement: [...policy.Statement, statement] }),
    },
  };
}

const mutations: [string, Record<string, unknown>, string][] = [
  ["s3:GetObject", allow("s3:GetObject"), "s3:GetObject"],
  ["iam:*", allow("iam:*"), "iam:*"],
  ["NotAction", { Effect: "Allow", NotAction: "s3:*", Resource: "*" }, 'NotAction ["s3:*"]'],
];

describe.each(environments().names)("the committed %s stack's IAM", (stack) => {
  let fixtures: Fixture[] = [];
  const check = async (name: string, resources: readonly Fixture[]) => {
    const p = policy(stack, name);
    return "validateStack" in p
      ? checkStack(stack, name, resources)
      : (await Promise.all(resources.map((f) => checkResource(stack, name, f)))).flat();
  };

  it("runs the program", async () => {
    fixtures = [...(await stackFixtures(stack))];
    expect(fixtures.filter((f) => f.type === ROLE).length).toBeGreaterThan(0);
  });

  it("passes every IAM policy, with no note", async () => {
    for (const name of IAM_POLICIES)
      expect([name, await check(name, fixtures)]).toEqual([name, []]);
  });

  it("attaches a readable document to every role the access component declares", () => {
    const { resources } = stackArgs(stack, fixtures);
    const access = resources.filter((r) => r.type === ROLE && r.name.startsWith("access-"));
    expect(access.length).toBeGreaterThan(0);
    for (const role of access) {
      const { documents, unverified, unknown } = rolePolicies(role, resources);
      expect([role.name, documents.length, unverified, unknown]).toEqual([role.name, 1, [], []]);
      expect(readDocument(documents[0]!.document)).toMatchObject({ version: "2012-10-17" });
    }
  });

  it.each(mutations)(
    "fails when any role's policy also allows %s",
    async (_title, statement, action) => {
      const { resources } = stackArgs(stack, fixtures);
      const roles = resources.filter((r) => r.type === ROLE);
      let mutated = 0;
      for (const role of roles) {
        for (const { urn } of rolePolicies(role, resources).documents) {
          const index = fixtures.findIndex(
            (f) => urnOf(stack, f.type, f.name) === urn && typeof f.props["policy"] === "string",
          );
          if (index < 0) continue;
          mutated += 1;
          const edited = fixtures.map((f, i) => (i === index ? withStatement(f, statement) : f));
          const target = edited[index]!;
          const admin = messagesOf(await checkResource(stack, "no-iam-wildcard-admin", target));
          expect(admin).toHaveLength(action === "s3:GetObject" ? 0 : 1);
          const team = role.props["tags"] as Record<string, unknown> | undefined;
          if (stack === "dev" || team?.["team-role"] !== "developer") continue;
          const found = messagesOf(await checkStack(stack, "developer-read-only", edited));
          expect(found).toEqual([
            expect.stringMatching(
              new RegExp(`^Remove ${action.replace(/[[\]*"]/g, "\\$&")} from the policy `),
            ),
          ]);
        }
      }
      expect(mutated).toBeGreaterThan(0);
    },
  );

  it("fails when an access role's trust drops MFA, or a workload role trusts another account", async () => {
    const edited = fixtures.map((f) => {
      if (f.type !== ROLE || typeof f.props["assumeRolePolicy"] !== "string") return f;
      const trust = JSON.parse(f.props["assumeRolePolicy"]) as {
        Statement: Record<string, unknown>[];
      };
      if (JSON.stringify(trust).includes("token.actions.githubusercontent.com")) return f;
      const statements = trust.Statement.map((s) =>
        s["Condition"] && JSON.stringify(s).includes("MultiFactorAuthPresent")
          ? { ...s, Condition: { ...(s["Condition"] as object), Bool: {} } }
          : { ...s, Principal: { AWS: "arn:aws:iam::999999999999:root" } },
      );
      return {
        ...f,
        props: {
          ...f.props,
          assumeRolePolicy: JSON.stringify({ ...trust, Statement: statements }),
        },
      };
    });
    const found = messagesOf(await check("iam-role-trust", edited));
    const roles = fixtures.filter(
      (f) => f.type === ROLE && !String(f.props["assumeRolePolicy"]).includes("githubusercontent"),
    );
    expect(found).toHaveLength(roles.length);
    for (const message of found)
      expect(message).toMatch(
        /^(Require MFA in the trust of access-|Remove the trust of arn:aws:iam::999999999999:root from )/,
      );
  });

  it("fails when a key of the program lets a service administer it", async () => {
    const keys = fixtures.filter((f) => f.type === KEY && typeof f.props["policy"] === "string");
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const found = await checkResource(
        stack,
        "kms-key-policy",
        withStatement(key, grant({ Service: "logs.amazonaws.com" }, "kms:*")),
      );
      expect(messagesOf(found)).toEqual([
        expect.stringMatching(/^Grant Service logs\.amazonaws\.com only the KMS actions/),
      ]);
    }
  });
});
