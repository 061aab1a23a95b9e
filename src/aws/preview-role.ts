import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { githubPullRequestSubject, PREVIEW_ROLE_TAG } from "../model/github-rules";
import { physicalPrefix, type StackName } from "../model";
import {
  DEPLOY_ROLE_PATH,
  PLANNING_READ_ACTIONS,
  githubTrustPolicy,
  pulumiStateStatements,
  type PolicyDocument,
  type PolicyStatement,
} from "./deploy-role";

/** What a preview reads beyond the planning reads: the program's data sources. */
export const PREVIEW_EXTRA_READS = [
  "iam:GetOpenIDConnectProvider",
  "iam:ListOpenIDConnectProviders",
  "secretsmanager:GetRandomPassword",
] as const;

export interface PreviewPermissionsInput {
  readonly stack: StackName;
  readonly partition: string;
  /** The Pulumi project, for the state object keys. */
  readonly project: string;
  readonly stateBucket?: string;
  readonly secretsKeyArn?: string;
}

/**
 * The preview role's permissions: the reads `pulumi preview` makes, the stack's own state objects
 * and the secrets key to decrypt them. Nothing writes, so pull-request code (which runs before any
 * review) can look at an environment but never change it.
 */
export function previewPermissionsPolicy(input: PreviewPermissionsInput): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: "PlanningReads",
      Effect: "Allow",
      Action: [...PLANNING_READ_ACTIONS, ...PREVIEW_EXTRA_READS],
      Resource: "*",
    },
  ];
  if (input.stateBucket !== undefined) {
    statements.push(
      ...pulumiStateStatements(
        input.partition,
        input.stateBucket,
        input.project,
        input.stack,
        "read-only",
      ),
    );
  }
  if (input.secretsKeyArn !== undefined) {
    statements.push({
      Sid: "DecryptStackSecrets",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: input.secretsKeyArn,
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

export interface PreviewRoleArgs {
  /** The stack (environment) the role previews. */
  readonly stack: StackName;
  /** The application name, for the role's name. */
  readonly app: string;
  /** The GitHub owner (organization or user) of the repository. */
  readonly owner: string;
  /** The repository whose pull-request jobs may assume the role. */
  readonly repository: string;
  /** The ARN of the account's GitHub OIDC provider (the deploy role declares or finds it). */
  readonly oidcProviderArn: pulumi.Input<string>;
  /** The Pulumi project, for the state object keys. Defaults to the running project. */
  readonly project?: string;
  /** S3 bucket of a self-managed Pulumi backend. Defaults to none (Pulumi Cloud: no grant). */
  readonly stateBucket?: string;
  /** KMS key ARN of the awskms secrets provider. Defaults to none (no grant). */
  readonly secretsKeyArn?: string;
}

/**
 * The read-only role pull-request previews assume. A pull-request job is bound to no deployment
 * environment (prod's admits only `main`), so it cannot use the deploy role; this role trusts the
 * repository's pull-request subject and can only read.
 */
export class PreviewRole extends pulumi.ComponentResource {
  /** The role's ARN, published as the repository variable `<STACK>_AWS_PREVIEW_ROLE_ARN`. */
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: PreviewRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:PreviewRole", name, {}, opts);
    const subject = githubPullRequestSubject(args.owner, args.repository);
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: `${physicalPrefix(args.stack, args.app)}-preview`,
        path: DEPLOY_ROLE_PATH,
        description: `Read-only pull-request previews of ${args.app} ${args.stack} from ${args.owner}/${args.repository}`,
        maxSessionDuration: 3600,
        assumeRolePolicy: pulumi
          .output(args.oidcProviderArn)
          .apply((arn) => JSON.stringify(githubTrustPolicy(arn, subject))),
        tags: { [PREVIEW_ROLE_TAG.key]: PREVIEW_ROLE_TAG.value },
      },
      { parent: this },
    );
    const partition = aws.getPartitionOutput({}, { parent: this });
    const project = args.project ?? pulumi.getProject();
    new aws.iam.RolePolicy(
      `${name}-permissions`,
      {
        role: role.name,
        name: "preview-environment",
        policy: partition.partition.apply((part) =>
          JSON.stringify(
            previewPermissionsPolicy({
              stack: args.stack,
              partition: part,
              project,
              stateBucket: args.stateBucket,
              secretsKeyArn: args.secretsKeyArn,
            }),
          ),
        ),
      },
      { parent: this },
    );
    this.roleArn = role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}
