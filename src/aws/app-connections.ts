import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { componentTags } from "./naming";

export interface AppConnectionsArgs {
  /** Parameter path the connection details live under, `/<stack>/<app>/connections`. No default. */
  readonly path: string;
  /** The task role the application runs as; it is granted the secrets below. No default. */
  readonly taskRoleArn: pulumi.Input<string>;
  /** The primary database endpoint (`host:port`). No default. */
  readonly databaseEndpoint: pulumi.Input<string>;
  /** Read replica endpoints. Defaults to none. */
  readonly databaseReaderEndpoints?: readonly pulumi.Input<string>[];
  /** The Secrets Manager secret RDS manages for the master user. No default. */
  readonly databaseSecretArn: pulumi.Input<string | undefined>;
  /** The KMS key encrypting the database secret. No default. */
  readonly databaseKeyArn: pulumi.Input<string>;
  /** The Redis cluster configuration endpoint. No default. */
  readonly cacheEndpoint: pulumi.Input<string>;
  /** The secret holding the Redis auth token. No default. */
  readonly cacheAuthTokenSecretArn: pulumi.Input<string>;
  /** The KMS key encrypting the cache secret. No default. */
  readonly cacheKeyArn: pulumi.Input<string>;
}

/**
 * Where the application finds its backing services: endpoints and secret ARNs as SSM parameters
 * under the path it already reads (`APP_PARAMETER_PATH`), and read access to exactly those two
 * secrets for its task role. Endpoints and ARNs are not secret; the credentials stay in Secrets
 * Manager and never pass through config or the task definition.
 */
export class AppConnections extends pulumi.ComponentResource {
  /** Parameter names by connection detail. */
  public readonly parameterNames: Record<string, string>;

  constructor(name: string, args: AppConnectionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:AppConnections", name, {}, opts);
    const tags = componentTags("service");
    const readers = pulumi.all([...(args.databaseReaderEndpoints ?? [])]);
    const details: Record<string, pulumi.Input<string>> = {
      "database/endpoint": args.databaseEndpoint,
      // An SSM value cannot be empty: "-" means no replica.
      "database/reader-endpoints": readers.apply((r) => (r.length > 0 ? r.join(",") : "-")),
      "database/secret-arn": pulumi.output(args.databaseSecretArn).apply((arn) => arn ?? "-"),
      "cache/endpoint": args.cacheEndpoint,
      "cache/auth-token-secret-arn": args.cacheAuthTokenSecretArn,
    };
    this.parameterNames = {};
    for (const [detail, value] of Object.entries(details)) {
      const parameterName = `${args.path}/${detail}`;
      new aws.ssm.Parameter(
        `${name}-${detail.replace(/\//g, "-")}`,
        { name: parameterName, type: "String", tier: "Standard", value, tags },
        { parent: this },
      );
      this.parameterNames[detail] = parameterName;
    }
    const secretArns = pulumi
      .all([args.databaseSecretArn, args.cacheAuthTokenSecretArn])
      .apply((arns) => arns.filter((a): a is string => a !== undefined));
    new aws.iam.RolePolicy(
      `${name}-secrets`,
      {
        role: pulumi.output(args.taskRoleArn).apply((arn) => arn.split("/").pop()!),
        name: "read-connection-secrets",
        policy: pulumi
          .all([secretArns, args.databaseKeyArn, args.cacheKeyArn])
          .apply(([secrets, databaseKey, cacheKey]) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Sid: "ReadConnectionSecrets",
                  Effect: "Allow",
                  Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                  Resource: secrets,
                },
                {
                  Sid: "DecryptConnectionSecrets",
                  Effect: "Allow",
                  Action: "kms:Decrypt",
                  Resource: [databaseKey, cacheKey],
                },
              ],
            }),
          ),
      },
      { parent: this },
    );
    this.registerOutputs({ parameterNames: this.parameterNames });
  }
}
