import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MAX_ACCESS_SESSION_SECONDS, type AccessLevel, type TeamRole } from "../model";
import { componentTags, kebab, physicalName, scoped, type Naming } from "./naming";

export interface AccessArgs {
  /** Stack and app: role names and the parameter, secret and log scopes. No default. */
  readonly naming: Naming;
  /** Access level per team role; roles at `none` get no IAM role. No default. */
  readonly levels: Readonly<Record<TeamRole, AccessLevel>>;
  /** Name of the ECS cluster deployers may roll services in. No default. */
  readonly clusterName: string;
  /** Roles a task definition may carry (task and execution roles). No default. */
  readonly taskRoleArns: pulumi.Input<string>[];
  /** ECR repositories deployers may pull from. Defaults to none (images outside ECR). */
  readonly imageRepositoryArns?: readonly string[];
  /** Longest session of an assumed role, seconds, at most 3600. Defaults to 3600. */
  readonly maxSessionSeconds?: number;
  /** The environment's permissions boundary, carried by every access role. No default. */
  readonly permissionsBoundaryArn: pulumi.Input<string>;
}

/**
 * The ECR repository ARN of an image hosted in ECR
 * (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:...`), or undefined.
 */
export function ecrRepositoryArn(image: string): string | undefined {
  const match =
    /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+?)(:[^@]+)?(@.*)?$/.exec(
      image,
    );
  if (!match) return undefined;
  const [, account, region, china, repository] = match;
  return `arn:${china ? "aws-cn" : "aws"}:ecr:${region}:${account}:repository/${repository}`;
}

type Statement = aws.iam.PolicyStatement;

/**
 * Who may assume a team role's access role: principals of this account, signed in with MFA in
 * the last hour, and tagged `team-role=<team>` (an IAM user's tag, or a session tag from the
 * identity provider), so an MFA user of one team cannot assume another team's role.
 * `aws:PrincipalTag/${TagKey}` is in the request context of every request, `sts:AssumeRole`
 * included: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltag
 * MFA keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthage
 */
export function accessTrustPolicy(partition: string, accountId: string, team: TeamRole): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: "sts:AssumeRole",
        Condition: {
          Bool: { "aws:MultiFactorAuthPresent": "true" },
          NumericLessThan: { "aws:MultiFactorAuthAge": String(MAX_ACCESS_SESSION_SECONDS) },
          StringEquals: { "aws:PrincipalTag/team-role": team },
        },
      },
    ],
  };
}

/**
 * One IAM role per team role with a level other than `none`, assumable only by the account's
 * MFA-authenticated principals tagged for that team role, for at most an hour, and bounded by
 * the environment's permissions boundary. Levels nest: deploy includes read-only, admin includes
 * deploy. Every statement is bounded to the environment: by the `env`/`app` resource tags where
 * the service authorizes on them, by the `/<stack>/<app>/` path otherwise, by region where an
 * action takes no resource. No level grants IAM writes, and read-only reads no secret.
 */
export class Access extends pulumi.ComponentResource {
  /** Role ARNs by team role. */
  public readonly roleArns: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: AccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:Access", name, {}, opts);
    const maxSession = args.maxSessionSeconds ?? MAX_ACCESS_SESSION_SECONDS;
    if (maxSession > MAX_ACCESS_SESSION_SECONDS) {
      throw new Error(
        `Access maxSessionSeconds is ${maxSession}: an access role's session lasts at most ${MAX_ACCESS_SESSION_SECONDS} seconds`,
      );
    }
    const tags = componentTags("access");
    const { naming } = args;
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const arn = (service: string, resource: string) =>
      pulumi.interpolate`arn:${partition.partition}:${service}:${region.region}:${identity.accountId}:${resource}`;
    const inRegion = { StringEquals: { "aws:RequestedRegion": region.region } };
    const tagged = { "aws:ResourceTag/env": naming.stack, "aws:ResourceTag/app": naming.app };

    const readOnly: Statement[] = [
      {
        Sid: "DescribeEnvironment",
        Effect: "Allow",
        // Describe and list calls support no resource-level scoping; the region bounds them.
        // They return metadata, never a secret or a parameter's value.
        Action: [
          "ec2:Describe*",
          "ecs:Describe*",
          "ecs:List*",
          "elasticloadbalancing:Describe*",
          "rds:Describe*",
          "rds:ListTagsForResource",
          "elasticache:Describe*",
          "elasticache:ListTagsForResource",
          "cloudwatch:Describe*",
          "cloudwatch:Get*",
          "cloudwatch:List*",
          "logs:DescribeLogGroups",
          "xray:BatchGet*",
          "xray:Get*",
          "sns:ListTopics",
          "ssm:DescribeParameters",
          "pi:DescribeDimensionKeys",
          "pi:GetResourceMetrics",
          "tag:GetResources",
        ],
        Resource: "*",
        Condition: inRegion,
      },
      {
        Sid: "ReadOwnTopics",
        Effect: "Allow",
        Action: ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"],
        Resource: arn("sns", `${physicalName(naming, "*", 256)}`),
      },
      {
        Sid: "ReadOwnLogs",
        Effect: "Allow",
        Action: [
          "logs:DescribeLogStreams",
          "logs:GetLogEvents",
          "logs:FilterLogEvents",
          "logs:StartQuery",
        ],
        Resource: arn("logs", `log-group:${scoped(naming)}*`),
      },
      {
        // Only the parameters the program writes as plain String values (endpoints, secret ARNs,
        // feature flags): a SecureString elsewhere under the path may be encrypted with the
        // account's aws/ssm key, which any principal of the account can use through SSM.
        Sid: "ReadConnectionsAndFlags",
        Effect: "Allow",
        Action: [
          "ssm:GetParameter",
          "ssm:GetParameters",
          "ssm:GetParametersByPath",
          "ssm:GetParameterHistory",
        ],
        Resource: [
          arn("ssm", `parameter${scoped(naming, "connections")}`),
          arn("ssm", `parameter${scoped(naming, "connections")}/*`),
          arn("ssm", `parameter${scoped(naming, "flags")}`),
          arn("ssm", `parameter${scoped(naming, "flags")}/*`),
        ],
      },
    ];

    const repositories = [...new Set(args.imageRepositoryArns ?? [])];
    const deploy: Statement[] = [
      ...readOnly,
      {
        Sid: "RollServices",
        Effect: "Allow",
        Action: ["ecs:UpdateService", "ecs:DescribeServices"],
        Resource: arn("ecs", `service/${args.clusterName}/*`),
        Condition: { StringEquals: tagged },
      },
      {
        Sid: "RegisterTaskDefinitions",
        Effect: "Allow",
        // Task definition registration supports no resource-level scoping: the region bounds
        // it, and what a task definition may carry is bounded by PassTaskRoles.
        Action: [
          "ecs:RegisterTaskDefinition",
          "ecs:DeregisterTaskDefinition",
          "ecs:DescribeTaskDefinition",
        ],
        Resource: "*",
        Condition: inRegion,
      },
      {
        Sid: "PassTaskRoles",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: args.taskRoleArns,
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
      {
        // ECS shifts traffic itself (the services' rollouts); a release manager may stop a
        // rollout that neither its alarms nor its circuit breaker caught, rolling it back
        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stop-service-deployment.html,
        // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html).
        Sid: "StopRollouts",
        Effect: "Allow",
        Action: [
          "ecs:DescribeServiceDeployments",
          "ecs:ListServiceDeployments",
          "ecs:StopServiceDeployment",
        ],
        Resource: [
          arn("ecs", `service/${args.clusterName}/*`),
          arn("ecs", `service-deployment/${args.clusterName}/*`),
        ],
      },
      {
        Sid: "EcrLogin",
        Effect: "Allow",
        // ecr:GetAuthorizationToken takes no resource.
        Action: "ecr:GetAuthorizationToken",
        Resource: "*",
      },
      ...(repositories.length > 0
        ? [
            {
              Sid: "PullImages",
              Effect: "Allow" as const,
              Action: [
                "ecr:BatchGetImage",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:DescribeImages",
              ],
              Resource: repositories,
            },
          ]
        : []),
    ];

    const admin: Statement[] = [
      ...deploy,
      {
        Sid: "OperateResourcesTaggedForThisEnvironment",
        Effect: "Allow",
        // Actions of these services that take no resource (or do not authorize on
        // aws:ResourceTag) are not allowed by this statement; the reads among them are in
        // DescribeEnvironment.
        Action: [
          "ec2:*",
          "ecs:*",
          "elasticloadbalancing:*",
          "rds:*",
          "elasticache:*",
          "cloudwatch:*",
          "sns:*",
          "application-autoscaling:*",
        ],
        Resource: "*",
        Condition: { StringEquals: { ...tagged, "aws:RequestedRegion": region.region } },
      },
      {
        Sid: "ManageOwnLogs",
        Effect: "Allow",
        Action: "logs:*",
        Resource: arn("logs", `log-group:${scoped(naming)}*`),
      },
      {
        Sid: "ManageOwnParameters",
        Effect: "Allow",
        Action: "ssm:*",
        Resource: arn("ssm", `parameter${scoped(naming)}*`),
      },
      {
        Sid: "ManageOwnSecrets",
        Effect: "Allow",
        Action: "secretsmanager:*",
        Resource: arn("secretsmanager", `secret:${scoped(naming)}*`),
      },
      {
        // KMS authorizes key operations by the key's tags:
        // https://docs.aws.amazon.com/kms/latest/developerguide/abac.html
        Sid: "UseKeysTaggedForThisEnvironment",
        Effect: "Allow",
        Action: ["kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: arn("kms", "key/*"),
        Condition: { StringEquals: tagged },
      },
      {
        Sid: "GrantKeysTaggedForThisEnvironmentToServices",
        Effect: "Allow",
        Action: "kms:CreateGrant",
        Resource: arn("kms", "key/*"),
        Condition: { StringEquals: tagged, Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
      {
        Sid: "ListKeys",
        Effect: "Allow",
        // kms:ListKeys and kms:ListAliases take no resource.
        Action: ["kms:ListKeys", "kms:ListAliases"],
        Resource: "*",
        Condition: inRegion,
      },
      {
        Sid: "ReadIam",
        Effect: "Allow",
        Action: ["iam:Get*", "iam:List*"],
        Resource: "*",
      },
    ];
    const statements: Record<Exclude<AccessLevel, "none">, Statement[]> = {
      "read-only": readOnly,
      deploy,
      admin,
    };

    this.roleArns = {};
    for (const [team, level] of Object.entries(args.levels) as [TeamRole, AccessLevel][]) {
      if (level === "none") continue;
      const id = kebab(team);
      const role = new aws.iam.Role(
        `${name}-${id}`,
        {
          name: physicalName(naming, id, 64),
          description: `${team}: ${level} access to ${naming.app} in ${naming.stack}`,
          assumeRolePolicy: pulumi
            .all([partition.partition, identity.accountId])
            .apply(([part, account]) => JSON.stringify(accessTrustPolicy(part, account, team))),
          maxSessionDuration: maxSession,
          permissionsBoundary: args.permissionsBoundaryArn,
          tags: { ...tags, "team-role": team, "access-level": level },
        },
        { parent: this },
      );
      new aws.iam.RolePolicy(
        `${name}-${id}`,
        {
          role: role.id,
          name: level,
          policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements[level] }),
        },
        { parent: this },
      );
      this.roleArns[team] = role.arn;
    }
    this.registerOutputs({ roleArns: this.roleArns });
  }
}
