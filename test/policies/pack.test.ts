import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { environments, forRole } from "../../src/model";
import { PACK_NAME, POLICY_CATALOG, policiesFor } from "../../policies/catalog";
import { renderPoliciesDoc } from "../../policies/docs";
import { UNKNOWN } from "../../policies/unknowns";
import { resourceArgs, stackArgs, type Fixture } from "./harness";

const ROOT = path.join(__dirname, "..", "..");

/**
 * Runs of the property below: 300, or ENVSTACK_PROPERTY_RUNS (the mutation run sets fewer: it runs
 * the property once per mutant of any policy).
 */
const PROPERTY_RUNS = Number(process.env["ENVSTACK_PROPERTY_RUNS"] ?? 300);

describe("the pack's inventory", () => {
  it("pins every policy's name and level per stack", () => {
    expect(PACK_NAME).toBe("envstack-policies");
    expect(
      POLICY_CATALOG.map((p) => [
        p.name,
        p.levels.development,
        p.levels["production-like"],
        p.levels.production,
        p.suppressible,
      ]),
    ).toEqual([
      ["stage-mirrors-prod", "disabled", "mandatory", "mandatory", true],
      ["dev-follows-stage-versions", "advisory", "disabled", "disabled", true],
      ["images-pinned-by-digest", "advisory", "mandatory", "mandatory", true],
      ["prod-runs-stage-digest", "disabled", "disabled", "mandatory", false],
      ["stage-runs-dev-digest", "disabled", "advisory", "disabled", true],
      ["services-run-declared-task-definitions", "advisory", "mandatory", "mandatory", false],
      ["branch-rules-match-promotion-model", "mandatory", "mandatory", "mandatory", false],
      ["deployment-environment-rules", "mandatory", "mandatory", "mandatory", false],
      ["prod-database-protected", "disabled", "mandatory", "mandatory", true],
      ["database-backup-retention", "advisory", "mandatory", "mandatory", true],
      ["redundancy-in-production", "disabled", "mandatory", "mandatory", true],
      ["buckets-versioned-and-private", "advisory", "mandatory", "mandatory", true],
      ["log-retention-floor", "disabled", "disabled", "mandatory", true],
      ["encryption-at-rest", "advisory", "mandatory", "mandatory", true],
      ["encryption-in-transit", "advisory", "mandatory", "mandatory", true],
      ["no-public-ingress", "advisory", "mandatory", "mandatory", true],
      ["no-iam-wildcard-admin", "advisory", "mandatory", "mandatory", true],
      ["developer-read-only", "disabled", "mandatory", "mandatory", true],
      ["ci-deploy-role-trust", "mandatory", "mandatory", "mandatory", false],
      ["iam-role-trust", "advisory", "mandatory", "mandatory", true],
      ["iam-permissions-boundary", "mandatory", "mandatory", "mandatory", false],
      ["kms-key-policy", "advisory", "mandatory", "mandatory", true],
      ["no-plaintext-github-secrets", "mandatory", "mandatory", "mandatory", true],
      ["database-tls-enforced", "advisory", "mandatory", "mandatory", true],
      ["cache-requires-auth", "advisory", "mandatory", "mandatory", true],
      ["required-tags", "advisory", "mandatory", "mandatory", true],
      ["aws-names-scoped", "advisory", "mandatory", "mandatory", true],
      ["github-names-prefixed", "advisory", "mandatory", "mandatory", true],
      ["database-engine-version-creatable", "mandatory", "mandatory", "mandatory", false],
      ["database-instance-class-offered", "mandatory", "mandatory", "mandatory", false],
      ["cache-failover-shape", "mandatory", "mandatory", "mandatory", false],
      ["listener-certificate-in-stack-region", "mandatory", "mandatory", "mandatory", false],
      ["vpc-cidr-valid", "mandatory", "mandatory", "mandatory", false],
      ["vpc-disjoint-from-prod", "advisory", "mandatory", "disabled", true],
      ["suppressions-are-valid", "mandatory", "mandatory", "mandatory", false],
    ]);
  });

  it.each(environments().names)(
    "hands the SDK %s's levels, metadata and a config schema with defaults",
    (stack) => {
      const policies = policiesFor(stack);
      expect(policies.map((p) => [p.name, p.enforcementLevel])).toEqual(
        POLICY_CATALOG.map((p) => [p.name, forRole(p.levels, stack)]),
      );
      for (const p of policies) {
        expect(p.name).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
        expect(p.description).toMatch(/^Checks whether /);
        expect(p.severity).toMatch(/^(low|medium|high|critical)$/);
        expect(p.remediationSteps?.length).toBeGreaterThan(20);
        for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
          expect([key, typeof schema === "object" && "default" in schema]).toEqual([key, true]);
        }
      }
    },
  );

  it("links every validity policy to the documentation it rests on", () => {
    const validity = POLICY_CATALOG.filter((p) =>
      [
        "database-engine-version-creatable",
        "database-instance-class-offered",
        "cache-failover-shape",
        "listener-certificate-in-stack-region",
        "vpc-cidr-valid",
        "vpc-disjoint-from-prod",
      ].includes(p.name),
    );
    expect(validity).toHaveLength(6);
    for (const p of validity)
      expect([p.name, p.documentation]).toEqual([
        p.name,
        expect.stringMatching(/^https:\/\/docs\.aws\.amazon\.com\//),
      ]);
    expect(renderPoliciesDoc()).toContain(
      "## vpc-cidr-valid\n\nChecks whether every VPC's IPv4 block is a network address (no host bits set) from /16 to /28.\n\n- Severity: high\n- Enforcement: development mandatory, production-like mandatory, production mandatory\n- Documentation: <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html>\n",
    );
  });

  it("has unique names", () => {
    expect(new Set(POLICY_CATALOG.map((p) => p.name)).size).toBe(POLICY_CATALOG.length);
  });
});

describe("docs/POLICIES.md", () => {
  it("is the generated document (run `npm run docs:policies` after changing a policy)", () => {
    expect(fs.readFileSync(path.join(ROOT, "docs", "POLICIES.md"), "utf8")).toBe(
      renderPoliciesDoc(),
    );
  });

  it("names every policy with its levels", () => {
    const doc = renderPoliciesDoc();
    for (const p of POLICY_CATALOG) {
      expect(doc).toContain(`## ${p.name}\n\n${p.description}`);
      expect(doc).toContain(
        `- Enforcement: development ${p.levels.development}, production-like ${p.levels["production-like"]}, production ${p.levels.production}`,
      );
    }
  });
});

describe("policies/policy-config.example.json", () => {
  const example = JSON.parse(
    fs.readFileSync(path.join(ROOT, "policies", "policy-config.example.json"), "utf8"),
  ) as Record<string, unknown>;

  it("configures only real policies, each against its config schema", () => {
    const ajv = new Ajv({ strict: false });
    const policies = policiesFor("prod");
    for (const [name, value] of Object.entries(example)) {
      const p = policies.find((x) => x.name === name);
      expect(p?.name).toBe(name);
      if (typeof value === "string") {
        expect(["advisory", "mandatory", "disabled", "remediate"]).toContain(value);
        continue;
      }
      const { enforcementLevel, ...rest } = value as Record<string, unknown>;
      if (enforcementLevel !== undefined)
        expect(["advisory", "mandatory", "disabled"]).toContain(enforcementLevel);
      const validate = ajv.compile({
        type: "object",
        properties: p!.configSchema?.properties ?? {},
        additionalProperties: false,
      });
      expect([name, validate(rest), validate.errors ?? null]).toEqual([name, true, null]);
    }
  });
});

const TYPES = [
  "aws:rds/instance:Instance",
  "aws:elasticache/replicationGroup:ReplicationGroup",
  "aws:ecs/taskDefinition:TaskDefinition",
  "aws:ecs/service:Service",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:sns/topic:Topic",
  "aws:secretsmanager/secret:Secret",
  "aws:ssm/parameter:Parameter",
  "aws:lb/listener:Listener",
  "aws:lb/targetGroup:TargetGroup",
  "aws:ec2/securityGroup:SecurityGroup",
  "aws:ec2/subnet:Subnet",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  "aws:iam/role:Role",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  "github:index/repositoryRuleset:RepositoryRuleset",
  "github:index/repositoryEnvironment:RepositoryEnvironment",
  "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
  "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
  "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
];
const KEYS = [
  "multiAz",
  "engineVersion",
  "replicateSourceDb",
  "containerDefinitions",
  "ingress",
  "policy",
  "assumeRolePolicy",
  "inlinePolicies",
  "tags",
  "rules",
  "conditions",
  "bypassActors",
  "environment",
  "reviewers",
  "deploymentBranchPolicy",
  "name",
  "variableName",
  "secretName",
  "plaintextValue",
  "value",
  "protocol",
  "defaultActions",
  "retentionInDays",
  "backupRetentionPeriod",
  "bucket",
  "networkConfiguration",
  "versioningConfiguration",
  "kmsKeyId",
  "threshold",
  "desiredCount",
  "cpu",
  "availabilityZone",
];

const unknownValue = fc.constantFrom(...Object.values(UNKNOWN));
const leaf = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  unknownValue,
  fc.constant("*"),
  fc.constant("0.0.0.0/0"),
);
const value = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("any"), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom(
        ...KEYS,
        "Statement",
        "Effect",
        "Action",
        "Resource",
        "type",
        "image",
        "context",
      ),
      tie("any"),
      { maxKeys: 4 },
    ),
    fc.json(),
  ),
})).any;
const fixture: fc.Arbitrary<Fixture> = fc.record({
  type: fc.constantFrom(...TYPES),
  name: fc.string({ minLength: 1, maxLength: 12 }),
  props: fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 6 }),
  protect: fc.boolean(),
  provider: fc.option(fc.dictionary(fc.constantFrom("defaultTags", "region"), value), {
    nil: undefined,
  }),
});

describe("robustness", () => {
  it("no policy throws on arbitrary, missing or unknown properties", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...environments().names),
        fc.array(fixture, { maxLength: 6 }),
        async (stack, fixtures) => {
          for (const p of policiesFor(stack)) {
            const report = () => undefined;
            if ("validateStack" in p) {
              await p.validateStack(stackArgs(stack, fixtures), report);
            } else if (p.validateResource && !Array.isArray(p.validateResource)) {
              for (const f of fixtures) await p.validateResource(resourceArgs(stack, f), report);
            }
          }
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });
});
