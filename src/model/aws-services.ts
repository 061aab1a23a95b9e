/**
 * AWS service principals that assume the environment's roles, each for the roles made for it:
 * ECS tasks (task and execution roles), VPC flow logs, ECS itself (the load balancer
 * infrastructure role of a blue-green, canary or linear rollout, and the role it invokes the
 * rollout hook with:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html) and
 * Lambda (the rollout hook's execution role). The deploy role may pass the environment's roles
 * to these services only (`iam:PassedToService`), and the pack lets roles trust these only.
 */
export const ROLE_TAKING_SERVICES: readonly string[] = [
  "ecs-tasks.amazonaws.com",
  "vpc-flow-logs.amazonaws.com",
  "ecs.amazonaws.com",
  "lambda.amazonaws.com",
];
