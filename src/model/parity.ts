import { ECS_STRATEGIES, HOLD_HOOK_INDEX, MIGRATE_STAGE, hookDetailsAt } from "./rollout";
import { DEFAULT_RULE_PRIORITY, type EnvstackConfig, type RoutingConfig } from "./schema";

/** The placeholder for a service's name in per-service parity keys: `services.<name>.cpu`. */
export const SERVICE = "<name>";

/** A declared resource as the pack and the gate see it: type token, name and input properties. */
export interface DeclaredResource {
  readonly type: string;
  readonly name: string;
  readonly urn?: string;
  readonly props: Readonly<Record<string, unknown>>;
}

/** Selects resources by a property (dotted path): equal to a value, or present/absent. */
export type ResourceFilter =
  | { readonly path: string; readonly equals: string | number | boolean }
  | { readonly path: string; readonly present: boolean };

/** How an attribute is measured on the declared resources. */
export type Measure =
  /**
   * Every selected resource carries the attribute and is measured on its own, so each instance
   * that differs is reported (every colour, replica, target group, log group). Resources matching
   * `unlessSet` carry it only when they set it: a read replica takes its engine and engine version
   * from its source, and storage unless it asks for more
   * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html).
   */
  | {
      readonly kind: "value";
      readonly path: string;
      readonly unlessSet?: readonly ResourceFilter[];
      /** When the property holds a JSON document (a hook's details): the path within it. */
      readonly json?: string;
      /**
       * When `path` is an ECS service's deploymentConfiguration: the hookDetails of its lifecycle
       * hook at this stage are read (then `json` within them), wherever the hook sits in the list.
       */
      readonly hookAt?: string;
    }
  /** The largest value: the one resource holding it is measured (the live colour's capacity). */
  | { readonly kind: "max"; readonly path: string }
  | { readonly kind: "count" }
  | { readonly kind: "distinct"; readonly path: string }
  /** The distinct values of a property, sorted (which services a stack runs). */
  | { readonly kind: "names"; readonly path: string }
  | { readonly kind: "exists" }
  /** A map from the last segment of `keyPath` (a `/`-separated name) to `valuePath`. */
  | { readonly kind: "map"; readonly keyPath: string; readonly valuePath: string };

export interface ParityObservation {
  readonly type: string;
  readonly where?: readonly ResourceFilter[];
  readonly measure: Measure;
}

export interface ParityAttribute {
  /** The config key, e.g. `database.multiAz`. */
  readonly key: string;
  readonly rule: "must-equal" | "may-differ";
  /** Why an attribute may differ, or what it guards when it must not. */
  readonly note: string;
  /** How the attribute shows on declared resources; absent for attributes only config carries. */
  readonly observed?: ParityObservation;
  /**
   * The observed value a config implies, when it is not the config value itself; `service` is
   * the service's name for a per-service attribute.
   */
  readonly expect?: (config: EnvstackConfig, service?: string) => unknown;
  /** Dev is compared with stage on this attribute (advisory): engine versions. */
  readonly devFollowsStage?: boolean;
}

const RDS = "aws:rds/instance:Instance";
const REDIS = "aws:elasticache/replicationGroup:ReplicationGroup";
const TASK = "aws:ecs/taskDefinition:TaskDefinition";
const ECS_SERVICE = "aws:ecs/service:Service";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TARGET_GROUP = "aws:lb/targetGroup:TargetGroup";
const LISTENER_RULE = "aws:lb/listenerRule:ListenerRule";

/**
 * The conditions of a service's production listener rule, as the program declares them and the
 * parity check reads them: a path-pattern condition, then a host-header one, each only when
 * listed; the default service's rule matches every path (`/*`), behind every other rule.
 */
export function ruleConditions(
  routing: RoutingConfig | undefined,
): { pathPattern?: { values: string[] }; hostHeader?: { values: string[] } }[] | undefined {
  if (routing === undefined) return undefined;
  if (routing.default === true) return [{ pathPattern: { values: ["/*"] } }];
  return [
    ...((routing.paths ?? []).length > 0 ? [{ pathPattern: { values: [...routing.paths!] } }] : []),
    ...((routing.hosts ?? []).length > 0 ? [{ hostHeader: { values: [...routing.hosts!] } }] : []),
  ];
}
const primary: readonly ResourceFilter[] = [{ path: "replicateSourceDb", present: false }];
const replica: readonly ResourceFilter[] = [{ path: "replicateSourceDb", present: true }];
/** Every RDS instance, primary or replica; a replica only when it sets the property. */
const everyInstance = (path: string): ParityObservation => ({
  type: RDS,
  measure: { kind: "value", path, unlessSet: replica },
});
const alarm = (key: string): readonly ResourceFilter[] => [{ path: "tags.alarm", equals: key }];
/** A service's production listener rule (not its test rule). */
const PRODUCTION_RULE: readonly ResourceFilter[] = [
  { path: "tags.listener-rule", equals: "production" },
];
/** A service's ECS deployment configuration, read on its ECS service. */
const serviceDeployment = (path: string): ParityObservation => ({
  type: ECS_SERVICE,
  measure: { kind: "value", path: `deploymentConfiguration.${path}` },
});
/** A value of the hold hook's details (the ECS service's second lifecycle hook, when set). */
const holdHook = (field: string): ParityObservation => ({
  type: ECS_SERVICE,
  measure: {
    kind: "value",
    path: `deploymentConfiguration.lifecycleHooks.${HOLD_HOOK_INDEX}.hookDetails`,
    json: field,
  },
});
/** A value of the migration hook's details (the ECS service's hook at PRE_SCALE_UP, when set). */
const migrateHook = (field: string): ParityObservation => ({
  type: ECS_SERVICE,
  measure: { kind: "value", path: "deploymentConfiguration", hookAt: MIGRATE_STAGE, json: field },
});
const rolloutOf = (c: EnvstackConfig, name: string | undefined) =>
  name === undefined ? undefined : c.services[name]?.deployment;

/**
 * The parity contract: what stage must share with prod, and what may differ. One table, read by
 * the policy pack (checks), the docs and the tests.
 */
export const PARITY: readonly ParityAttribute[] = [
  {
    key: "network.availabilityZones",
    rule: "must-equal",
    note: "Redundancy across zones.",
    observed: {
      type: "aws:ec2/subnet:Subnet",
      measure: { kind: "distinct", path: "availabilityZone" },
    },
  },
  {
    key: "network.natGateways",
    rule: "must-equal",
    note: "Egress redundancy: one NAT per zone or a single one.",
    observed: { type: "aws:ec2/natGateway:NatGateway", measure: { kind: "count" } },
    expect: (c) => (c.network.natGateways === "single" ? 1 : c.network.availabilityZones),
  },
  { key: "network.cidr", rule: "may-differ", note: "Address ranges are per environment." },
  {
    key: "database.engine",
    rule: "must-equal",
    note: "Same engine.",
    observed: everyInstance("engine"),
  },
  {
    key: "database.engineVersion",
    rule: "must-equal",
    note: "Same engine version; dev may not run newer or older than stage.",
    observed: everyInstance("engineVersion"),
    devFollowsStage: true,
  },
  {
    key: "database.instanceClass",
    rule: "must-equal",
    note: "Same size, on the primary and every replica.",
    observed: { type: RDS, measure: { kind: "value", path: "instanceClass" } },
  },
  {
    key: "database.multiAz",
    rule: "must-equal",
    note: "Same redundancy.",
    observed: { type: RDS, where: primary, measure: { kind: "value", path: "multiAz" } },
  },
  {
    key: "database.storageGb",
    rule: "must-equal",
    note: "Same storage (a replica that sets its own must match too).",
    observed: everyInstance("allocatedStorage"),
  },
  {
    key: "database.backupRetentionDays",
    rule: "must-equal",
    // Backups are the primary's: a source of read replicas keeps them (retention above 0), a
    // replica is restored from the primary's
    // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
    note: "Same recovery window (the primary's; replicas take no backups of their own).",
    observed: {
      type: RDS,
      where: primary,
      measure: { kind: "value", path: "backupRetentionPeriod" },
    },
  },
  {
    key: "database.deletionProtection",
    rule: "must-equal",
    note: "Same protection, on the primary and every replica that sets it.",
    observed: everyInstance("deletionProtection"),
  },
  {
    key: "database.readReplicas",
    rule: "must-equal",
    note: "Same read capacity.",
    observed: { type: RDS, where: replica, measure: { kind: "count" } },
  },
  {
    key: "database.accessCidrs",
    rule: "may-differ",
    note: "Networks reaching the database are per environment.",
  },
  {
    key: "cache.engineVersion",
    rule: "must-equal",
    note: "Same Redis version; dev may not run newer or older than stage.",
    observed: { type: REDIS, measure: { kind: "value", path: "engineVersion" } },
    devFollowsStage: true,
  },
  {
    key: "cache.nodeType",
    rule: "must-equal",
    note: "Same node size.",
    observed: { type: REDIS, measure: { kind: "value", path: "nodeType" } },
  },
  {
    key: "cache.shards",
    rule: "must-equal",
    note: "Same sharding.",
    observed: { type: REDIS, measure: { kind: "value", path: "numNodeGroups" } },
  },
  {
    key: "cache.replicasPerShard",
    rule: "must-equal",
    note: "Same redundancy.",
    observed: { type: REDIS, measure: { kind: "value", path: "replicasPerNodeGroup" } },
  },
  {
    key: "services",
    rule: "must-equal",
    note: "Same services: a service prod runs is rehearsed in stage (by the service tag of its ECS services).",
    observed: { type: ECS_SERVICE, measure: { kind: "names", path: "tags.service" } },
    expect: (c) => Object.keys(c.services).sort(),
  },
  {
    key: `services.${SERVICE}.cpu`,
    rule: "must-equal",
    note: "Same task size, on every colour's task definition.",
    observed: { type: TASK, measure: { kind: "value", path: "cpu" } },
  },
  {
    key: `services.${SERVICE}.memoryMb`,
    rule: "must-equal",
    note: "Same task size, on every colour's task definition.",
    observed: { type: TASK, measure: { kind: "value", path: "memory" } },
  },
  {
    key: `services.${SERVICE}.desiredCount`,
    rule: "must-equal",
    // The idle colour runs no task between rollouts, so the largest count is the live colour's.
    note: "Same capacity on the live colour.",
    observed: { type: ECS_SERVICE, measure: { kind: "max", path: "desiredCount" } },
  },
  {
    key: `services.${SERVICE}.deployment.strategy`,
    rule: "must-equal",
    note: "Rollouts rehearsed in stage are the ones prod runs: the ECS service's deployment strategy.",
    observed: serviceDeployment("strategy"),
    expect: (c, name) => rolloutOf(c, name) && ECS_STRATEGIES[rolloutOf(c, name)!.strategy],
  },
  {
    key: `services.${SERVICE}.deployment.bakeMinutes`,
    rule: "must-equal",
    note: "Same bake: as long under the rollback alarms after the shift.",
    observed: serviceDeployment("bakeTimeInMinutes"),
  },
  {
    key: `services.${SERVICE}.deployment.canaryPercent`,
    rule: "must-equal",
    note: "Same canary share.",
    observed: serviceDeployment("canaryConfiguration.canaryPercent"),
  },
  {
    key: `services.${SERVICE}.deployment.canaryBakeMinutes`,
    rule: "must-equal",
    note: "Same time at the canary share.",
    observed: serviceDeployment("canaryConfiguration.canaryBakeTimeInMinutes"),
  },
  {
    key: `services.${SERVICE}.deployment.stepPercent`,
    rule: "must-equal",
    note: "Same linear steps.",
    observed: serviceDeployment("linearConfiguration.stepPercent"),
  },
  {
    key: `services.${SERVICE}.deployment.stepBakeMinutes`,
    rule: "must-equal",
    note: "Same time between linear steps.",
    observed: serviceDeployment("linearConfiguration.stepBakeTimeInMinutes"),
  },
  {
    key: `services.${SERVICE}.deployment.holds`,
    rule: "must-equal",
    note: "Same ladder: the shares the rollout hook holds the shift at.",
    observed: holdHook("holds"),
  },
  {
    key: `services.${SERVICE}.deployment.holdMinutes`,
    rule: "must-equal",
    note: "Same time at each hold.",
    observed: holdHook("holdMinutes"),
  },
  {
    key: `services.${SERVICE}.migrations.command`,
    rule: "must-equal",
    note: "Same migration, run the same way: the command of the migration hook on the ECS service (set in both or in neither).",
    observed: migrateHook("command"),
  },
  {
    key: `services.${SERVICE}.migrations.version`,
    rule: "may-differ",
    note: "The promotion policy governs it: prod migrates to the version committed for stage.",
  },
  {
    key: `services.${SERVICE}.migrations.timeoutMinutes`,
    rule: "may-differ",
    note: "Prod's data may take longer to migrate than stage's.",
  },
  {
    key: `services.${SERVICE}.image`,
    rule: "may-differ",
    note: "The promotion policy governs it: prod runs the digest committed for stage.",
  },
  {
    key: `services.${SERVICE}.port.containerPort`,
    rule: "must-equal",
    note: "Same wiring, on every colour's target group (a worker has none).",
    observed: { type: TARGET_GROUP, measure: { kind: "value", path: "port" } },
  },
  {
    key: `services.${SERVICE}.port.healthCheckPath`,
    rule: "must-equal",
    note: "Same health semantics, on every colour's target group.",
    observed: { type: TARGET_GROUP, measure: { kind: "value", path: "healthCheck.path" } },
  },
  {
    key: `services.${SERVICE}.routing.priority`,
    rule: "must-equal",
    note: "Same rule order on the listener (the default service's rule comes last, at 50000).",
    observed: {
      type: LISTENER_RULE,
      where: PRODUCTION_RULE,
      measure: { kind: "value", path: "priority" },
    },
    expect: (c, name) => {
      const routing = name === undefined ? undefined : c.services[name]?.routing;
      return routing?.default === true ? DEFAULT_RULE_PRIORITY : routing?.priority;
    },
  },
  {
    key: `services.${SERVICE}.routing`,
    rule: "must-equal",
    note: "Same requests reach the service: its production listener rule's path and host conditions.",
    observed: {
      type: LISTENER_RULE,
      where: PRODUCTION_RULE,
      measure: { kind: "value", path: "conditions" },
    },
    expect: (c, name) => {
      const service = c.services[name!];
      return service?.port === undefined ? undefined : ruleConditions(service.routing);
    },
  },
  {
    key: "loadBalancer.certificateArn",
    rule: "may-differ",
    note: "Certificates are per environment.",
  },
  {
    key: "observability.latencyP99Ms",
    rule: "must-equal",
    note: "Same alerting: an alarm stage tolerates, prod must too.",
    observed: {
      type: ALARM,
      where: alarm("latency-p99"),
      measure: { kind: "value", path: "threshold" },
    },
    expect: (c) => c.observability.latencyP99Ms / 1000,
  },
  {
    key: "observability.errorRatePercent",
    rule: "must-equal",
    note: "Same alerting.",
    observed: {
      type: ALARM,
      where: alarm("error-rate"),
      measure: { kind: "value", path: "threshold" },
    },
  },
  {
    key: "observability.tracing",
    rule: "must-equal",
    note: "Same visibility.",
    observed: { type: "aws:xray/samplingRule:SamplingRule", measure: { kind: "exists" } },
  },
  {
    key: "observability.logRetentionDays",
    rule: "must-equal",
    note: "Same retention, on every log group.",
    observed: {
      type: "aws:cloudwatch/logGroup:LogGroup",
      measure: { kind: "value", path: "retentionInDays" },
    },
  },
  {
    key: "observability.alarmEmail",
    rule: "may-differ",
    note: "On-call rotations are per environment.",
  },
  {
    key: "featureFlags",
    rule: "must-equal",
    note: "Stage tests the behaviour prod will have.",
    observed: {
      type: "aws:ssm/parameter:Parameter",
      where: [{ path: "tags.component", equals: "flags" }],
      measure: { kind: "map", keyPath: "name", valuePath: "value" },
    },
    expect: (c) =>
      Object.fromEntries(Object.entries(c.featureFlags).map(([k, v]) => [k, String(v)])),
  },
  {
    key: "access",
    rule: "may-differ",
    note: "Who may do what is per environment (developers stay read-only in stage and prod).",
  },
  {
    key: "github",
    rule: "may-differ",
    note: "Branch rules and approvals differ by design (the promotion model).",
  },
];

/** Reads a dotted path from a value; throws whatever the value's accessors throw. */
export function readPath(value: unknown, dotted: string): unknown {
  let node: unknown = value;
  for (const part of dotted.split(".")) {
    if (node === null || node === undefined || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Whether a parity key is one per service (`services.<name>.cpu`). */
export function isPerService(attribute: Pick<ParityAttribute, "key">): boolean {
  return attribute.key.startsWith(`services.${SERVICE}.`);
}

/** The template a concrete key instantiates (`services.api.cpu` is `services.<name>.cpu`). */
export function parityTemplateOf(key: string): string {
  const match = /^services\.([^.]+)\.(.+)$/.exec(key);
  return match ? `services.${SERVICE}.${match[2]}` : key;
}

/** A per-service attribute concretized for one service: a tag filter selects its resources. */
export interface ServiceParityAttribute extends ParityAttribute {
  /** The service's name, for per-service attributes. */
  readonly service?: string;
}

/**
 * The attributes as they apply to a config: each per-service attribute once per service the
 * config declares (`services.api.cpu`, observed on the resources tagged `service=api`), the
 * others as they are.
 */
export function attributesFor(
  attributes: readonly ParityAttribute[],
  config: Pick<EnvstackConfig, "services">,
): ServiceParityAttribute[] {
  const out: ServiceParityAttribute[] = [];
  for (const attribute of attributes) {
    if (!isPerService(attribute)) {
      out.push(attribute);
      continue;
    }
    for (const service of Object.keys(config.services)) {
      out.push({
        ...attribute,
        key: attribute.key.replace(SERVICE, service),
        service,
        ...(attribute.observed
          ? {
              observed: {
                ...attribute.observed,
                where: [
                  ...(attribute.observed.where ?? []),
                  { path: "tags.service", equals: service },
                ],
              },
            }
          : {}),
      });
    }
  }
  return out;
}

/** The value a config holds for a parity key, or what the key implies on resources. */
export function expectedValue(attribute: ServiceParityAttribute, config: EnvstackConfig): unknown {
  return attribute.expect
    ? attribute.expect(config, attribute.service)
    : readPath(config, attribute.key);
}

/**
 * One measurement of an attribute: the value and the resources it was measured on. `on` is the
 * single instance a per-instance measure read (a colour's task definition, a replica), which is
 * the resource a difference is reported on; aggregates (counts, zones, flags) have none.
 */
export type Reading =
  | {
      readonly known: true;
      readonly value: unknown;
      readonly on?: DeclaredResource;
      readonly resources: readonly DeclaredResource[];
    }
  | {
      readonly known: false;
      readonly reason: string;
      readonly on?: DeclaredResource;
      readonly resources: readonly DeclaredResource[];
    };

function matches(resource: DeclaredResource, filter: ResourceFilter): boolean {
  const value = readPath(resource.props, filter.path);
  return "equals" in filter
    ? value === filter.equals
    : (value !== undefined && value !== null) === filter.present;
}

function numeric(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value)))
    return Number(value);
  return undefined;
}

/** A JSON document's value, or undefined when the property holds none. */
function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reads a per-instance value on each carrier. A read that throws (the policy SDK's unknown-value
 * proxy during preview) makes that instance's reading unknown, not the others'.
 */
function eachInstance(
  observation: ParityObservation,
  m: Extract<Measure, { kind: "value" }>,
  resources: readonly DeclaredResource[],
): Reading[] {
  const readings: Reading[] = [];
  let required = 0;
  for (const r of resources.filter((x) => x.type === observation.type)) {
    try {
      if (!(observation.where ?? []).every((f) => matches(r, f))) continue;
      const at = readPath(r.props, m.path);
      const raw = m.hookAt === undefined ? at : hookDetailsAt(at, m.hookAt);
      const value = m.json === undefined ? raw : readPath(parseJson(raw), m.json);
      const optional = m.unlessSet !== undefined && m.unlessSet.every((f) => matches(r, f));
      if (!optional) required += 1;
      else if (value === undefined || value === null) continue;
      readings.push({ known: true, value: numeric(value) ?? value, on: r, resources: [r] });
    } catch (err) {
      readings.push({ known: false, reason: reasonOf(err), on: r, resources: [r] });
    }
  }
  // No instance that must carry it: the stack declares nothing for the attribute.
  if (required === 0 && !readings.some((x) => !x.known))
    readings.unshift({ known: true, value: undefined, resources: [] });
  return readings;
}

/** Measures an aggregate over the selected resources: one reading, unknown if any read throws. */
function aggregate(
  observation: ParityObservation,
  m: Exclude<Measure, { kind: "value" }>,
  resources: readonly DeclaredResource[],
): Reading {
  try {
    const selected = resources.filter(
      (r) => r.type === observation.type && (observation.where ?? []).every((f) => matches(r, f)),
    );
    switch (m.kind) {
      case "count":
        return { known: true, value: selected.length, resources: selected };
      case "exists":
        return { known: true, value: selected.length > 0, resources: selected };
      case "names":
        return {
          known: true,
          value: [
            ...new Set(
              selected
                .map((r) => readPath(r.props, m.path))
                .filter((v): v is string => typeof v === "string"),
            ),
          ].sort(),
          resources: selected,
        };
      case "distinct":
        return {
          known: true,
          value: new Set(selected.map((r) => readPath(r.props, m.path))).size,
          resources: selected,
        };
      case "max": {
        const values = selected
          .map((r) => ({ r, v: numeric(readPath(r.props, m.path)) }))
          .filter((x): x is { r: DeclaredResource; v: number } => x.v !== undefined);
        if (values.length === 0) return { known: true, value: undefined, resources: selected };
        const value = Math.max(...values.map((x) => x.v));
        const holders = values.filter((x) => x.v === value).map((x) => x.r);
        return {
          known: true,
          value,
          ...(holders.length === 1 ? { on: holders[0] } : {}),
          resources: holders,
        };
      }
      case "map": {
        const map: Record<string, unknown> = {};
        for (const r of selected) {
          const key = String(readPath(r.props, m.keyPath)).split("/").pop()!;
          map[key] = readPath(r.props, m.valuePath);
        }
        return { known: true, value: map, resources: selected };
      }
    }
  } catch (err) {
    return { known: false, reason: reasonOf(err), resources: [] };
  }
}

/**
 * Measures an attribute on declared resources: one reading per carrying instance for a
 * per-instance measure (so every colour, replica, target group and log group is compared), one
 * reading for an aggregate.
 */
export function observe(
  observation: ParityObservation,
  resources: readonly DeclaredResource[],
): readonly Reading[] {
  const m = observation.measure;
  return m.kind === "value"
    ? eachInstance(observation, m, resources)
    : [aggregate(observation, m, resources)];
}

/** Deep equality for observed values (scalars, lists and maps). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined && typeof a !== "boolean" && typeof b !== "boolean")
    return na === nb;
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      ka.length === kb.length &&
      ka.every(
        (k, i) =>
          k === kb[i] &&
          sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return false;
}

/** The attributes stage must share with prod. */
export function mustEqualAttributes(): readonly ParityAttribute[] {
  return PARITY.filter((a) => a.rule === "must-equal");
}
