"use strict";
const aws = require("@pulumi/aws");
const pulumi = require("@pulumi/pulumi");
const { envstack, environment } = require("../shared/environment");

const base = envstack();
const { provider } = environment();

class Mailbox extends pulumi.ComponentResource {
  constructor(name, opts) {
    super("corpus:queues:Mailbox", name, {}, opts);
    // Once a top-level queue named "inbox"; the aliases carry its state over.
    this.queue = new aws.sqs.Queue(
      `${name}-queue`,
      {},
      { parent: this, aliases: [{ name: "inbox", parent: pulumi.rootStackResource }] },
    );
    this.registerOutputs({});
  }
}

const mailbox = new Mailbox("corpus-mailbox", { providers: [provider] });
new aws.sqs.Queue("corpus-outbox", {}, { provider, aliases: [{ name: "outbox" }] });

module.exports = { ...base, mailbox: mailbox.queue.arn };
