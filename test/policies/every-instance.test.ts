import { SAMPLE } from "../harness/sample";
import { beforeAll, describe, expect, it } from "vitest";
import { logGroupComponents } from "../../src/aws";
import { environments, forRole, type EnvironmentSpec, type StackName } from "../../src/model";
import { POLICY_CATALOG } from "../../policies/catalog";
import { runStack } from "../program/harness";
import {
  checkResource,
  checkStack,
  fixturesOf,
  policy,
  urnOf,
  type Fixture,
  type Violation,
} from "./harness";

/**
 * Failing fixtures derived from the real program: for every resource instance that carries a
 * checked property (every colour, replica, target group, log group, listener, container), the
 * committed stack's resources with exactly that one instance broken must draw a violation from
 * the right policy on that instance's URN, in every stack where the policy is not disabled.
 */

const RDS = "aws:rds/instance:Instance";
const REDIS = "aws:elasticache/replicationGroup:ReplicationGroup";
const TASK = "aws:ecs/taskDefinition:TaskDefinition";
const SERVICE = "aws:ecs/service:Service";
const TARGET_GROUP = "aws:lb/targetGroup:TargetGroup";
const LISTENER = "aws:lb/listener:Listener";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const VPC = "aws:ec2/vpc:Vpc";

const isReplica = (f: Fixture) => f.props["replicateSourceDb"] !== undefined;
const isPrimary = (f: Fixture) => f.type === RDS && !isReplica(f);

/** One instance that carries the property, and how to break it there. */
interface Carrier {
  readonly index: number;
  /** The resource's name, plus the container for a per-container rule. */
  readonly label: string;
  readonly broken: Fixture;
}

interface Rule {
  readonly policy: string;
  readonly title: string;
  /** How many instances carry the property in a stack of this spec. */
  readonly count: (spec: EnvironmentSpec) => number;
  readonly carriers: (fixtures: readonly Fixture[]) => Carrier[];
  /** The violation's message on the broken instance, beyond naming it. */
  readonly message: RegExp;
}

/** Each fixture `pick` selects, with `props` merged into its inputs. */
function each(
  pick: (f: Fixture) => boolean,
  edit: (f: Fixture) => Partial<Fixture>,
): Rule["carriers"] {
  return (fixtures) =>
    fixtures.flatMap((f, index) =>
      pick(f) ? [{ index, label: f.name, broken: { ...f, ...edit(f) } }] : [],
    );
}

const props =
  (changes: Record<string, unknown> | ((f: Fixture) => Record<string, unknown>)) =>
  (f: Fixture): Partial<Fixture> => ({
    props: { ...f.props, ...(typeof changes === "function" ? changes(f) : changes) },
  });

const ofType = (type: string) => (f: Fixture) => f.type === type;

type Container = { name: string; image: string } & Record<string, unknown>;

/** Every container of every task definition, with its image replaced. */
function eachContainer(image: (c: Container) => string): Rule["carriers"] {
  return (fixtures) =>
    fixtures.flatMap((f, index) => {
      if (f.type !== TASK) return [];
      const containers = JSON.parse(f.props["containerDefinitions"] as string) as Container[];
      return containers.map((c, i) => ({
        index,
        label: `${f.name}/${c.name}`,
        broken: {
          ...f,
          props: {
            ...f.props,
            containerDefinitions: JSON.stringify(
              containers.map((x, j) => (j === i ? { ...x, image: image(x) } : x)),
            ),
          },
        },
      }));
    });
}

const instances = (s: EnvironmentSpec) => 1 + s.database.readReplicas;
/** One ECS service and task definition per service. */
const perService = (s: EnvironmentSpec) => Object.keys(s.services).length;
/** The target groups: two for a web service that shifts traffic, one for a rolling one. */
const targetGroups = (s: EnvironmentSpec) =>
  Object.values(s.services)
    .filter((x) => x.port !== undefined)
    .reduce((n, x) => n + (x.deployment.strategy === "rolling" ? 1 : 2), 0);
const listeners = () => 2;
/** The services whose linear rollout holds (the hold hook, second of their lifecycle hooks). */
const holdHooks = (s: EnvironmentSpec) =>
  Object.values(s.services).filter((x) => x.deployment.holds !== undefined).length;
function holdDetails(f: { props: Record<string, unknown> }): object | undefined {
  const config = f.props["deploymentConfiguration"] as
    { lifecycleHooks?: { hookDetails?: string }[] } | undefined;
  const details = config?.lifecycleHooks?.[1]?.hookDetails;
  return details === undefined ? undefined : (JSON.parse(details) as object);
}
const one = () => 1;
const containers = (s: EnvironmentSpec) => perService(s) * (s.observability.tracing ? 2 : 1);
const logGroups = (s: EnvironmentSpec) => logGroupComponents(s).length;
const unnamed = (c: Container) => `${c.image.split("@")[0]}@sha256:${"e".repeat(64)}`;
const otherRegistry = (c: Container) =>
  `public.ecr.aws/${c.image.split("/").slice(1).join("/").split("@")[0]}@sha256:${"d".repeat(64)}`;

const parity = (key: string, count: Rule["count"], carriers: Rule["carriers"]): Rule => ({
  policy: "stage-mirrors-prod",
  title: key,
  count,
  carriers,
  // A per-service key names the service: services.<name>.cpu is reported as services.api.cpu.
  message: new RegExp(
    `^Set ${key.replace(/\./g, "\\.").replace("<name>", "[a-z][a-z0-9-]*")} to .+ on \\S+: \\w+ must (mirror prod|match)`,
  ),
});

const RULES: readonly Rule[] = [
  // Parity: every carrier of a must-equal attribute.
  parity("database.engine", instances, each(ofType(RDS), props({ engine: "mysql" }))),
  parity("database.engineVersion", instances, each(ofType(RDS), props({ engineVersion: "15.10" }))),
  parity(
    "database.instanceClass",
    instances,
    each(ofType(RDS), props({ instanceClass: "db.r6g.xlarge" })),
  ),
  parity("database.storageGb", instances, each(ofType(RDS), props({ allocatedStorage: 500 }))),
  parity(
    "database.deletionProtection",
    instances,
    each(ofType(RDS), props({ deletionProtection: false })),
  ),
  parity("database.multiAz", one, each(isPrimary, props({ multiAz: false }))),
  parity("database.backupRetentionDays", one, each(isPrimary, props({ backupRetentionPeriod: 3 }))),
  parity("cache.nodeType", one, each(ofType(REDIS), props({ nodeType: "cache.r7g.xlarge" }))),
  parity("cache.engineVersion", one, each(ofType(REDIS), props({ engineVersion: "6.2" }))),
  parity("services.<name>.cpu", perService, each(ofType(TASK), props({ cpu: "4096" }))),
  parity("services.<name>.memoryMb", perService, each(ofType(TASK), props({ memory: "8192" }))),
  parity(
    "services.<name>.desiredCount",
    perService,
    each(ofType(SERVICE), props({ desiredCount: 12 })),
  ),
  parity(
    "services.<name>.deployment.strategy",
    perService,
    each(
      ofType(SERVICE),
      props((f) => ({
        deploymentConfiguration: {
          ...(f.props["deploymentConfiguration"] as object),
          strategy: "EXTERNAL",
        },
      })),
    ),
  ),
  parity(
    "services.<name>.deployment.bakeMinutes",
    perService,
    each(
      ofType(SERVICE),
      props((f) => ({
        deploymentConfiguration: {
          ...(f.props["deploymentConfiguration"] as object),
          bakeTimeInMinutes: "999",
        },
      })),
    ),
  ),
  parity(
    "services.<name>.deployment.holds",
    holdHooks,
    each(
      (f) => f.type === SERVICE && holdDetails(f) !== undefined,
      props((f) => {
        const config = f.props["deploymentConfiguration"] as { lifecycleHooks: object[] };
        const hooks = [...config.lifecycleHooks];
        hooks[1] = { ...hooks[1], hookDetails: JSON.stringify({ ...holdDetails(f), holds: [5] }) };
        return { deploymentConfiguration: { ...config, lifecycleHooks: hooks } };
      }),
    ),
  ),
  parity(
    "services.<name>.port.containerPort",
    targetGroups,
    each(ofType(TARGET_GROUP), props({ port: 9090 })),
  ),
  parity(
    "services.<name>.port.healthCheckPath",
    targetGroups,
    each(
      ofType(TARGET_GROUP),
      props((f) => ({ healthCheck: { ...(f.props["healthCheck"] as object), path: "/other" } })),
    ),
  ),
  parity(
    "observability.logRetentionDays",
    logGroups,
    each(ofType(LOG_GROUP), props({ retentionInDays: 7 })),
  ),
  parity(
    "observability.latencyP99Ms",
    one,
    each(
      (f) =>
        f.type === ALARM && (f.props["tags"] as Record<string, string>)["alarm"] === "latency-p99",
      props({ threshold: 9 }),
    ),
  ),
  {
    policy: "dev-follows-stage-versions",
    title: "database.engineVersion",
    count: instances,
    carriers: each(ofType(RDS), props({ engineVersion: "15.10" })),
    message:
      /^Set database\.engineVersion to .+ on \S+: dev must run the engine versions stage runs/,
  },
  // Promotion: every container of every task definition, every service.
  ...(["prod-runs-stage-digest", "stage-runs-dev-digest"] as const).flatMap((name) => [
    {
      policy: name,
      title: "an unnamed digest of the same repository",
      count: containers,
      carriers: eachContainer(unnamed),
      message: /^Run .+ in container \S+ of \S+: \w+ runs only the images its stack file names/,
    },
    {
      policy: name,
      title: "the same repository from another registry",
      count: containers,
      carriers: eachContainer(otherRegistry),
      message: /^Run .+ in container \S+ of \S+: \w+ runs only the images its stack file names/,
    },
  ]),
  {
    policy: "images-pinned-by-digest",
    title: "an image by tag",
    count: containers,
    carriers: eachContainer((c) => `${c.image.split("@")[0]}:latest`),
    message: /^Pin container \S+ to an image digest/,
  },
  {
    policy: "services-run-declared-task-definitions",
    title: "a literal ARN of another task definition",
    count: perService,
    carriers: each(ofType(SERVICE), (f) => ({
      props: {
        ...f.props,
        taskDefinition: `arn:aws:ecs:${SAMPLE.region}:123456789012:task-definition/other:3`,
      },
      propertyDependencies: { ...f.propertyDependencies, taskDefinition: [] },
    })),
    message: /^Set taskDefinition on \S+ to the declared task definition/,
  },
  // Data safety.
  {
    policy: "prod-database-protected",
    title: "deletion protection off",
    count: one,
    carriers: each(isPrimary, props({ deletionProtection: false })),
    message: /^Set deletionProtection to true on \S+/,
  },
  {
    policy: "prod-database-protected",
    title: "final snapshot skipped",
    count: one,
    carriers: each(isPrimary, props({ skipFinalSnapshot: true })),
    message: /^Set skipFinalSnapshot to false/,
  },
  {
    policy: "database-backup-retention",
    title: "no backups",
    count: one,
    carriers: each(isPrimary, props({ backupRetentionPeriod: 0 })),
    message: /^Set backupRetentionPeriod to at least/,
  },
  {
    policy: "redundancy-in-production",
    title: "single-AZ primary",
    count: one,
    carriers: each(isPrimary, props({ multiAz: false })),
    message: /^Set multiAz to true/,
  },
  {
    policy: "log-retention-floor",
    title: "a short retention",
    count: logGroups,
    carriers: each(ofType(LOG_GROUP), props({ retentionInDays: 30 })),
    message: /^Set retentionInDays to at least/,
  },
  {
    policy: "encryption-at-rest",
    title: "unencrypted database storage",
    count: instances,
    carriers: each(ofType(RDS), props({ storageEncrypted: false })),
    message: /^Set storageEncrypted to true/,
  },
  {
    policy: "encryption-at-rest",
    title: "a log group without the environment's key",
    count: logGroups,
    carriers: each(ofType(LOG_GROUP), props({ kmsKeyId: undefined })),
    message: /^Set kmsKeyId on/,
  },
  {
    policy: "encryption-in-transit",
    title: "a listener forwarding plain HTTP",
    count: listeners,
    carriers: each(
      ofType(LISTENER),
      props({ protocol: "HTTP", defaultActions: [{ type: "forward" }] }),
    ),
    message: /^Make \S+ redirect to HTTPS/,
  },
  // Validity.
  {
    policy: "database-instance-class-offered",
    title: "an instance class RDS does not offer",
    count: instances,
    carriers: each(ofType(RDS), props({ instanceClass: "db.x99.huge" })),
    message: /^Set instanceClass on \S+ to one RDS offers/,
  },
  {
    policy: "database-engine-version-creatable",
    title: "a retired engine version",
    count: instances,
    carriers: each(ofType(RDS), props({ engineVersion: "9.6.1" })),
    message: /^Set engineVersion on \S+ to one RDS can create today/,
  },
  {
    policy: "listener-certificate-in-stack-region",
    title: "a certificate of another region",
    count: one,
    carriers: each(
      (f) => f.type === LISTENER && f.props["certificateArn"] !== undefined,
      props({ certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/other" }),
    ),
    message: new RegExp(`^Set certificateArn on \\S+ to a certificate in ${SAMPLE.region}`),
  },
  {
    policy: "vpc-cidr-valid",
    title: "host bits set",
    count: one,
    carriers: each(ofType(VPC), props({ cidrBlock: "10.9.0.1/16" })),
    message: /^Set cidrBlock on \S+ to 10\.9\.0\.0\/16/,
  },
  {
    policy: "cache-failover-shape",
    title: "cluster mode without automatic failover",
    count: one,
    carriers: each(ofType(REDIS), props({ automaticFailoverEnabled: false })),
    message: /^Set automaticFailoverEnabled to true on \S+: ElastiCache refuses/,
  },
];

type Found = Violation & { urn: string | undefined };

/** One policy's violations on fixtures; a resource policy runs on `fixtures[index]` only. */
async function verdict(
  stack: StackName,
  name: string,
  fixtures: readonly Fixture[],
  index: number,
): Promise<Found[]> {
  if ("validateStack" in policy(stack, name))
    return (await checkStack(stack, name, fixtures)).map((v) => ({ ...v, urn: v.urn }));
  const f = fixtures[index]!;
  return (await checkResource(stack, name, f)).map((v) => ({
    ...v,
    urn: v.urn ?? urnOf(stack, f.type, f.name),
  }));
}

const runs = {} as Record<StackName, { spec: EnvironmentSpec; fixtures: Fixture[] }>;

beforeAll(async () => {
  for (const stack of environments().names) {
    const run = await runStack(stack);
    runs[stack] = { spec: run.spec, fixtures: fixturesOf(run.resources) };
  }
}, 120_000);

describe.each(environments().names)(
  "%s: one broken instance, one violation on its URN",
  (stack) => {
    const level = (name: string) =>
      forRole(POLICY_CATALOG.find((p) => p.name === name)!.levels, stack);
    const rules = RULES.filter((r) => level(r.policy) !== "disabled");

    it("covers every policy the rules name, in the stacks where it runs", () => {
      expect(rules.length).toBeGreaterThan(0);
      for (const r of RULES) expect(POLICY_CATALOG.map((p) => p.name)).toContain(r.policy);
    });

    it.each(rules.map((r) => [r.policy, r.title, r] as const))(
      "%s: %s",
      async (name, _title, rule) => {
        const { spec, fixtures } = runs[stack]!;
        const carriers = rule.carriers(fixtures);
        expect(carriers.map((c) => c.label)).toHaveLength(rule.count(spec));
        const before = await Promise.all(
          [...new Set(carriers.map((c) => c.index))].map(async (i) => [
            i,
            await verdict(stack, name, fixtures, i),
          ]),
        );
        // The committed stack passes: nothing mandatory, and the edit alone draws the finding.
        const known = new Map(before as [number, Found[]][]);
        for (const found of known.values())
          expect(found.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
        const outcomes = [];
        for (const carrier of carriers) {
          const broken = fixtures.map((f, i) => (i === carrier.index ? carrier.broken : f));
          const urn = urnOf(stack, carrier.broken.type, carrier.broken.name);
          const fresh = (await verdict(stack, name, broken, carrier.index)).filter(
            (v) =>
              !known.get(carrier.index)!.some((b) => b.message === v.message && b.urn === v.urn),
          );
          outcomes.push([
            carrier.label,
            fresh.length > 0,
            fresh.every((v) => v.urn === urn && v.enforcementLevel === level(name)),
            fresh.some((v) => rule.message.test(v.message)),
          ]);
        }
        // A violation on the broken instance's URN, at the policy's level, saying what to change.
        expect(outcomes).toEqual(carriers.map((c) => [c.label, true, true, true]));
      },
    );
  },
);
