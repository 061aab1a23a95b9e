import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  environments,
  forRole,
  PROMISES,
  type StackName,
  type StatedPromise,
} from "../../src/model";

/** The stacks of the chain a promise holds in: those of the roles it holds in. */
function promiseStacks(promise: StatedPromise): StackName[] {
  const roles = promiseRoles(promise);
  return environments().names.filter((s) => roles.includes(environments().role(s)));
}
import { policyMeta } from "../../policies/catalog";
import { promiseRoles } from "../../policies/docs";
import {
  checkResource,
  checkStack,
  policy,
  stackFixtures,
  urnOf,
  type Fixture,
  type Violation,
} from "./harness";

const ROOT = path.join(__dirname, "..", "..");

const RDS = "aws:rds/instance:Instance";
const PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup";
const REDIS = "aws:elasticache/replicationGroup:ReplicationGroup";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const MANAGED_POLICY = "aws:iam/policy:Policy";
const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";
const LISTENER = "aws:lb/listener:Listener";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const SECRET = "aws:secretsmanager/secret:Secret";
const TOPIC = "aws:sns/topic:Topic";
const PARAMETER = "aws:ssm/parameter:Parameter";
const RULESET = "github:index/repositoryRuleset:RepositoryRuleset";
const ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment";
const DEPLOYMENT_POLICY =
  "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy";
const VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable";

/** One way to break a promise, applied to each instance of `type` the program declares. */
interface Break {
  readonly does: string;
  /** A resource type, or `aws:*` / `github:*` for every resource of the provider. */
  readonly type: string;
  /** Which instances, when not every one of the type. */
  readonly pick?: (f: Fixture) => boolean;
  readonly apply: (f: Fixture) => Fixture;
  /** The stacks of the promise it applies in, when fewer than all. */
  readonly stacks?: readonly StackName[];
  /** Take the instances from this stack's program and add them to the stack checked. */
  readonly from?: StackName;
}

type Props = Record<string, unknown>;
const set = (patch: Props) => (f: Fixture) => ({ ...f, props: { ...f.props, ...patch } });
const drop = (key: string) => (f: Fixture) => {
  const props = { ...f.props };
  delete props[key];
  return { ...f, props };
};
const edit = (fn: (props: Props) => Props) => (f: Fixture) => ({ ...f, props: fn(f.props) });
const record = (v: unknown): Props => (v !== null && typeof v === "object" ? (v as Props) : {});
/** Edits the parsed JSON a string property holds (IAM documents, container definitions). */
const editJson =
  (key: string, fn: (doc: unknown) => unknown) =>
  (f: Fixture): Fixture =>
    set({ [key]: JSON.stringify(fn(JSON.parse(String(f.props[key])))) })(f);
const rules = (fn: (r: Props) => Props) =>
  edit((p) => ({ ...p, rules: fn({ ...record(p["rules"]) }) }));
const pullRequest = (patch: Props) =>
  rules((r) => ({ ...r, pullRequest: { ...record(r["pullRequest"]), ...patch } }));
const without =
  (key: string) =>
  (r: Props): Props => {
    const copy = { ...r };
    delete copy[key];
    return copy;
  };
const statements = (fn: (s: Props) => Props) => (doc: unknown) => {
  const d = record(doc);
  const list = Array.isArray(d["Statement"]) ? (d["Statement"] as Props[]) : [];
  return { ...d, Statement: list.map((s) => fn({ ...s })) };
};
const condition = (fn: (c: Props) => Props) =>
  editJson(
    "assumeRolePolicy",
    statements((s) => ({ ...s, Condition: fn({ ...record(s["Condition"]) }) })),
  );
const addStatement = (statement: Props) => (doc: unknown) => {
  const d = record(doc);
  return { ...d, Statement: [...(d["Statement"] as unknown[]), statement] };
};
const containers = (fn: (c: Props) => Props) =>
  editJson("containerDefinitions", (list) => (list as Props[]).map((c) => fn({ ...c })));
/** The service's own container (named after the service), not the sidecar. */
const app = (fn: (image: string) => string) =>
  containers((c) => (c["name"] !== "xray-daemon" ? { ...c, image: fn(String(c["image"])) } : c));

const isPrimary = (f: Fixture) => f.props["replicateSourceDb"] === undefined;
const includes = (ref: string) => (f: Fixture) =>
  JSON.stringify(record(record(f.props["conditions"])["refName"])["includes"]).includes(ref);
const isBranchRuleset = (f: Fixture) => f.props["target"] === "branch";
const trustsAws = (f: Fixture) => String(f.props["assumeRolePolicy"]).includes('"AWS"');
const atCiPath = (f: Fixture) => f.props["path"] === "/ci/";

/** Each promise's breaks, keyed by promise id: a promise without one fails the test. */
const BREAKS: Readonly<Record<string, readonly Break[]>> = {
  "images-pinned-by-digest": [
    {
      does: "runs the app by tag",
      type: TASK_DEFINITION,
      apply: app((image) => `${image.split("@")[0]}:latest`),
    },
  ],
  "prod-runs-stage-digest": [
    {
      does: "runs another digest of the app",
      type: TASK_DEFINITION,
      apply: app((image) => `${image.split("@")[0]}@sha256:${"0".repeat(64)}`),
    },
  ],
  "stage-mirrors-prod": [
    { does: "runs single-AZ", type: RDS, pick: isPrimary, apply: set({ multiAz: false }) },
    {
      does: "takes a larger instance class",
      type: RDS,
      pick: isPrimary,
      apply: set({ instanceClass: "db.r6g.xlarge" }),
    },
    {
      does: "drops deletion protection",
      type: RDS,
      pick: isPrimary,
      apply: set({ deletionProtection: false }),
    },
    { does: "takes another node type", type: REDIS, apply: set({ nodeType: "cache.r7g.xlarge" }) },
  ],
  "branch-approvals": [
    {
      does: "drops the pull-request rule",
      type: RULESET,
      pick: isBranchRuleset,
      apply: rules(without("pullRequest")),
    },
    {
      does: "drops the required checks",
      type: RULESET,
      pick: isBranchRuleset,
      apply: rules(without("requiredStatusChecks")),
    },
    {
      does: "allows force pushes",
      type: RULESET,
      pick: isBranchRuleset,
      apply: rules((r) => ({ ...r, nonFastForward: false })),
    },
    {
      does: "allows deletion",
      type: RULESET,
      pick: isBranchRuleset,
      apply: rules((r) => ({ ...r, deletion: false })),
    },
    {
      does: "lets an actor always bypass",
      type: RULESET,
      pick: isBranchRuleset,
      apply: set({
        bypassActors: [{ actorId: 5, actorType: "RepositoryRole", bypassMode: "always" }],
      }),
    },
    {
      does: "keeps stale approvals",
      type: RULESET,
      pick: (f) => includes("refs/heads/main")(f) || includes("refs/heads/staging")(f),
      apply: pullRequest({ dismissStaleReviewsOnPush: false }),
    },
    {
      does: "takes one approval into main",
      type: RULESET,
      pick: includes("refs/heads/main"),
      apply: pullRequest({ requiredApprovingReviewCount: 1 }),
    },
    {
      does: "needs no code owner",
      type: RULESET,
      pick: includes("refs/heads/main"),
      apply: pullRequest({ requireCodeOwnerReview: false }),
    },
    {
      does: "needs no last-push approval",
      type: RULESET,
      pick: includes("refs/heads/main"),
      apply: pullRequest({ requireLastPushApproval: false }),
    },
    {
      does: "needs no stage deployment",
      type: RULESET,
      pick: includes("refs/heads/main"),
      apply: rules(without("requiredDeployments")),
    },
  ],
  "prod-deployment-approval": [
    ...[
      ["names no reviewer", { reviewers: [] }],
      ["lets the author approve", { preventSelfReview: false }],
      ["lets admins bypass", { canAdminsBypass: true }],
    ].map(([does, patch]) => ({
      does: does as string,
      type: ENVIRONMENT,
      pick: (f: Fixture) => f.props["environment"] === "prod",
      apply: set(patch as Props),
    })),
  ],
  "deploy-from-named-branches": [
    {
      does: "deploys from protected branches",
      type: ENVIRONMENT,
      apply: set({
        deploymentBranchPolicy: { customBranchPolicies: false, protectedBranches: true },
      }),
    },
    {
      does: "deploys from feature branches",
      type: DEPLOYMENT_POLICY,
      apply: set({ branchPattern: "feature/*" }),
    },
  ],
  "guards-declared-by-prod-only": [
    { does: "is declared by another stack", type: "github:*", from: "prod", apply: (f) => f },
  ],
  "developers-read-only": [
    {
      does: "gives developers deploy access",
      type: ROLE,
      pick: (f) => record(f.props["tags"])["team-role"] === "developer",
      apply: edit((p) => ({ ...p, tags: { ...record(p["tags"]), "access-level": "deploy" } })),
    },
    {
      does: "lets developers write parameters",
      type: ROLE_POLICY,
      pick: (f) => f.name === "access-developer",
      apply: editJson(
        "policy",
        addStatement({ Effect: "Allow", Action: "ssm:PutParameter", Resource: "*" }),
      ),
    },
  ],
  "access-roles-require-mfa": [
    {
      does: "drops the MFA condition",
      type: ROLE,
      pick: trustsAws,
      apply: condition(without("Bool")),
    },
    {
      does: "accepts a missing MFA key (BoolIfExists)",
      type: ROLE,
      pick: trustsAws,
      apply: condition((c) => ({ ...without("Bool")(c), BoolIfExists: c["Bool"] })),
    },
    {
      does: "accepts a day-old MFA sign-in",
      type: ROLE,
      pick: trustsAws,
      apply: condition((c) => ({
        ...c,
        NumericLessThan: { "aws:MultiFactorAuthAge": "86400" },
      })),
    },
    {
      does: "admits another team",
      type: ROLE,
      pick: trustsAws,
      apply: condition((c) => ({
        ...c,
        StringEquals: { "aws:PrincipalTag/team-role": "contractor" },
      })),
    },
  ],
  "every-role-bounded": [
    {
      does: "drops the boundary",
      type: ROLE,
      pick: (f) => !atCiPath(f),
      apply: drop("permissionsBoundary"),
    },
    {
      does: "takes another environment's boundary",
      type: ROLE,
      pick: (f) => !atCiPath(f),
      apply: edit((p) => ({
        ...p,
        permissionsBoundary: String(p["permissionsBoundary"]).replace(
          /-(dev|stage|prod)-boundary$/,
          (_m, s: string) => (s === "prod" ? "-dev-boundary" : "-prod-boundary"),
        ),
      })),
    },
  ],
  "deploy-role-trusts-its-environment": [
    {
      does: "trusts pull-request jobs",
      type: ROLE,
      pick: atCiPath,
      apply: condition((c) => ({
        ...c,
        StringEquals: {
          ...record(c["StringEquals"]),
          "token.actions.githubusercontent.com:sub": "repo:acme/trading-platform:pull_request",
        },
      })),
    },
    {
      does: "trusts any ref by wildcard",
      type: ROLE,
      pick: atCiPath,
      apply: condition((c) => ({
        ...c,
        StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme/trading-platform:*" },
      })),
    },
    {
      does: "accepts tokens for another audience",
      type: ROLE,
      pick: atCiPath,
      apply: condition((c) => ({
        ...c,
        StringEquals: {
          ...record(c["StringEquals"]),
          "token.actions.githubusercontent.com:aud": "sigstore",
        },
      })),
    },
  ],
  "no-wildcard-admin": [ROLE_POLICY, MANAGED_POLICY].map((type) => ({
    does: 'allows "*" on "*"',
    type,
    apply: editJson("policy", addStatement({ Effect: "Allow", Action: "*", Resource: "*" })),
  })),
  "database-encrypted-at-rest": [
    { does: "stores unencrypted", type: RDS, apply: set({ storageEncrypted: false }) },
  ],
  "database-tls-enforced": [
    {
      does: "leaves rds.force_ssl out",
      type: PARAMETER_GROUP,
      apply: edit((p) => ({
        ...p,
        parameters: (p["parameters"] as Props[]).filter((x) => x["name"] !== "rds.force_ssl"),
      })),
    },
    {
      does: "sets rds.force_ssl to 0",
      type: PARAMETER_GROUP,
      apply: edit((p) => ({
        ...p,
        parameters: (p["parameters"] as Props[]).map((x) =>
          x["name"] === "rds.force_ssl" ? { ...x, value: "0" } : x,
        ),
      })),
    },
    {
      does: "uses PostgreSQL 14's default group",
      type: RDS,
      apply: set({ parameterGroupName: "default.postgres14" }),
    },
    {
      does: "uses a group the stack does not declare",
      type: RDS,
      apply: set({ parameterGroupName: "shared-postgres16" }),
    },
  ],
  "database-never-public": [
    { does: "is publicly accessible", type: RDS, apply: set({ publiclyAccessible: true }) },
  ],
  "database-deletion-safeguards": [
    {
      does: "drops deletion protection",
      type: RDS,
      pick: isPrimary,
      apply: set({ deletionProtection: false }),
    },
    {
      does: "skips the final snapshot",
      type: RDS,
      pick: isPrimary,
      apply: set({ skipFinalSnapshot: true }),
    },
    {
      does: "names no final snapshot",
      type: RDS,
      pick: isPrimary,
      apply: drop("finalSnapshotIdentifier"),
    },
    {
      does: "drops the protect option",
      type: RDS,
      pick: isPrimary,
      stacks: ["prod"],
      apply: (f) => ({ ...f, protect: false }),
    },
  ],
  "database-redundant-and-backed-up": [
    { does: "runs single-AZ", type: RDS, pick: isPrimary, apply: set({ multiAz: false }) },
    {
      does: "keeps three days of backups",
      type: RDS,
      pick: isPrimary,
      apply: set({ backupRetentionPeriod: 3 }),
    },
  ],
  "cache-encrypted": [
    { does: "stores unencrypted", type: REDIS, apply: set({ atRestEncryptionEnabled: false }) },
    { does: "talks in plain text", type: REDIS, apply: set({ transitEncryptionEnabled: false }) },
  ],
  "cache-requires-auth": [{ does: "takes no AUTH token", type: REDIS, apply: drop("authToken") }],
  "cache-fails-over": [
    { does: "never fails over", type: REDIS, apply: set({ automaticFailoverEnabled: false }) },
  ],
  "https-only": [
    {
      does: "serves plain HTTP",
      type: LISTENER,
      apply: set({ protocol: "HTTP", defaultActions: [{ type: "fixed-response" }] }),
    },
    { does: "serves plain TCP", type: LISTENER, apply: set({ protocol: "TCP" }) },
  ],
  "logs-secrets-topics-encrypted": [
    { does: "names no KMS key", type: LOG_GROUP, apply: drop("kmsKeyId") },
    { does: "names no KMS key", type: SECRET, apply: drop("kmsKeyId") },
    { does: "names no KMS key", type: TOPIC, apply: drop("kmsMasterKeyId") },
  ],
  "aws-tags": [
    {
      does: "is tagged for another environment",
      type: "aws:*",
      apply: edit((p) => ({ ...p, tags: { ...record(p["tags"]), env: "elsewhere" } })),
    },
  ],
  "aws-names-scoped": [PARAMETER, SECRET, LOG_GROUP].map((type) => ({
    does: "is named outside its scope",
    type,
    apply: set({ name: "/shared/elsewhere/name" }),
  })),
  "github-variables-prefixed": [
    {
      does: "loses its environment prefix",
      type: VARIABLE,
      apply: edit((p) => ({
        ...p,
        variableName: String(p["variableName"]).replace(/^[A-Z]+_/, ""),
      })),
    },
  ],
  "no-secret-in-github-variables": [
    {
      does: "holds a token",
      type: VARIABLE,
      apply: set({ value: `ghp_${"a1B2".repeat(9)}` }),
    },
  ],
};

const normalized = (text: string) => text.replace(/\s+/g, " ");
const matches = (type: string, pattern: string) =>
  pattern.endsWith(":*") ? type.startsWith(pattern.slice(0, -1)) : type === pattern;

describe("the promise inventory", () => {
  it("has unique kebab-case ids", () => {
    const ids = PROMISES.map((p) => p.id);
    expect(ids.filter((id) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(PROMISES.map((p) => [p.id, p] as const))(
    "%s names known policies, enforced in the stacks it holds in",
    (_id, promise) => {
      expect(promise.policies.length).toBeGreaterThan(0);
      expect(promise.policies.filter((name) => policyMeta(name) === undefined)).toEqual([]);
      const stacks = promiseStacks(promise);
      expect(stacks.length).toBeGreaterThan(0);
      // A policy disabled in every stack the promise claims keeps none of it.
      expect(
        promise.policies.filter((name) =>
          stacks.every((s) => forRole(policyMeta(name)!.levels, s) === "disabled"),
        ),
      ).toEqual([]);
      // Each stack it claims has a policy that blocks the preview there.
      expect(
        stacks.filter(
          (s) =>
            !promise.policies.some((name) => forRole(policyMeta(name)!.levels, s) === "mandatory"),
        ),
      ).toEqual([]);
    },
  );

  it.each(PROMISES.flatMap((p) => p.stated.map((s) => [p.id, s.file, s.phrase] as const)))(
    "%s is stated in %s: %s",
    (_id, file, phrase) => {
      const text = normalized(fs.readFileSync(path.join(ROOT, file), "utf8"));
      expect(text).toContain(normalized(phrase));
    },
  );

  it("gives every promise a break and no break to an unknown promise", () => {
    expect(Object.keys(BREAKS).sort()).toEqual(PROMISES.map((p) => p.id).sort());
    expect(PROMISES.filter((p) => (BREAKS[p.id] ?? []).length === 0).map((p) => p.id)).toEqual([]);
  });

  it.each(PROMISES.map((p) => [p.id, p] as const))(
    "%s breaks only what it covers, and every type it covers",
    (_id, promise) => {
      const types = promise.covers.map((c) => c.type);
      const broken = (BREAKS[promise.id] ?? []).map((b) => b.type);
      expect([...new Set(broken)].sort()).toEqual([...new Set(types)].sort());
    },
  );
});

/** The mandatory violations the named policies report on one URN of the stack. */
async function reportedOn(
  stack: StackName,
  names: readonly string[],
  fixtures: readonly Fixture[],
  target: Fixture,
): Promise<string[]> {
  const urn = urnOf(stack, target.type, target.name);
  const hits: string[] = [];
  for (const name of names) {
    if (forRole(policyMeta(name)!.levels, stack) !== "mandatory") continue;
    const found: Violation[] =
      "validateStack" in policy(stack, name)
        ? (await checkStack(stack, name, fixtures)).filter((v) => v.urn === urn)
        : (await checkResource(stack, name, target)).filter(
            (v) => v.urn === undefined || v.urn === urn,
          );
    if (found.some((v) => v.enforcementLevel === "mandatory")) hits.push(name);
  }
  return hits;
}

describe("each promise against the program's own resources", () => {
  const base = new Map<StackName, readonly Fixture[]>();
  beforeAll(async () => {
    for (const stack of environments().names) base.set(stack, await stackFixtures(stack));
  }, 240_000);

  async function breakEach(promise: StatedPromise): Promise<{
    missed: string[];
    reporting: Set<string>;
  }> {
    const missed: string[] = [];
    const reporting = new Set<string>();
    for (const stack of promiseStacks(promise)) {
      for (const b of BREAKS[promise.id] ?? []) {
        if (b.stacks && !b.stacks.includes(stack)) continue;
        const own = base.get(stack)!;
        const source = base.get(b.from ?? stack)!;
        const instances = source.filter((f) => matches(f.type, b.type) && (b.pick?.(f) ?? true));
        if (instances.length === 0) missed.push(`${stack}: ${b.does}: no ${b.type} to break`);
        for (const instance of instances) {
          const broken = b.apply(instance);
          const others = own.filter((f) => !(f.type === instance.type && f.name === instance.name));
          const before = b.from ? [] : await reportedOn(stack, promise.policies, own, instance);
          const after = await reportedOn(stack, promise.policies, [...others, broken], broken);
          if (before.length > 0)
            missed.push(`${stack}: ${instance.name} already violates ${before.join(", ")}`);
          else if (after.length === 0)
            missed.push(`${stack}: ${b.does}: ${instance.type}::${instance.name} goes unreported`);
          after.forEach((name) => reporting.add(name));
        }
      }
    }
    return { missed, reporting };
  }

  it.each(PROMISES.map((p) => [p.id, p] as const))(
    "%s: every break of every instance is a mandatory violation on it",
    async (_id, promise) => {
      const { missed, reporting } = await breakEach(promise);
      expect(missed).toEqual([]);
      // Every policy the promise names proves itself on some break.
      expect(promise.policies.filter((name) => !reporting.has(name))).toEqual([]);
    },
  );
});
