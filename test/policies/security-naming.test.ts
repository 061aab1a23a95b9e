import { SAMPLE } from "../harness/sample";
import { describe, expect, it } from "vitest";
import type { StackName } from "../../src/model";
import { UNKNOWN } from "../../policies/unknowns";
import { awsProvider, checkResource, type Fixture } from "./harness";

const SG = "aws:ec2/securityGroup:SecurityGroup";
const ROLE = "aws:iam/role:Role";
const OIDC = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";

const sg = (ingress: Record<string, unknown>[]): Fixture => ({
  type: SG,
  name: "service-alb-sg",
  props: { ingress },
});
const open = (protocol: string, from: number, to: number, cidr = "0.0.0.0/0") => ({
  protocol,
  fromPort: from,
  toPort: to,
  cidrBlocks: [cidr],
});
const policyDoc = (statements: Record<string, unknown>[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const trust = (condition: Record<string, unknown>, principal: unknown = { Federated: OIDC }) =>
  policyDoc([
    {
      Effect: "Allow",
      Principal: principal,
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: condition,
    },
  ]);
const goodCondition = (stack: string) => ({
  StringEquals: {
    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
    "token.actions.githubusercontent.com:sub": `repo:${SAMPLE.owner}/${SAMPLE.repository}:environment:${stack}`,
  },
});
const deployRole = (assumeRolePolicy: unknown): Fixture => ({
  type: ROLE,
  name: "deploy-role",
  props: { assumeRolePolicy },
});
const tagged = (provider?: Record<string, unknown>, tags?: Record<string, unknown>): Fixture => ({
  type: "aws:sns/topic:Topic",
  name: "alarms",
  props: tags ? { tags } : {},
  ...(provider ? { provider } : {}),
});

const boundary = (stack: StackName) =>
  `arn:aws:iam::123456789012:policy/ci/${SAMPLE.app}-${stack}-boundary`;
const role = (props: Record<string, unknown>): Fixture => ({
  type: ROLE,
  name: "service-task",
  props: { name: `${SAMPLE.app}-stage-task`, ...props },
});

type Row = [string, StackName, string, Fixture, string[]];

const rows: Row[] = [
  // no-public-ingress
  [
    "443 and 80 open on the load balancer",
    "prod",
    "no-public-ingress",
    sg([open("tcp", 443, 443), open("tcp", 80, 80)]),
    [],
  ],
  [
    "VPC-only ingress",
    "prod",
    "no-public-ingress",
    sg([open("tcp", 5432, 5432, "10.0.0.0/8")]),
    [],
  ],
  [
    "SSH open to the internet",
    "prod",
    "no-public-ingress",
    sg([open("tcp", 22, 22)]),
    [
      "Remove the ingress from 0.0.0.0/0 on ports 22-22/tcp from service-alb-sg: only the load balancer is public in prod, on ports 443, 80.",
    ],
  ],
  [
    "all traffic from IPv6 anywhere",
    "stage",
    "no-public-ingress",
    sg([{ protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] }]),
    [
      "Remove the ingress from ::/0 on all ports from service-alb-sg: only the load balancer is public in stage, on ports 443, 80.",
    ],
  ],
  [
    "a standalone ingress rule",
    "prod",
    "no-public-ingress",
    {
      type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      name: "db-open",
      props: { ipProtocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "0.0.0.0/0" },
    },
    [
      "Remove the ingress from 0.0.0.0/0 on ports 5432-5432/tcp from db-open: only the load balancer is public in prod, on ports 443, 80.",
    ],
  ],
  ...(
    [
      ["0.0.0.0/1", true],
      ["128.0.0.0/1", true],
      ["203.0.113.7/32", true],
      ["11.0.0.0/8", true],
      ["172.32.0.0/16", true],
      ["8.0.0.0/5", true],
      ["10.0.0.0/7", true],
      ["100.64.0.0/9", true],
      ["not-a-cidr", true],
      ["10.0.0.1", true],
      ["10.0.0.0/33", true],
      ["10.0.0.0/x", true],
      ["2001:db8::/32", true],
      ["fc00::/6", true],
      ["::/1", true],
      ["10.20.0.0/16", false],
      ["10.0.0.0/8", false],
      ["172.16.0.0/12", false],
      ["172.31.255.0/24", false],
      ["192.168.1.0/24", false],
      ["100.64.0.0/10", false],
      ["127.0.0.1/32", false],
      ["169.254.169.254/32", false],
      ["fd12:3456::/48", false],
      ["fe80::/10", false],
      ["::1/128", false],
    ] as const
  ).map(([cidr, internet]): Row => [
    `PostgreSQL from ${cidr}${internet ? ", internet addresses" : ", no internet address"}`,
    "prod",
    "no-public-ingress",
    sg([
      {
        protocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        [cidr.includes(":") ? "ipv6CidrBlocks" : "cidrBlocks"]: [cidr],
      },
    ]),
    internet
      ? [
          `Remove the ingress from ${cidr} on ports 5432-5432/tcp from service-alb-sg: only the load balancer is public in prod, on ports 443, 80.`,
        ]
      : [],
  ]),
  [
    "443 from half the internet, as from all of it",
    "prod",
    "no-public-ingress",
    sg([open("tcp", 443, 443, "0.0.0.0/1"), open("6", 80, 80, "128.0.0.0/1")]),
    [],
  ],
  [
    "each internet block of a rule named, private ones left out",
    "stage",
    "no-public-ingress",
    sg([
      {
        protocol: "udp",
        fromPort: 53,
        toPort: 53,
        cidrBlocks: ["10.0.0.0/8", "1.1.1.1/32"],
        ipv6CidrBlocks: ["2606:4700::/32"],
      },
    ]),
    [
      "Remove the ingress from 1.1.1.1/32, 2606:4700::/32 on ports 53-53/udp from service-alb-sg: only the load balancer is public in stage, on ports 443, 80.",
    ],
  ],
  [
    "a public database",
    "prod",
    "no-public-ingress",
    { type: "aws:rds/instance:Instance", name: "db", props: { publiclyAccessible: true } },
    ["Set publiclyAccessible to false on db: only the load balancer is public in prod."],
  ],
  [
    "tasks with public IPs",
    "prod",
    "no-public-ingress",
    {
      type: "aws:ecs/service:Service",
      name: "svc",
      props: { networkConfiguration: { assignPublicIp: true } },
    },
    ["Set assignPublicIp to false on svc: only the load balancer is public in prod."],
  ],
  [
    "ingress unknown during preview",
    "prod",
    "no-public-ingress",
    { type: SG, name: "sg", props: { ingress: UNKNOWN.array } },
    ["Cannot check ingress during preview: Array value at .ingress can't be known during preview."],
  ],
  // no-iam-wildcard-admin
  [
    "scoped statements",
    "prod",
    "no-iam-wildcard-admin",
    {
      type: "aws:iam/rolePolicy:RolePolicy",
      name: "p",
      props: { policy: policyDoc([{ Effect: "Allow", Action: "ec2:*", Resource: "*" }]) },
    },
    [],
  ],
  [
    "* on *",
    "prod",
    "no-iam-wildcard-admin",
    {
      type: "aws:iam/rolePolicy:RolePolicy",
      name: "p",
      props: {
        policy: policyDoc([{ Sid: "Admin", Effect: "Allow", Action: ["*"], Resource: "*" }]),
      },
    },
    [
      'Remove the statement Admin allowing "*" on "*" from the policy of p: grant only the actions needed, on the resources needed.',
    ],
  ],
  [
    "* on * in a role's inline policy",
    "stage",
    "no-iam-wildcard-admin",
    {
      type: ROLE,
      name: "r",
      props: {
        inlinePolicies: [
          { name: "all", policy: policyDoc([{ Effect: "Allow", Action: "*", Resource: ["*"] }]) },
        ],
      },
    },
    [
      'Remove the statement allowing "*" on "*" from the inline policy all of r: grant only the actions needed, on the resources needed.',
    ],
  ],
  [
    "a denied * on * is fine",
    "prod",
    "no-iam-wildcard-admin",
    {
      type: "aws:iam/policy:Policy",
      name: "p",
      props: { policy: policyDoc([{ Effect: "Deny", Action: "*", Resource: "*" }]) },
    },
    [],
  ],
  [
    "a document unknown during preview",
    "prod",
    "no-iam-wildcard-admin",
    { type: "aws:iam/policy:Policy", name: "p", props: { policy: UNKNOWN.string } },
    [
      "Cannot check the policy document during preview: string value at .policy can't be known during preview.",
    ],
  ],
  // ci-deploy-role-trust
  [
    "trust scoped to the stage environment",
    "stage",
    "ci-deploy-role-trust",
    deployRole(trust(goodCondition("stage"))),
    [],
  ],
  [
    "roles not trusting GitHub are not deploy roles",
    "prod",
    "ci-deploy-role-trust",
    deployRole(trust({}, { Service: "ecs-tasks.amazonaws.com" })),
    [],
  ],
  [
    "trust of another environment",
    "prod",
    "ci-deploy-role-trust",
    deployRole(trust(goodCondition("stage"))),
    [
      `Set the trust condition StringEquals token.actions.githubusercontent.com:sub to repo:${SAMPLE.owner}/${SAMPLE.repository}:environment:prod on deploy-role: only jobs in the prod GitHub environment may deploy (found repo:${SAMPLE.owner}/${SAMPLE.repository}:environment:stage).`,
    ],
  ],
  [
    "a wildcard subject",
    "stage",
    "ci-deploy-role-trust",
    deployRole(
      trust({
        StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        StringLike: { "token.actions.githubusercontent.com:sub": `repo:${SAMPLE.owner}/*` },
      }),
    ),
    [
      `Set the trust condition StringEquals token.actions.githubusercontent.com:sub to repo:${SAMPLE.owner}/${SAMPLE.repository}:environment:stage on deploy-role: only jobs in the stage GitHub environment may deploy (found repo:${SAMPLE.owner}/*).`,
    ],
  ],
  [
    "a missing audience",
    "dev",
    "ci-deploy-role-trust",
    deployRole(
      trust({
        StringEquals: {
          "token.actions.githubusercontent.com:sub": `repo:${SAMPLE.owner}/${SAMPLE.repository}:environment:dev`,
        },
      }),
    ),
    [
      "Set the trust condition StringEquals token.actions.githubusercontent.com:aud to sts.amazonaws.com on deploy-role: tokens must be minted for AWS STS (found nothing).",
    ],
  ],
  [
    "a role tagged as a preview role trusting pull-request jobs (no such role exists any more)",
    "prod",
    "ci-deploy-role-trust",
    {
      type: ROLE,
      name: "deploy-role",
      props: {
        tags: { "ci-role": "preview" },
        assumeRolePolicy: trust({
          StringEquals: {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": `repo:${SAMPLE.owner}/${SAMPLE.repository}:pull_request`,
          },
        }),
      },
    },
    [
      `Set the trust condition StringEquals token.actions.githubusercontent.com:sub to repo:${SAMPLE.owner}/${SAMPLE.repository}:environment:prod on deploy-role: only jobs in the prod GitHub environment may deploy (found repo:${SAMPLE.owner}/${SAMPLE.repository}:pull_request).`,
    ],
  ],
  [
    "a deploy role trusting pull-request jobs",
    "prod",
    "ci-deploy-role-trust",
    deployRole(
      trust({
        StringEquals: {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          "token.actions.githubusercontent.com:sub": `repo:${SAMPLE.owner}/${SAMPLE.repository}:pull_request`,
        },
      }),
    ),
    [
      `Set the trust condition StringEquals token.actions.githubusercontent.com:sub to repo:${SAMPLE.owner}/${SAMPLE.repository}:environment:prod on deploy-role: only jobs in the prod GitHub environment may deploy (found repo:${SAMPLE.owner}/${SAMPLE.repository}:pull_request).`,
    ],
  ],
  [
    "trust unknown during preview",
    "prod",
    "ci-deploy-role-trust",
    deployRole(UNKNOWN.string),
    [
      "Cannot check assumeRolePolicy during preview: string value at .assumeRolePolicy can't be known during preview.",
    ],
  ],
  // iam-permissions-boundary
  [
    "a workload role carrying the stack's boundary",
    "dev",
    "iam-permissions-boundary",
    role({ permissionsBoundary: boundary("dev") }),
    [],
  ],
  [
    "the CI deploy role at /ci/ carries none",
    "prod",
    "iam-permissions-boundary",
    role({ path: "/ci/", name: `${SAMPLE.app}-prod-deploy` }),
    [],
  ],
  [
    "a role without a boundary, in dev too (dev's roles share the account)",
    "dev",
    "iam-permissions-boundary",
    role({}),
    [
      `Set permissionsBoundary on service-task to the dev boundary (arn ending :policy/ci/${SAMPLE.app}-dev-boundary): every role outside /ci/ is bounded to its own environment (found nothing).`,
    ],
  ],
  [
    "another environment's boundary",
    "prod",
    "iam-permissions-boundary",
    role({ permissionsBoundary: boundary("dev") }),
    [
      `Set permissionsBoundary on service-task to the prod boundary (arn ending :policy/ci/${SAMPLE.app}-prod-boundary): every role outside /ci/ is bounded to its own environment (found arn:aws:iam::123456789012:policy/ci/${SAMPLE.app}-dev-boundary).`,
    ],
  ],
  [
    "a same-named policy outside /ci/, which the deploy role could edit",
    "stage",
    "iam-permissions-boundary",
    role({ permissionsBoundary: `arn:aws:iam::123456789012:policy/${SAMPLE.app}-stage-boundary` }),
    [
      `Set permissionsBoundary on service-task to the stage boundary (arn ending :policy/ci/${SAMPLE.app}-stage-boundary): every role outside /ci/ is bounded to its own environment (found arn:aws:iam::123456789012:policy/${SAMPLE.app}-stage-boundary).`,
    ],
  ],
  [
    "a boundary unknown during preview",
    "stage",
    "iam-permissions-boundary",
    role({ permissionsBoundary: UNKNOWN.string }),
    [
      "Cannot check permissionsBoundary of service-task during preview: string value at .permissionsBoundary can't be known during preview.",
    ],
  ],
  [
    "a path unknown during preview",
    "stage",
    "iam-permissions-boundary",
    role({ path: UNKNOWN.string, permissionsBoundary: boundary("stage") }),
    [
      "Cannot check the path of service-task during preview: string value at .path can't be known during preview.",
    ],
  ],
  // no-plaintext-github-secrets
  [
    "an encrypted secret",
    "prod",
    "no-plaintext-github-secrets",
    {
      type: "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
      name: "s",
      props: { secretName: "PROD_X", encryptedValue: "c2VhbGVk" },
    },
    [],
  ],
  [
    "a plaintext secret",
    "prod",
    "no-plaintext-github-secrets",
    {
      type: "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
      name: "s",
      props: { secretName: "PROD_X", plaintextValue: "hunter2" },
    },
    [
      "Set encryptedValue instead of plaintextValue on s: secrets never pass through the program in plain text.",
    ],
  ],
  [
    "a plaintext secret computed during the update",
    "stage",
    "no-plaintext-github-secrets",
    {
      type: "github:index/actionsSecret:ActionsSecret",
      name: "s",
      props: { plaintextValue: UNKNOWN.string },
    },
    [
      "Set encryptedValue instead of plaintextValue on s: secrets never pass through the program in plain text.",
    ],
  ],
  [
    "a role ARN variable",
    "prod",
    "no-plaintext-github-secrets",
    {
      type: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
      name: "v",
      props: { variableName: "PROD_AWS_ROLE_ARN", value: "arn:aws:iam::123456789012:role/ci/x" },
    },
    [],
  ],
  [
    "a variable named like a secret",
    "prod",
    "no-plaintext-github-secrets",
    {
      type: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
      name: "v",
      props: { variableName: "PROD_DB_PASSWORD", value: "x" },
    },
    [
      "Move PROD_DB_PASSWORD to an encrypted environment secret: variables are readable by anyone with access to the repository (its name looks secret; v).",
    ],
  ],
  [
    "a variable holding an access key",
    "prod",
    "no-plaintext-github-secrets",
    {
      type: "github:index/actionsVariable:ActionsVariable",
      name: "v",
      props: { variableName: "PROD_ID", value: "AKIAABCDEFGHIJKLMNOP" },
    },
    [
      "Move PROD_ID to an encrypted environment secret: variables are readable by anyone with access to the repository (its value looks secret; v).",
    ],
  ],
  // required-tags
  ["tags from the provider", "stage", "required-tags", tagged(awsProvider("stage")), []],
  [
    "tags on the resource",
    "stage",
    "required-tags",
    tagged(undefined, { env: "stage", app: `${SAMPLE.app}`, "managed-by": "pulumi" }),
    [],
  ],
  [
    "not an AWS resource",
    "stage",
    "required-tags",
    { type: "github:index/issueLabel:IssueLabel", name: "l", props: {} },
    [],
  ],
  [
    "no tags at all",
    "prod",
    "required-tags",
    tagged({ region: `${SAMPLE.region}` }),
    [
      `Tag alarms with env=prod, app=${SAMPLE.app}, managed-by=pulumi: every AWS resource of prod carries env, app and managed-by (declare it under the stack's provider, whose default tags set them).`,
    ],
  ],
  [
    "a resource overriding env",
    "stage",
    "required-tags",
    tagged(awsProvider("stage"), { env: "prod" }),
    [`Set tag env to stage on alarms: it belongs to ${SAMPLE.app} in stage (found prod).`],
  ],
  [
    "the provider of another stack",
    "stage",
    "required-tags",
    tagged(awsProvider("prod")),
    [`Set tag env to stage on alarms: it belongs to ${SAMPLE.app} in stage (found prod).`],
  ],
  [
    "default tags unknown",
    "stage",
    "required-tags",
    tagged({ defaultTags: UNKNOWN.object }),
    ["Cannot check the tags of alarms during preview: the provider's default tags are unknown."],
  ],
  // aws-names-scoped
  [
    "a scoped parameter",
    "prod",
    "aws-names-scoped",
    {
      type: "aws:ssm/parameter:Parameter",
      name: "p",
      props: { name: `/prod/${SAMPLE.app}/flags/x` },
    },
    [],
  ],
  [
    "a parameter of another stack",
    "prod",
    "aws-names-scoped",
    {
      type: "aws:ssm/parameter:Parameter",
      name: "p",
      props: { name: `/stage/${SAMPLE.app}/flags/x` },
    },
    [
      `Name p under /prod/${SAMPLE.app}/: parameters, secrets and log groups stay in their stack's scope (found /stage/${SAMPLE.app}/flags/x).`,
    ],
  ],
  [
    "a generated log group name",
    "stage",
    "aws-names-scoped",
    { type: "aws:cloudwatch/logGroup:LogGroup", name: "logs", props: {} },
    [
      `Name logs under /stage/${SAMPLE.app}/: parameters, secrets and log groups stay in their stack's scope (found a generated name).`,
    ],
  ],
  [
    "a secret name unknown during preview",
    "stage",
    "aws-names-scoped",
    { type: "aws:secretsmanager/secret:Secret", name: "s", props: { name: UNKNOWN.string } },
    ["Cannot check name during preview: string value at .name can't be known during preview."],
  ],
  // github-names-prefixed: the guards stack declares every environment's variables, each
  // prefixed for its own environment.
  [
    "a prefixed variable of another environment, in the guards stack",
    "prod",
    "github-names-prefixed",
    {
      type: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
      name: "v",
      props: { environment: "stage", variableName: "STAGE_AWS_REGION" },
    },
    [],
  ],
  [
    "another environment's prefix",
    "prod",
    "github-names-prefixed",
    {
      type: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
      name: "v",
      props: { environment: "stage", variableName: "PROD_AWS_REGION" },
    },
    [
      "Rename PROD_AWS_REGION to STAGE_AWS_REGION: stage's GitHub environment variables and secrets are prefixed STAGE_.",
    ],
  ],
  [
    "an unprefixed secret",
    "prod",
    "github-names-prefixed",
    {
      type: "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
      name: "s",
      props: { environment: "prod", secretName: "TOKEN" },
    },
    [
      "Rename TOKEN to PROD_TOKEN: prod's GitHub environment variables and secrets are prefixed PROD_.",
    ],
  ],
  [
    "a variable whose environment is unknown during preview",
    "prod",
    "github-names-prefixed",
    {
      type: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
      name: "v",
      props: { environment: UNKNOWN.string, variableName: "DEV_STACK" },
    },
    [
      "Cannot check environment during preview: string value at .environment can't be known during preview.",
    ],
  ],
];

describe.each(rows)("%s (%s, %s)", (_title, stack, name, fixture, messages) => {
  it(messages.length === 0 ? "passes" : "is reported exactly", async () => {
    const found = await checkResource(stack, name, fixture);
    expect(found.map((v) => v.message)).toEqual(messages);
    for (const v of found) {
      const cannot = v.message.startsWith("Cannot check");
      expect(v.enforcementLevel).toBe(
        cannot ||
          (stack === "dev" &&
            name !== "ci-deploy-role-trust" &&
            name !== "iam-permissions-boundary" &&
            name !== "no-plaintext-github-secrets")
          ? "advisory"
          : "mandatory",
      );
    }
  });
});

describe("settings", () => {
  it("opens another public port through the pack config", async () => {
    const found = await checkResource("prod", "no-public-ingress", sg([open("tcp", 8443, 8443)]), {
      publicPorts: [443, 8443],
    });
    expect(found).toEqual([]);
  });
});
