import type { Role } from "./environments";

/** Where the documentation states a promise: a file of the repository and its exact words. */
export interface PromiseSource {
  /** Path from the repository root, e.g. `README.md`. */
  readonly file: string;
  /** Words that appear in the file (whitespace, including line breaks, compares as one space). */
  readonly phrase: string;
}

/** What a promise is about: a resource type and the properties the policies read on it. */
export interface PromiseScope {
  /** A resource type token; `aws:*` or `github:*` for every resource of that provider. */
  readonly type: string;
  /** Property paths (or resource options) the enforcing policies read. */
  readonly paths: readonly string[];
  /** Which instances of the type, when not all of them. Defaults to all. */
  readonly instances?: string;
}

/** A guarantee the documentation makes about what the policy pack enforces. */
export interface StatedPromise {
  /** kebab-case, unique. */
  readonly id: string;
  readonly statement: string;
  readonly stated: readonly PromiseSource[];
  /** The policies that fail a preview breaking the promise. */
  readonly policies: readonly string[];
  readonly covers: readonly PromiseScope[];
  /**
   * The roles of the environments the statement is about, where the documentation names them.
   * Defaults to the roles where one of its policies is mandatory (policies/catalog.ts).
   */
  readonly roles?: readonly Role[];
}

const RDS = "aws:rds/instance:Instance";
const REDIS = "aws:elasticache/replicationGroup:ReplicationGroup";
const ROLE = "aws:iam/role:Role";
const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";
const RULESET = "github:index/repositoryRuleset:RepositoryRuleset";
const ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment";
const VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable";

/** Every promise the README and docs/ make about what the pack enforces. */
export const PROMISES: readonly StatedPromise[] = [
  {
    id: "images-pinned-by-digest",
    statement: "Stage and prod run container images pinned by digest, never by a movable tag.",
    stated: [{ file: "README.md", phrase: "each service's container image is pinned by digest" }],
    policies: ["images-pinned-by-digest"],
    covers: [{ type: TASK_DEFINITION, paths: ["containerDefinitions[].image"] }],
  },
  {
    id: "prod-runs-stage-digest",
    statement:
      "Prod runs, for each service, exactly the image digest committed for that service in stage, and no other build.",
    stated: [
      {
        file: "README.md",
        phrase: "`prod` runs exactly the digests committed for `stage`, service by service",
      },
      { file: "docs/GITHUB.md", phrase: "it runs exactly the digest committed for stage" },
    ],
    policies: ["prod-runs-stage-digest"],
    covers: [{ type: TASK_DEFINITION, paths: ["containerDefinitions[].image"] }],
  },
  {
    id: "stage-mirrors-prod",
    statement: "Stage declares what prod's stack file declares on every must-equal attribute.",
    stated: [
      {
        file: "README.md",
        phrase: "Stage mirrors prod on every attribute of the [parity contract]",
      },
    ],
    policies: ["stage-mirrors-prod"],
    covers: [
      {
        type: RDS,
        paths: ["multiAz", "instanceClass", "deletionProtection"],
        instances: "primary",
      },
      { type: REDIS, paths: ["nodeType"] },
    ],
    roles: ["production-like"],
  },
  {
    id: "branch-approvals",
    statement:
      "Merging into an environment's branch takes a pull request with the model's approvals and status checks (prod: two approvals including a code owner, last-push approval, stale approvals dismissed, a successful stage deployment); no force push, no deletion, no always-bypass.",
    stated: [
      {
        file: "README.md",
        phrase:
          "2 approvals incl. a code owner, last-push approval, stale approvals dismissed, CI green, a successful `stage` deployment",
      },
      { file: "README.md", phrase: "1 approval, stale approvals dismissed, CI green" },
      { file: "README.md", phrase: "that every path to prod carries its approvals" },
    ],
    policies: ["branch-rules-match-promotion-model"],
    covers: [
      {
        type: RULESET,
        paths: [
          "rules.pullRequest",
          "rules.requiredStatusChecks",
          "rules.requiredDeployments",
          "rules.nonFastForward",
          "rules.deletion",
          "bypassActors",
        ],
        instances: "branch rulesets",
      },
    ],
    roles: ["production"],
  },
  {
    id: "prod-deployment-approval",
    statement:
      "A prod deployment waits for a human approval in the prod GitHub environment: reviewers, no self-review, no admin bypass.",
    stated: [
      {
        file: "README.md",
        phrase:
          "a human approval in the `prod` GitHub environment (no self-review, no admin bypass)",
      },
    ],
    policies: ["deployment-environment-rules"],
    covers: [
      {
        type: ENVIRONMENT,
        paths: ["reviewers", "preventSelfReview", "canAdminsBypass"],
        instances: "the prod environment",
      },
    ],
    roles: ["production"],
  },
  {
    id: "deploy-from-named-branches",
    statement:
      "Each GitHub environment deploys only from the branches it names (custom branch policies), never from any protected branch.",
    stated: [
      {
        file: "docs/GITHUB.md",
        phrase: "so a branch deploys because it is named, not because it happens to be protected",
      },
    ],
    policies: ["deployment-environment-rules"],
    covers: [
      {
        type: ENVIRONMENT,
        paths: [
          "deploymentBranchPolicy.customBranchPolicies",
          "deploymentBranchPolicy.protectedBranches",
        ],
      },
      {
        type: "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
        paths: ["branchPattern", "tagPattern"],
      },
    ],
    roles: ["production"],
  },
  {
    id: "guards-declared-by-prod-only",
    statement:
      "Dev and stage declare no GitHub resource: only prod's approved job holds a GitHub token that can change a guard.",
    stated: [
      { file: "README.md", phrase: "dev and stage declare no GitHub resource" },
      { file: "docs/SECURITY.md", phrase: "the pack refuses a GitHub resource in any other stack" },
    ],
    policies: ["branch-rules-match-promotion-model"],
    covers: [
      {
        type: "github:*",
        paths: ["(the resource itself)"],
        instances: "prod's, declared elsewhere",
      },
    ],
    roles: ["development", "production-like"],
  },
  {
    id: "developers-read-only",
    statement: "The developer role only reads in stage and prod.",
    stated: [{ file: "README.md", phrase: "developers never write in stage or prod" }],
    policies: ["developer-read-only"],
    covers: [
      {
        type: ROLE,
        paths: ["tags.access-level", "inlinePolicies[].policy"],
        instances: "tagged team-role=developer",
      },
      {
        type: "aws:iam/rolePolicy:RolePolicy",
        paths: ["policy"],
        instances: "the developer role's",
      },
    ],
  },
  {
    id: "access-roles-require-mfa",
    statement:
      "People assume an access role only signed in with MFA within the hour and tagged with the role's team.",
    stated: [
      {
        file: "README.md",
        phrase: "assumable only by the account's principals signed in with MFA within the hour",
      },
      {
        file: "docs/SECURITY.md",
        phrase:
          "A principal of the account may assume an access role only with MFA (within the hour)",
      },
    ],
    policies: ["iam-role-trust"],
    covers: [
      {
        type: ROLE,
        paths: ["assumeRolePolicy.Statement[].Condition"],
        instances: "trusting AWS principals",
      },
    ],
  },
  {
    id: "every-role-bounded",
    statement:
      "Every role of an environment outside /ci/ carries that environment's permissions boundary.",
    stated: [
      {
        file: "docs/SECURITY.md",
        phrase: "Every other role the stack declares carries the boundary",
      },
      { file: "README.md", phrase: "which every other role of the environment carries" },
    ],
    policies: ["iam-permissions-boundary"],
    covers: [{ type: ROLE, paths: ["permissionsBoundary"], instances: "outside the path /ci/" }],
  },
  {
    id: "deploy-role-trusts-its-environment",
    statement:
      "The CI deploy role trusts only GitHub Actions jobs bound to the stack's own GitHub environment, for the STS audience.",
    stated: [
      { file: "README.md", phrase: "trusting only `repo:<owner>/<repo>:environment:<stack>`" },
      { file: "docs/SECURITY.md", phrase: "No role trusts the pull-request OIDC subject" },
    ],
    policies: ["ci-deploy-role-trust"],
    covers: [
      {
        type: ROLE,
        paths: ["assumeRolePolicy.Statement[].Condition"],
        instances: "trusting GitHub's OIDC provider",
      },
    ],
  },
  {
    id: "no-wildcard-admin",
    statement: 'No IAM policy allows "*" on "*".',
    stated: [{ file: "docs/GITHUB.md", phrase: "No statement allows `*` on `*`" }],
    policies: ["no-iam-wildcard-admin"],
    covers: [
      { type: "aws:iam/rolePolicy:RolePolicy", paths: ["policy"] },
      { type: "aws:iam/policy:Policy", paths: ["policy"] },
    ],
  },
  {
    id: "database-encrypted-at-rest",
    statement: "Every PostgreSQL database, primary and replicas, is encrypted at rest.",
    stated: [{ file: "README.md", phrase: "RDS PostgreSQL, KMS-encrypted" }],
    policies: ["encryption-at-rest"],
    covers: [{ type: RDS, paths: ["storageEncrypted"] }],
  },
  {
    id: "database-tls-enforced",
    statement: "PostgreSQL refuses connections without TLS (rds.force_ssl = 1).",
    stated: [
      { file: "README.md", phrase: "KMS-encrypted, TLS enforced" },
      { file: "README.md", phrase: "the parameter group enforces TLS (`rds.force_ssl=1`)" },
    ],
    policies: ["database-tls-enforced"],
    covers: [
      { type: "aws:rds/parameterGroup:ParameterGroup", paths: ["parameters[rds.force_ssl]"] },
      { type: RDS, paths: ["parameterGroupName"] },
    ],
  },
  {
    id: "database-never-public",
    statement: "No database is publicly accessible.",
    stated: [{ file: "README.md", phrase: "the instance is never publicly accessible" }],
    policies: ["no-public-ingress"],
    covers: [{ type: RDS, paths: ["publiclyAccessible"] }],
  },
  {
    id: "database-deletion-safeguards",
    statement:
      "In stage and prod the primary database has deletion protection and leaves a final snapshot; in prod Pulumi also refuses to delete it.",
    stated: [
      {
        file: "README.md",
        phrase:
          "in stage and prod deletion protection and a final snapshot, in prod also Pulumi's `protect` on the primary",
      },
      { file: "README.md", phrase: "Stage and prod take a final snapshot on deletion" },
    ],
    policies: ["prod-database-protected"],
    covers: [
      {
        type: RDS,
        paths: [
          "deletionProtection",
          "skipFinalSnapshot",
          "finalSnapshotIdentifier",
          "options.protect",
        ],
        instances: "primary",
      },
    ],
  },
  {
    id: "database-redundant-and-backed-up",
    statement:
      "In stage and prod the primary database runs Multi-AZ and keeps automated backups for the floor of days.",
    stated: [
      {
        file: "README.md",
        phrase:
          "backups, Performance Insights, and Multi-AZ and read replicas as configured (both on in stage and prod)",
      },
    ],
    policies: ["redundancy-in-production", "database-backup-retention"],
    covers: [{ type: RDS, paths: ["multiAz", "backupRetentionPeriod"], instances: "primary" }],
  },
  {
    id: "cache-encrypted",
    statement: "Redis is encrypted at rest and in transit.",
    stated: [{ file: "README.md", phrase: "encrypted at rest and in transit" }],
    policies: ["encryption-at-rest", "encryption-in-transit"],
    covers: [{ type: REDIS, paths: ["atRestEncryptionEnabled", "transitEncryptionEnabled"] }],
  },
  {
    id: "cache-requires-auth",
    statement: "Redis answers only clients that present its AUTH token.",
    stated: [
      { file: "README.md", phrase: "auth token kept in Secrets Manager" },
      { file: "README.md", phrase: "passed to Redis as a secret" },
    ],
    policies: ["cache-requires-auth"],
    covers: [{ type: REDIS, paths: ["authToken", "userGroupIds"] }],
  },
  {
    id: "cache-fails-over",
    statement: "Redis fails over automatically, in every stack.",
    stated: [{ file: "README.md", phrase: "automatic failover always" }],
    policies: ["cache-failover-shape", "redundancy-in-production"],
    covers: [{ type: REDIS, paths: ["automaticFailoverEnabled"] }],
  },
  {
    id: "https-only",
    statement: "The load balancer serves HTTPS; plain HTTP only redirects to it.",
    stated: [{ file: "README.md", phrase: "the one HTTPS load balancer (HTTP redirects)" }],
    policies: ["encryption-in-transit"],
    covers: [{ type: "aws:lb/listener:Listener", paths: ["protocol", "defaultActions"] }],
  },
  {
    id: "logs-secrets-topics-encrypted",
    statement:
      "Log groups, secrets and the alarm topic are encrypted with the environment's KMS key.",
    stated: [{ file: "README.md", phrase: "all KMS-encrypted" }],
    policies: ["encryption-at-rest"],
    covers: [
      { type: "aws:cloudwatch/logGroup:LogGroup", paths: ["kmsKeyId"] },
      { type: "aws:secretsmanager/secret:Secret", paths: ["kmsKeyId"] },
      { type: "aws:sns/topic:Topic", paths: ["kmsMasterKeyId"] },
    ],
  },
  {
    id: "aws-tags",
    statement:
      "Every AWS resource carries the tags env, app and managed-by=pulumi with its stack's values.",
    stated: [
      {
        file: "README.md",
        phrase: "AWS tags `env`, `app`, `managed-by=pulumi` (the provider's default tags)",
      },
    ],
    policies: ["required-tags"],
    covers: [{ type: "aws:*", paths: ["tags", "provider.defaultTags"] }],
  },
  {
    id: "aws-names-scoped",
    statement: "Parameters, secrets and log groups are named under /<stack>/<app>/.",
    stated: [
      {
        file: "README.md",
        phrase:
          "parameters and secrets under `/<stack>/<app>/`, log groups `/<stack>/<app>/<component>`",
      },
    ],
    policies: ["aws-names-scoped"],
    covers: [
      { type: "aws:ssm/parameter:Parameter", paths: ["name"] },
      { type: "aws:secretsmanager/secret:Secret", paths: ["name"] },
      { type: "aws:cloudwatch/logGroup:LogGroup", paths: ["name"] },
    ],
  },
  {
    id: "github-variables-prefixed",
    statement: "Each environment's GitHub variables carry its prefix (DEV_, STAGE_, PROD_).",
    stated: [{ file: "README.md", phrase: "GitHub variables `DEV_*`, `STAGE_*`, `PROD_*`" }],
    policies: ["github-names-prefixed"],
    covers: [{ type: VARIABLE, paths: ["variableName"] }],
    roles: ["production"],
  },
  {
    id: "no-secret-in-github-variables",
    statement:
      "No GitHub variable holds a secret, and no secret passes through the program in plain text.",
    stated: [
      {
        file: "docs/GITHUB.md",
        phrase: "so nothing secret is stored in plaintext in the Pulumi state",
      },
    ],
    policies: ["no-plaintext-github-secrets"],
    covers: [{ type: VARIABLE, paths: ["variableName", "value"] }],
    roles: ["production"],
  },
];
