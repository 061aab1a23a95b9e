import { ROLE_TAKING_SERVICES, physicalPrefix, scopePrefix, type StackName } from "../model";
import {
  denyRetaggingOtherEnvironments,
  environmentPathStatement,
  TAGGING_ACTIONS,
  type PolicyDocument,
  type PolicyStatement,
} from "./deploy-role";

/**
 * IAM path of the environment's permissions boundary. The deploy role may edit customer managed
 * policies named `policy/<app>-<stack>-*` (root path); the boundary's ARN is
 * `policy/ci/<app>-<stack>-boundary`, which that grant never matches.
 */
export const BOUNDARY_POLICY_PATH = "/ci/";

/** The boundary policy's name, `<app>-<stack>-boundary`. */
export function boundaryPolicyName(stack: StackName, app: string): string {
  return `${physicalPrefix(stack, app)}-boundary`;
}

/** The boundary policy's ARN, `arn:<partition>:iam::<account>:policy/ci/<app>-<stack>-boundary`. */
export function boundaryPolicyArn(
  partition: string,
  accountId: string,
  stack: StackName,
  app: string,
): string {
  return `arn:${partition}:iam::${accountId}:policy${BOUNDARY_POLICY_PATH}${boundaryPolicyName(stack, app)}`;
}

/**
 * Services the environment's workload and access roles operate by tag. Each supports
 * `aws:ResourceTag/${TagKey}` on its resource-level actions; see the ABAC column of
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-services-that-work-with-iam.html
 * and each service's table in
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html.
 * An action of these services that takes no resource (Describe*, List*, RegisterTaskDefinition)
 * has no `aws:ResourceTag` in its request context, so the tag statement never allows it: such
 * actions are granted below by name, bounded by region.
 */
export const BOUNDED_TAG_SERVICES = [
  "application-autoscaling",
  "cloudwatch",
  "ec2",
  "ecs",
  "elasticache",
  "elasticloadbalancing",
  "rds",
  "sns",
] as const;

/**
 * Reads that take no resource (or, for `logs:DescribeLogGroups`, any log group), bounded by
 * region only: they return metadata, never data.
 */
export const BOUNDED_DESCRIBE_ACTIONS = [
  "application-autoscaling:Describe*",
  "cloudwatch:Describe*",
  "cloudwatch:Get*",
  "cloudwatch:List*",
  "ec2:Describe*",
  "ecs:Describe*",
  "ecs:List*",
  "elasticache:Describe*",
  "elasticache:ListTagsForResource",
  "elasticloadbalancing:Describe*",
  "kms:ListAliases",
  "kms:ListKeys",
  "logs:DescribeLogGroups",
  "logs:DescribeQueries",
  "logs:GetQueryResults",
  "logs:StopQuery",
  "pi:DescribeDimensionKeys",
  "pi:GetResourceMetrics",
  "rds:Describe*",
  "rds:ListTagsForResource",
  "sns:ListTopics",
  "ssm:DescribeParameters",
  "tag:GetResources",
  "xray:BatchGet*",
  "xray:Get*",
] as const;

/** IAM actions that change something: no role the environment creates may call them. */
export const IAM_WRITE_ACTIONS = [
  "iam:Add*",
  "iam:Attach*",
  "iam:Change*",
  "iam:Create*",
  "iam:Deactivate*",
  "iam:Delete*",
  "iam:Detach*",
  "iam:Enable*",
  "iam:Put*",
  "iam:Remove*",
  "iam:Reset*",
  "iam:Resync*",
  "iam:Set*",
  "iam:Tag*",
  "iam:Untag*",
  "iam:Update*",
  "iam:Upload*",
] as const;

/** Services that take the environment's roles (`iam:PassedToService`). */
export { ROLE_TAKING_SERVICES } from "../model";

/** What the boundary is built from (all known once the account is). */
export interface BoundaryInput {
  readonly stack: StackName;
  readonly app: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

/**
 * The permissions boundary of every role the environment creates (workload, flow-log and access
 * roles): the most any of them can ever do, whatever policy is attached to it later. Effective
 * permissions are the intersection of the boundary and the role's own policies:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
 *
 * In the shared-account layout this is what keeps a role that dev's deploy role creates (from
 * unreviewed code) away from stage's and prod's resources: resources tagged for another
 * environment, parameters, secrets and log groups under another `/<stack>/<app>/`, keys tagged
 * for another environment, roles of another environment, and every IAM write are out of reach.
 */
export function environmentBoundaryPolicy(input: BoundaryInput): PolicyDocument {
  const { stack, app, partition, region, accountId } = input;
  const scope = scopePrefix(stack, app);
  const named = `${physicalPrefix(stack, app)}-`;
  const inRegion = { "aws:RequestedRegion": region };
  const tagged = { "aws:ResourceTag/env": stack, "aws:ResourceTag/app": app };
  const requested = { "aws:RequestTag/env": stack, "aws:RequestTag/app": app };
  const serviceActions = BOUNDED_TAG_SERVICES.map((s) => `${s}:*`);
  const environmentRoles = `arn:${partition}:iam::${accountId}:role/${named}*`;
  const statements: PolicyStatement[] = [
    {
      Sid: "DescribeInRegion",
      Effect: "Allow",
      Action: [...BOUNDED_DESCRIBE_ACTIONS],
      Resource: "*",
      Condition: { StringEquals: inRegion },
    },
    {
      Sid: "OperateResourcesTaggedForThisEnvironment",
      Effect: "Allow",
      Action: serviceActions,
      Resource: "*",
      Condition: { StringEquals: { ...tagged, ...inRegion } },
    },
    {
      Sid: "CreateResourcesTaggedForThisEnvironment",
      Effect: "Allow",
      Action: serviceActions,
      Resource: "*",
      Condition: { StringEquals: { ...requested, ...inRegion } },
    },
    denyRetaggingOtherEnvironments(
      stack,
      TAGGING_ACTIONS.filter((a) =>
        (BOUNDED_TAG_SERVICES as readonly string[]).includes(a.split(":")[0]!),
      ),
    ),
    {
      // ECS task definitions take no resource-level tag condition on register/deregister/describe
      // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html):
      // a task definition is inert; what runs it (UpdateService) and what it carries (PassRole)
      // are bounded by tag and by role name.
      Sid: "TaskDefinitionsInRegion",
      Effect: "Allow",
      Action: [
        "ecs:DeregisterTaskDefinition",
        "ecs:DescribeTaskDefinition",
        "ecs:RegisterTaskDefinition",
      ],
      Resource: "*",
      Condition: { StringEquals: inRegion },
    },
    {
      // The rollout hook's migration task carries no tags (RunTask tags nothing unless asked, and
      // tagging on create is a further permission), so stopping it at its timeout is bounded by
      // the cluster in its ARN instead: `task/<cluster>/<id>`, the environment's clusters being
      // named `<app>-<stack>-*`
      // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html).
      Sid: "StopTasksInThisEnvironmentsClusters",
      Effect: "Allow",
      Action: "ecs:StopTask",
      Resource: `arn:${partition}:ecs:${region}:${accountId}:task/${named}*/*`,
    },
    environmentPathStatement(partition, region, accountId, scope),
    {
      // RDS names the master user secret `rds!db-<id>`, outside the environment's path, and the
      // tags RDS puts on it are not documented as ours. Reading one also needs kms:Decrypt on the
      // key it is encrypted with (the database's key, tagged for its environment), which the
      // KMS statement below bounds: another environment's secret stays sealed.
      Sid: "ReadRdsManagedSecrets",
      Effect: "Allow",
      Action: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
      Resource: `arn:${partition}:secretsmanager:${region}:${accountId}:secret:rds!*`,
    },
    {
      // KMS authorizes key operations by the key's tags:
      // https://docs.aws.amazon.com/kms/latest/developerguide/abac.html
      Sid: "UseKeysTaggedForThisEnvironment",
      Effect: "Allow",
      Action: [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
      ],
      Resource: `arn:${partition}:kms:${region}:${accountId}:key/*`,
      Condition: { StringEquals: tagged },
    },
    {
      // Grants only for the AWS services that use the key on the environment's behalf.
      Sid: "GrantKeysTaggedForThisEnvironmentToServices",
      Effect: "Allow",
      Action: "kms:CreateGrant",
      Resource: `arn:${partition}:kms:${region}:${accountId}:key/*`,
      Condition: { StringEquals: tagged, Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
    {
      // Images are promoted unchanged from dev to prod and hold no environment's data; ECR's
      // login takes no resource.
      Sid: "PullImages",
      Effect: "Allow",
      Action: [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:DescribeImages",
        "ecr:GetAuthorizationToken",
        "ecr:GetDownloadUrlForLayer",
      ],
      Resource: "*",
    },
    {
      // X-Ray's trace writes and cloudwatch:PutMetricData take no resource:
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
      Sid: "WriteTelemetryInRegion",
      Effect: "Allow",
      Action: [
        "cloudwatch:PutMetricData",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
      ],
      Resource: "*",
      Condition: { StringEquals: inRegion },
    },
    {
      Sid: "ReadIam",
      Effect: "Allow",
      Action: ["iam:Get*", "iam:List*"],
      Resource: "*",
    },
    {
      Sid: "PassOnlyThisEnvironmentsRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: environmentRoles,
      Condition: { StringEquals: { "iam:PassedToService": [...ROLE_TAKING_SERVICES] } },
    },
    {
      // ECS invokes the rollout hook with a role of the environment
      // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html).
      Sid: "InvokeThisEnvironmentsFunctions",
      Effect: "Allow",
      Action: "lambda:InvokeFunction",
      Resource: `arn:${partition}:lambda:${region}:${accountId}:function:${named}*`,
    },
    {
      Sid: "DenyIamWrites",
      Effect: "Deny",
      Action: [...IAM_WRITE_ACTIONS],
      Resource: "*",
    },
    {
      Sid: "DenyAssumingRolesOutsideThisEnvironment",
      Effect: "Deny",
      Action: "sts:AssumeRole",
      NotResource: environmentRoles,
    },
  ];
  return { Version: "2012-10-17", Statement: statements };
}
