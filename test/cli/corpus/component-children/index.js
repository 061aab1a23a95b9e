"use strict";
const aws = require("@pulumi/aws");
const pulumi = require("@pulumi/pulumi");
const { envstack, environment } = require("../shared/environment");

/** A work queue and its dead-letter queue, as one component. */
class WorkQueue extends pulumi.ComponentResource {
  constructor(name, args, opts) {
    super("corpus:queues:WorkQueue", name, {}, opts);
    const deadLetters = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: 1209600 },
      { parent: this },
    );
    const queue = new aws.sqs.Queue(
      `${name}-queue`,
      {
        visibilityTimeoutSeconds: args.visibilityTimeoutSeconds,
        redrivePolicy: deadLetters.arn.apply((arn) =>
          JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 5 }),
        ),
      },
      { parent: this },
    );
    this.queueArn = queue.arn;
    this.registerOutputs({ queueArn: queue.arn });
  }
}

const base = envstack();
const { provider } = environment();
const orders = new WorkQueue("orders", { visibilityTimeoutSeconds: 60 }, { providers: [provider] });

module.exports = { ...base, ordersQueueArn: orders.queueArn };
