import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_URL, githubOidcSubject } from "../model/github-rules";
import { physicalPrefix, scopePrefix, type StackName } from "../model";
import {
  BOUNDARY_POLICY_PATH,
  ROLE_TAKING_SERVICES,
  boundaryPolicyArn,
  boundaryPolicyName,
  environmentBoundaryPolicy,
} from "./boundary";

/**
 * IAM path of the CI deploy roles. The environment's own roles live at the root path named
 * `<app>-<stack>-*`; a deploy role's ARN (`role/ci/...`) never matches that, so it can never
 * edit or pass itself.
 */
export const DEPLOY_ROLE_PATH = "/ci/";

/** The OIDC token claims the trust policy matches (issuer host without the scheme). */
const OIDC_HOST = GITHUB_OIDC_URL.replace(/^https:\/\//, "");

/**
 * Services whose resources the deploy role manages by tag: an existing resource only when it
 * carries `env=<stack>` and `app=<app>`, a new one only when the request carries both tags (the
 * provider's default tags always do).
 */
export const TAG_SCOPED_SERVICES = [
  "application-autoscaling",
  "cloudwatch",
  "ec2",
  "ecs",
  "elasticache",
  "elasticloadbalancing",
  "kms",
  "rds",
  "sns",
  "xray",
] as const;

/** Read-only calls a preview makes; they support no resource scoping in IAM. */
export const PLANNING_READ_ACTIONS = [
  "acm:DescribeCertificate",
  "application-autoscaling:Describe*",
  "cloudwatch:Describe*",
  "cloudwatch:Get*",
  "cloudwatch:List*",
  "ec2:Describe*",
  "ecs:Describe*",
  "ecs:List*",
  "elasticache:Describe*",
  "elasticache:List*",
  "elasticloadbalancing:Describe*",
  "kms:DescribeKey",
  "kms:ListAliases",
  "logs:Describe*",
  "logs:ListTagsForResource",
  "logs:ListTagsLogGroup",
  "rds:Describe*",
  "rds:ListTagsForResource",
  "secretsmanager:ListSecrets",
  "sns:GetTopicAttributes",
  "sns:ListTagsForResource",
  "sns:ListTopics",
  "ssm:DescribeParameters",
  "sts:GetCallerIdentity",
  "xray:GetSamplingRules",
] as const;

/** Tag-changing calls of the tag-scoped services: denied on resources of another environment. */
export const TAGGING_ACTIONS = [
  "application-autoscaling:TagResource",
  "application-autoscaling:UntagResource",
  "cloudwatch:TagResource",
  "cloudwatch:UntagResource",
  "ec2:CreateTags",
  "ec2:DeleteTags",
  "ecs:TagResource",
  "ecs:UntagResource",
  "elasticache:AddTagsToResource",
  "elasticache:RemoveTagsFromResource",
  "elasticloadbalancing:AddTags",
  "elasticloadbalancing:RemoveTags",
  "kms:TagResource",
  "kms:UntagResource",
  "rds:AddTagsToResource",
  "rds:RemoveTagsFromResource",
  "sns:TagResource",
  "sns:UntagResource",
  "xray:TagResource",
  "xray:UntagResource",
] as const;

/** Service-linked roles the environment's services create on first use. */
export const SERVICE_LINKED_ROLE_SERVICES = [
  "ecs.amazonaws.com",
  "ecs.application-autoscaling.amazonaws.com",
  "elasticache.amazonaws.com",
  "elasticloadbalancing.amazonaws.com",
  "rds.amazonaws.com",
] as const;

/**
 * Everything under the environment's path: its SSM parameters, Secrets Manager secrets and log
 * groups (`/<stack>/<app>/...`). Shared by the deploy role and the permissions boundary.
 */
export function environmentPathStatement(
  partition: string,
  region: string,
  accountId: string,
  scope: string,
): PolicyStatement {
  return {
    Sid: "ParametersSecretsAndLogsUnderTheEnvironmentPath",
    Effect: "Allow",
    Action: ["ssm:*", "secretsmanager:*", "logs:*"],
    Resource: [
      `arn:${partition}:ssm:${region}:${accountId}:parameter${scope}*`,
      `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${scope}*`,
      `arn:${partition}:logs:${region}:${accountId}:log-group:${scope}*`,
    ],
  };
}

/**
 * Denies re-tagging a resource another environment owns: without it, tagging that resource
 * `env=<stack>` would claim it for this environment. Shared by the deploy role and the boundary.
 */
export function denyRetaggingOtherEnvironments(
  stack: StackName,
  actions: readonly string[],
): PolicyStatement {
  return {
    Sid: "DenyRetaggingOtherEnvironments",
    Effect: "Deny",
    Action: [...actions],
    Resource: "*",
    Condition: {
      StringNotEquals: { "aws:ResourceTag/env": stack },
      Null: { "aws:ResourceTag/env": "false" },
    },
  };
}

/** An IAM policy document as plain data. */
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Readonly<Record<string, string>>;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<
    Record<string, Readonly<Record<string, string | readonly string[]>>>
  >;
}

/** A trust policy admitting GitHub Actions OIDC tokens with exactly this subject, for AWS. */
export function githubTrustPolicy(providerArn: string, subject: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
            [`${OIDC_HOST}:sub`]: subject,
          },
        },
      },
    ],
  };
}

/** The trust policy: only jobs in the stack's GitHub deployment environment, for AWS. */
export function deployTrustPolicy(
  providerArn: string,
  owner: string,
  repository: string,
  stack: StackName,
): PolicyDocument {
  return githubTrustPolicy(providerArn, githubOidcSubject(owner, repository, stack));
}

/** What the permissions policy is built from (all known once the account is). */
export interface DeployPermissionsInput {
  readonly stack: StackName;
  readonly app: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** The Pulumi project, for the state object keys. */
  readonly project: string;
  /** The deploy role's own name, so it may read (never change) itself. */
  readonly roleName: string;
  readonly oidcProviderArn: string;
  readonly stateBucket?: string;
  readonly secretsKeyArn?: string;
}

/**
 * The deploy role's permissions: run `pulumi preview`/`up` for one environment and nothing
 * else. Tag-scoped for services that support it (KMS keys included: it encrypts and decrypts
 * only with keys tagged for its environment, or the stack's secrets key), name-scoped for IAM
 * roles and untaggable resources, every role it creates or edits bounded by the environment's
 * permissions boundary (which it may read, never change or remove), path-scoped for parameters, secrets and log groups, read-only on itself and on the
 * OIDC provider (a deploy can never widen its own trust), and on the stack's own state objects
 * and secrets key when those are in AWS.
 */
export function deployPermissionsPolicy(input: DeployPermissionsInput): PolicyDocument {
  const { stack, app, partition, region, accountId } = input;
  const scope = scopePrefix(stack, app);
  const named = `${physicalPrefix(stack, app)}-`;
  const iam = (kind: string, rest: string) => `arn:${partition}:iam::${accountId}:${kind}${rest}`;
  const tagged = { "aws:ResourceTag/env": stack, "aws:ResourceTag/app": app };
  const requested = { "aws:RequestTag/env": stack, "aws:RequestTag/app": app };
  const serviceActions = TAG_SCOPED_SERVICES.map((s) => `${s}:*`);
  const boundary = boundaryPolicyArn(partition, accountId, stack, app);
  const statements: PolicyStatement[] = [
    {
      Sid: "PlanningReads",
      Effect: "Allow",
      Action: [...PLANNING_READ_ACTIONS],
      Resource: "*",
    },
    {
      Sid: "ManageResourcesTaggedForThisEnvironment",
      Effect: "Allow",
      Action: serviceActions,
      Resource: "*",
      Condition: { StringEquals: tagged },
    },
    {
      Sid: "CreateResourcesTaggedForThisEnvironment",
      Effect: "Allow",
      Action: serviceActions,
      Resource: "*",
      Condition: { StringEquals: requested },
    },
    denyRetaggingOtherEnvironments(stack, TAGGING_ACTIONS),
    {
      Sid: "DenyRemovingEnvironmentTags",
      Effect: "Deny",
      Action: [...TAGGING_ACTIONS].filter((a) => /Untag|Delete|Remove/.test(a)),
      Resource: "*",
      Condition: { "ForAnyValue:StringEquals": { "aws:TagKeys": ["env", "app"] } },
    },
    environmentPathStatement(partition, region, accountId, scope),
    {
      // Dashboards and key aliases carry no tags: scope them by the environment's name prefix.
      Sid: "UntaggableResourcesNamedForThisEnvironment",
      Effect: "Allow",
      Action: [
        "cloudwatch:DeleteDashboards",
        "cloudwatch:GetDashboard",
        "cloudwatch:PutDashboard",
        "kms:CreateAlias",
        "kms:DeleteAlias",
        "kms:UpdateAlias",
      ],
      Resource: [
        `arn:${partition}:cloudwatch::${accountId}:dashboard/${named}*`,
        `arn:${partition}:kms:${region}:${accountId}:alias/${named}*`,
      ],
    },
    {
      // RDS creates the master user secret (`rds!db-...`) with the caller's permissions.
      Sid: "RdsManagedMasterUserSecrets",
      Effect: "Allow",
      Action: [
        "secretsmanager:CreateSecret",
        "secretsmanager:RotateSecret",
        "secretsmanager:TagResource",
      ],
      Resource: `arn:${partition}:secretsmanager:${region}:${accountId}:secret:rds!*`,
      Condition: { "ForAnyValue:StringEquals": { "aws:CalledVia": ["rds.amazonaws.com"] } },
    },
    {
      // AWS's pattern for delegating role creation: every role the deploy role creates or edits
      // carries the environment's boundary (iam:PermissionsBoundary on CreateRole,
      // PutRolePermissionsBoundary, Attach/DetachRolePolicy, Put/DeleteRolePolicy), it may never
      // remove a boundary, and the boundary policy itself is out of its reach:
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-delegate
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PermissionsBoundary
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
      Resource: iam("role", `/${named}*`),
      Condition: { StringEquals: { "iam:PermissionsBoundary": boundary } },
    },
    {
      Sid: "ServiceRolesNamedForThisEnvironment",
      Effect: "Allow",
      Action: [
        "iam:DeleteRole",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole",
        "iam:ListRolePolicies",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:ListPolicyVersions",
        "iam:TagPolicy",
        "iam:UntagPolicy",
      ],
      Resource: [iam("role", `/${named}*`), iam("policy", `/${named}*`)],
    },
    {
      Sid: "ReadTheBoundary",
      Effect: "Allow",
      Action: ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"],
      Resource: boundary,
    },
    {
      Sid: "DenyRemovingBoundaries",
      Effect: "Deny",
      Action: "iam:DeleteRolePermissionsBoundary",
      Resource: "*",
    },
    {
      // The boundary's path already keeps it out of the grants above; the deny holds even if a
      // later grant widens.
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
      Resource: boundary,
    },
    {
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService
      Sid: "PassOnlyThisEnvironmentsRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: iam("role", `/${named}*`),
      Condition: { StringEquals: { "iam:PassedToService": [...ROLE_TAKING_SERVICES] } },
    },
    {
      // Lambda names its functions within the account and region; the environment's are
      // `<app>-<stack>-*` (the rollout hook).
      Sid: "FunctionsNamedForThisEnvironment",
      Effect: "Allow",
      Action: "lambda:*",
      Resource: `arn:${partition}:lambda:${region}:${accountId}:function:${named}*`,
    },
    {
      Sid: "ServiceLinkedRoles",
      Effect: "Allow",
      Action: "iam:CreateServiceLinkedRole",
      Resource: iam("role", "/aws-service-role/*"),
      Condition: { StringEquals: { "iam:AWSServiceName": [...SERVICE_LINKED_ROLE_SERVICES] } },
    },
    {
      Sid: "ReadOwnTrust",
      Effect: "Allow",
      Action: [
        "iam:GetOpenIDConnectProvider",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
      ],
      Resource: [input.oidcProviderArn, iam("role", `${DEPLOY_ROLE_PATH}${input.roleName}`)],
    },
  ];
  if (input.stateBucket !== undefined) {
    statements.push(
      ...pulumiStateStatements(partition, input.stateBucket, input.project, stack, "read-write"),
    );
  }
  if (input.secretsKeyArn !== undefined) {
    statements.push({
      Sid: "StackSecretsKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
      Resource: input.secretsKeyArn,
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

export interface DeployRoleArgs {
  /** The stack (environment) the role deploys; its GitHub deployment environment has this name. */
  readonly stack: StackName;
  /** The application name, for the `app` tag and the environment's IAM/parameter path. */
  readonly app: string;
  /** The GitHub owner (organization or user) of the repository, as GitHub spells it. */
  readonly owner: string;
  /** The GitHub repository whose deployment environment may assume the role. */
  readonly repository: string;
  /** The Pulumi project, for the state object keys. Defaults to the running project. */
  readonly project?: string;
  /**
   * `create` declares the account's GitHub OIDC provider here (one stack per account);
   * `existing` looks it up. Defaults to `existing`.
   */
  readonly oidcProvider?: "create" | "existing";
  /** S3 bucket of a self-managed Pulumi backend. Defaults to none (Pulumi Cloud: no grant). */
  readonly stateBucket?: string;
  /** KMS key (or alias) ARN of the awskms secrets provider. Defaults to none (no grant). */
  readonly secretsKeyArn?: string;
}

/**
 * The role GitHub Actions assumes to deploy one environment, trusting only jobs that run in the
 * repository's deployment environment of the same name (so the environment's branch policies and
 * reviewers gate every use of it). Its tags come from the provider's default tags.
 */
export class DeployRole extends pulumi.ComponentResource {
  /** The role's ARN, published as `<STACK>_AWS_ROLE_ARN`. */
  public readonly roleArn: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;
  /** The ARN of the account's GitHub OIDC provider (declared here or looked up). */
  public readonly oidcProviderArn: pulumi.Output<string>;
  /**
   * The ARN of the environment's permissions boundary, `policy/ci/<app>-<stack>-boundary`: every
   * role the environment creates must carry it, and the deploy role can create no other.
   */
  public readonly boundaryPolicyArn: pulumi.Output<string>;

  constructor(name: string, args: DeployRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:DeployRole", name, {}, opts);
    const mode = args.oidcProvider ?? "existing";
    if (mode === "create") {
      const provider = new aws.iam.OpenIdConnectProvider(
        `${name}-github-oidc`,
        { url: GITHUB_OIDC_URL, clientIdLists: [GITHUB_OIDC_AUDIENCE] },
        // The provider is per account and other stacks' roles trust it: outlive this stack.
        { parent: this, retainOnDelete: true },
      );
      this.oidcProviderArn = provider.arn;
    } else {
      this.oidcProviderArn = aws.iam.getOpenIdConnectProviderOutput(
        { url: GITHUB_OIDC_URL },
        { parent: this },
      ).arn;
    }
    const roleName = `${physicalPrefix(args.stack, args.app)}-deploy`;
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    // Declared here so that the administrator who bootstraps the stack creates it; the deploy
    // role's later runs can read it but not change it.
    const boundary = new aws.iam.Policy(
      `${name}-boundary`,
      {
        name: boundaryPolicyName(args.stack, args.app),
        path: BOUNDARY_POLICY_PATH,
        description: `The most any role of ${args.app} ${args.stack} may do`,
        policy: pulumi
          .all([identity.accountId, partition.partition, region.region])
          .apply(([accountId, part, reg]) =>
            JSON.stringify(
              environmentBoundaryPolicy({
                stack: args.stack,
                app: args.app,
                partition: part,
                region: reg,
                accountId,
              }),
            ),
          ),
      },
      { parent: this },
    );
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: roleName,
        path: DEPLOY_ROLE_PATH,
        description: `GitHub Actions deploys of ${args.app} ${args.stack} from ${args.owner}/${args.repository}`,
        maxSessionDuration: 3600,
        assumeRolePolicy: this.oidcProviderArn.apply((arn) =>
          JSON.stringify(deployTrustPolicy(arn, args.owner, args.repository, args.stack)),
        ),
      },
      { parent: this },
    );
    const project = args.project ?? pulumi.getProject();
    new aws.iam.RolePolicy(
      `${name}-permissions`,
      {
        role: role.name,
        name: "deploy-environment",
        policy: pulumi
          .all([identity.accountId, partition.partition, region.region, this.oidcProviderArn])
          .apply(([accountId, part, reg, oidcArn]) =>
            JSON.stringify(
              deployPermissionsPolicy({
                stack: args.stack,
                app: args.app,
                partition: part,
                region: reg,
                accountId,
                project,
                roleName,
                oidcProviderArn: oidcArn,
                stateBucket: args.stateBucket,
                secretsKeyArn: args.secretsKeyArn,
              }),
            ),
          ),
      },
      { parent: this },
    );
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.boundaryPolicyArn = boundary.arn;
    this.registerOutputs({
      roleArn: this.roleArn,
      roleName: this.roleName,
      oidcProviderArn: this.oidcProviderArn,
      boundaryPolicyArn: this.boundaryPolicyArn,
    });
  }
}

/**
 * Access to one stack's objects in a self-managed (S3) Pulumi backend: listing, the backend's
 * metadata, and the stack's own state, history, backups and locks, read-only or read-write.
 */
export function pulumiStateStatements(
  partition: string,
  stateBucket: string,
  project: string,
  stack: StackName,
  access: "read-only" | "read-write",
): PolicyStatement[] {
  const bucket = `arn:${partition}:s3:::${stateBucket}`;
  // stacks/, history/, backups/ and locks/ all key a stack's objects by project and stack.
  const stackObjects = [
    `${bucket}/.pulumi/*/${project}/${stack}.json*`,
    `${bucket}/.pulumi/*/${project}/${stack}/*`,
  ];
  const list: PolicyStatement = {
    Sid: "ListPulumiState",
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: bucket,
    Condition: { StringLike: { "s3:prefix": [".pulumi/*"] } },
  };
  if (access === "read-only") {
    return [
      list,
      {
        Sid: "ReadThisStacksPulumiState",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [`${bucket}/.pulumi/meta.yaml`, ...stackObjects],
      },
    ];
  }
  return [
    list,
    {
      Sid: "ReadBackendMetadata",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${bucket}/.pulumi/meta.yaml`,
    },
    {
      Sid: "ThisStacksPulumiState",
      Effect: "Allow",
      Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
      Resource: stackObjects,
    },
  ];
}
