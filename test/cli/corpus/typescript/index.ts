import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ECS_TASKS_TRUST, envstack, environment } from "../shared/environment";

interface WorkerArgs {
  /** The trust policy of the worker's role. */
  readonly assumeRolePolicy: pulumi.Input<string>;
}

/** A worker's role, declared without the stack's permissions boundary. */
class Worker extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: WorkerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("corpus:workers:Worker", name, {}, opts);
    const role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: args.assumeRolePolicy },
      { parent: this },
    );
    this.roleArn = role.arn;
    this.registerOutputs({ roleArn: role.arn });
  }
}

const base = envstack();
const { provider } = environment();
const worker = new Worker(
  "corpus-worker",
  { assumeRolePolicy: ECS_TASKS_TRUST },
  { providers: [provider] },
);

export = { ...base, workerRoleArn: worker.roleArn };
