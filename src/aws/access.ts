import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AccessLevel, TeamRole } from "../model";
import { componentTags, kebab, physicalName, scoped, type Naming } from "./naming";

export interface AccessArgs {
  /** Stack and app: role names and the parameter, secret and log scopes. No default. */
  readonly naming: Naming;
  /** Access level per team role; roles at `none` get no IAM role. No default. */
  readonly levels: Readonly<Record<TeamRole, AccessLevel>>;
  /** Name of the ECS cluster deployers may roll services in. No default. */
  readonly clusterName: string;
  /** The HTTPS listener whose weights deployers shift. No default. */
  readonly listenerArn: pulumi.Input<string>;
  /** Roles a task definition may carry (task and execution roles). No default. */
  readonly taskRoleArns: pulumi.Input<string>[];
  /** ECR repositories deployers may pull from. Defaults to none (images outside ECR). */
  readonly imageRepositoryArns?: readonly string[];
  /** Longest session of an assumed role, seconds. Defaults to 3600. */
  readonly maxSessionSeconds?: number;
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
 * One IAM role per team role with a level other than `none`, assumable from the account by
 * MFA-authenticated principals only. Levels nest: deploy includes read-only, admin includes
 * deploy. No level grants IAM writes or any action on every resource.
 */
export class Access extends pulumi.ComponentResource {
  /** Role ARNs by team role. */
  public readonly roleArns: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: AccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:Access", name, {}, opts);
    const tags = componentTags("access");
    const { naming } = args;
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const arn = (service: string, resource: string) =>
      pulumi.interpolate`arn:${partition.partition}:${service}:${region.region}:${identity.accountId}:${resource}`;
    const inRegion = { StringEquals: { "aws:RequestedRegion": region.region } };

    const readOnly: Statement[] = [
      {
        Sid: "DescribeEnvironment",
        Effect: "Allow",
        // Describe and list calls support no resource-level scoping; the region bounds them.
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
          "sns:GetTopicAttributes",
          "sns:ListTopics",
          "sns:ListSubscriptionsByTopic",
          "ssm:DescribeParameters",
          "pi:DescribeDimensionKeys",
          "pi:GetResourceMetrics",
          "tag:GetResources",
        ],
        Resource: "*",
        Condition: inRegion,
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
        Sid: "ReadOwnParameters",
        Effect: "Allow",
        Action: [
          "ssm:GetParameter",
          "ssm:GetParameters",
          "ssm:GetParametersByPath",
          "ssm:GetParameterHistory",
        ],
        Resource: arn("ssm", `parameter${scoped(naming)}*`),
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
      },
      {
        Sid: "RegisterTaskDefinitions",
        Effect: "Allow",
        // Task definition registration supports no resource-level scoping.
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
        Sid: "ShiftTraffic",
        Effect: "Allow",
        Action: "elasticloadbalancing:ModifyListener",
        Resource: args.listenerArn,
      },
      {
        Sid: "EcrLogin",
        Effect: "Allow",
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
        Sid: "OperateEnvironmentServices",
        Effect: "Allow",
        Action: [
          "ec2:*",
          "ecs:*",
          "elasticloadbalancing:*",
          "rds:*",
          "elasticache:*",
          "cloudwatch:*",
          "logs:*",
          "sns:*",
          "xray:*",
          "pi:*",
          "application-autoscaling:*",
        ],
        Resource: "*",
        Condition: inRegion,
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
        Sid: "UseKeys",
        Effect: "Allow",
        Action: [
          "kms:Describe*",
          "kms:List*",
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:GenerateDataKey*",
          "kms:CreateGrant",
        ],
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

    const trust = pulumi.jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: {
            AWS: pulumi.interpolate`arn:${partition.partition}:iam::${identity.accountId}:root`,
          },
          Action: "sts:AssumeRole",
          Condition: {
            Bool: { "aws:MultiFactorAuthPresent": "true" },
            NumericLessThan: { "aws:MultiFactorAuthAge": "3600" },
          },
        },
      ],
    });

    this.roleArns = {};
    for (const [team, level] of Object.entries(args.levels) as [TeamRole, AccessLevel][]) {
      if (level === "none") continue;
      const id = kebab(team);
      const role = new aws.iam.Role(
        `${name}-${id}`,
        {
          name: physicalName(naming, id, 64),
          description: `${team}: ${level} access to ${naming.app} in ${naming.stack}`,
          assumeRolePolicy: trust,
          maxSessionDuration: args.maxSessionSeconds ?? 3600,
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
