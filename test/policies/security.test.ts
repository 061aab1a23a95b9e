import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../policies/unknowns";
import { checkResource, type Fixture } from "./harness";

/*
 * Encryption and secrets, property by property: each resource type a policy judges, the value
 * that fails, the one that passes, the unknown one during a preview, with the exact message.
 */

type Stack = "dev" | "stage" | "prod";
const messages = async (stack: Stack, policy: string, f: Fixture, config = {}) =>
  (await checkResource(stack, policy, f, config)).map((v) => v.message);
const levels = async (stack: Stack, policy: string, f: Fixture) =>
  (await checkResource(stack, policy, f)).map((v) => v.enforcementLevel);

describe("encryption-at-rest", () => {
  const at = (f: Fixture, config = {}) => messages("stage", "encryption-at-rest", f, config);
  const KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234";

  it("wants databases and caches encrypted", async () => {
    const db: Fixture = { type: "aws:rds/instance:Instance", name: "db", props: {} };
    expect(await at({ ...db, props: { storageEncrypted: true } })).toEqual([]);
    expect(await at({ ...db, props: { storageEncrypted: false } })).toEqual([
      "Set storageEncrypted to true on db: stage encrypts databases at rest.",
    ]);
    const cache: Fixture = {
      type: "aws:elasticache/replicationGroup:ReplicationGroup",
      name: "cache",
      props: { atRestEncryptionEnabled: "true" },
    };
    expect(await at(cache)).toEqual([]);
    expect(await at({ ...cache, props: {} })).toEqual([
      "Set atRestEncryptionEnabled to true on cache: stage encrypts caches at rest.",
    ]);
  });

  it.each([
    ["aws:cloudwatch/logGroup:LogGroup", "kmsKeyId"],
    ["aws:sns/topic:Topic", "kmsMasterKeyId"],
    ["aws:secretsmanager/secret:Secret", "kmsKeyId"],
  ])("wants %s to name the environment's key in %s", async (type, property) => {
    const f = (value: unknown): Fixture => ({ type, name: "r", props: { [property]: value } });
    expect(await at(f(KEY))).toEqual([]);
    // A key ARN computed during the update will be there.
    expect(await at(f(UNKNOWN.string))).toEqual([]);
    for (const missing of [undefined, ""])
      expect(await at(f(missing))).toEqual([
        `Set ${property} on r: stage encrypts it with the environment's KMS key.`,
      ]);
    // The pack config may leave a type out of the customer-managed-key rule.
    expect(
      await at(f(undefined), { customerManagedKeyTypes: ["aws:s3/bucketV2:BucketV2"] }),
    ).toEqual([]);
  });

  it("judges no other type", async () => {
    expect(
      await at({ type: "aws:s3/bucketV2:BucketV2", name: "b", props: { kmsKeyId: undefined } }),
    ).toEqual([]);
  });
});

describe("encryption-in-transit", () => {
  const LISTENER = "aws:lb/listener:Listener";
  const listener = (props: Record<string, unknown>): Fixture => ({
    type: LISTENER,
    name: "http",
    props,
  });
  const redirect = { type: "redirect", redirect: { protocol: "HTTPS", port: "443" } };
  const inTransit = (f: Fixture) => messages("prod", "encryption-in-transit", f);
  const plain = "Make http redirect to HTTPS: prod serves plain HTTP only to redirect it.";

  it("takes HTTPS and TLS listeners", async () => {
    expect(await inTransit(listener({ protocol: "HTTPS" }))).toEqual([]);
    expect(await inTransit(listener({ protocol: "TLS" }))).toEqual([]);
  });

  it("takes plain HTTP only when every default action redirects to HTTPS", async () => {
    expect(await inTransit(listener({ protocol: "HTTP", defaultActions: [redirect] }))).toEqual([]);
    expect(await inTransit(listener({ defaultActions: [redirect, redirect] }))).toEqual([]);
    for (const defaultActions of [
      [],
      undefined,
      "redirect",
      [{ type: "forward", targetGroupArn: "tg" }],
      [redirect, { type: "forward" }],
      [{ type: "redirect", redirect: { protocol: "HTTP" } }],
      [{ type: "redirect" }],
      [{ type: "fixed-response", redirect: { protocol: "HTTPS" } }],
      ["redirect"],
    ])
      expect(await inTransit(listener({ protocol: "HTTP", defaultActions }))).toEqual([plain]);
  });

  it("refuses any other protocol, naming it", async () => {
    expect(await inTransit(listener({ protocol: "TCP" }))).toEqual([
      "Serve http over HTTPS or TLS: prod encrypts traffic in transit (found TCP).",
    ]);
    expect(await inTransit(listener({ protocol: "UDP" }))).toEqual([
      "Serve http over HTTPS or TLS: prod encrypts traffic in transit (found UDP).",
    ]);
  });

  it("notes an unknown protocol or unknown actions", async () => {
    const protocol = await checkResource(
      "prod",
      "encryption-in-transit",
      listener({ protocol: UNKNOWN.string }),
    );
    expect(protocol.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    expect(protocol[0]!.message).toMatch(/^Cannot check protocol during preview: .+\.$/);
    const actions = await checkResource(
      "prod",
      "encryption-in-transit",
      listener({ protocol: "HTTP", defaultActions: UNKNOWN.array }),
    );
    expect(actions.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    expect(actions[0]!.message).toMatch(/^Cannot check defaultActions during preview: .+\.$/);
  });

  it("wants caches to encrypt traffic", async () => {
    const cache = (transitEncryptionEnabled: unknown): Fixture => ({
      type: "aws:elasticache/replicationGroup:ReplicationGroup",
      name: "cache",
      props: { transitEncryptionEnabled },
    });
    expect(await inTransit(cache(true))).toEqual([]);
    expect(await inTransit(cache(false))).toEqual([
      "Set transitEncryptionEnabled to true on cache: prod encrypts cache traffic in transit.",
    ]);
    expect(await levels("dev", "encryption-in-transit", cache(false))).toEqual(["advisory"]);
  });
});

describe("no-plaintext-github-secrets", () => {
  const check = (f: Fixture) => messages("dev", "no-plaintext-github-secrets", f);

  it.each([
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
    "github:index/actionsSecret:ActionsSecret",
  ])("wants %s given encrypted", async (type) => {
    const secret = (props: Record<string, unknown>): Fixture => ({ type, name: "token", props });
    const message =
      "Set encryptedValue instead of plaintextValue on token: secrets never pass through the program in plain text.";
    expect(await check(secret({ encryptedValue: "c2VhbGVk" }))).toEqual([]);
    expect(await check(secret({ plaintextValue: "" }))).toEqual([]);
    expect(await check(secret({ plaintextValue: "hunter2" }))).toEqual([message]);
    // Computed later, a plaintext value is still plaintext.
    expect(await check(secret({ plaintextValue: UNKNOWN.string }))).toEqual([message]);
  });

  const variable = (variableName: unknown, value: unknown): Fixture => ({
    type: "github:index/actionsVariable:ActionsVariable",
    name: "var",
    props: { variableName, value },
  });

  it.each([
    "DB_PASSWORD",
    "api_token",
    "CLIENT_SECRET",
    "DEPLOY_PRIVATE_KEY",
    "STRIPE_API_KEY",
    "AWS_ACCESS_KEY",
    "SERVICE_CREDENTIALS",
    "LDAP_PASSWD",
  ])("refuses a variable named like a secret: %s", async (name) => {
    expect(await check(variable(name, "x"))).toEqual([
      `Move ${name} to an encrypted environment secret: variables are readable by anyone with access to the repository (its name looks secret; var).`,
    ]);
  });

  it.each([
    ["an AWS access key", "AKIAABCDEFGHIJKLMNOP"],
    ["an AWS temporary key", "ASIAABCDEFGHIJKLMNOP"],
    ["a GitHub token", `ghp_${"a".repeat(36)}`],
    ["a GitHub server token", `ghs_${"B".repeat(40)}`],
    ["a fine-grained GitHub token", `github_pat_${"x".repeat(22)}`],
    ["a private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIE..."],
    ["an OpenSSH key", "-----BEGIN OPENSSH PRIVATE KEY-----"],
    ["a Slack token", "xoxb-1234567890-abc"],
  ])("refuses a variable holding %s", async (_what, value) => {
    expect(await check(variable("SETTING", value))).toEqual([
      "Move SETTING to an encrypted environment secret: variables are readable by anyone with access to the repository (its value looks secret; var).",
    ]);
  });

  it("takes plain settings, computed values, and near misses", async () => {
    for (const value of [
      "arn:aws:iam::123456789012:role/ci/deploy",
      "eu-west-1",
      "AKIA-not-a-key",
      `ghp_${"a".repeat(35)}`,
      "xoxb-short",
      UNKNOWN.string,
      42,
    ])
      expect(await check(variable("AWS_ROLE_ARN", value))).toEqual([]);
    const env: Fixture = {
      type: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
      name: "env-var",
      props: { variableName: "REGION", value: "AKIAABCDEFGHIJKLMNOP" },
    };
    expect(await check(env)).toEqual([
      "Move REGION to an encrypted environment secret: variables are readable by anyone with access to the repository (its value looks secret; env-var).",
    ]);
  });

  it("names the resource when the variable's name is not known yet", async () => {
    expect(await check(variable(UNKNOWN.string, "AKIAABCDEFGHIJKLMNOP"))).toEqual([
      "Move var to an encrypted environment secret: variables are readable by anyone with access to the repository (its value looks secret; var).",
    ]);
  });

  it("judges no other type", async () => {
    expect(
      await check({
        type: "github:index/repository:Repository",
        name: "repo",
        props: { variableName: "TOKEN", plaintextValue: "x" },
      }),
    ).toEqual([]);
  });
});
