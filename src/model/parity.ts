import type { EnvstackConfig } from "./schema";

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
  | { readonly kind: "value"; readonly path: string }
  | { readonly kind: "max"; readonly path: string }
  | { readonly kind: "min"; readonly path: string }
  | { readonly kind: "count" }
  | { readonly kind: "distinct"; readonly path: string }
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
  /** The observed value a config implies, when it is not the config value itself. */
  readonly expect?: (config: EnvstackConfig) => unknown;
  /** Dev is compared with stage on this attribute (advisory): engine versions. */
  readonly devFollowsStage?: boolean;
}

const RDS = "aws:rds/instance:Instance";
const REDIS = "aws:elasticache/replicationGroup:ReplicationGroup";
const TASK = "aws:ecs/taskDefinition:TaskDefinition";
const ECS_SERVICE = "aws:ecs/service:Service";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const primary: readonly ResourceFilter[] = [{ path: "replicateSourceDb", present: false }];
const alarm = (key: string): readonly ResourceFilter[] => [{ path: "tags.alarm", equals: key }];

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
    observed: { type: RDS, where: primary, measure: { kind: "value", path: "engine" } },
  },
  {
    key: "database.engineVersion",
    rule: "must-equal",
    note: "Same engine version; dev may not run newer or older than stage.",
    observed: { type: RDS, where: primary, measure: { kind: "value", path: "engineVersion" } },
    devFollowsStage: true,
  },
  {
    key: "database.instanceClass",
    rule: "must-equal",
    note: "Same size.",
    observed: { type: RDS, where: primary, measure: { kind: "value", path: "instanceClass" } },
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
    note: "Same storage.",
    observed: { type: RDS, where: primary, measure: { kind: "value", path: "allocatedStorage" } },
  },
  {
    key: "database.backupRetentionDays",
    rule: "must-equal",
    note: "Same recovery window.",
    observed: {
      type: RDS,
      where: primary,
      measure: { kind: "value", path: "backupRetentionPeriod" },
    },
  },
  {
    key: "database.deletionProtection",
    rule: "must-equal",
    note: "Same protection.",
    observed: { type: RDS, where: primary, measure: { kind: "value", path: "deletionProtection" } },
  },
  {
    key: "database.readReplicas",
    rule: "must-equal",
    note: "Same read capacity.",
    observed: {
      type: RDS,
      where: [{ path: "replicateSourceDb", present: true }],
      measure: { kind: "count" },
    },
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
    key: "service.cpu",
    rule: "must-equal",
    note: "Same task size.",
    observed: { type: TASK, measure: { kind: "max", path: "cpu" } },
  },
  {
    key: "service.memoryMb",
    rule: "must-equal",
    note: "Same task size.",
    observed: { type: TASK, measure: { kind: "max", path: "memory" } },
  },
  {
    key: "service.desiredCount",
    rule: "must-equal",
    note: "Same capacity on the live colour.",
    observed: { type: ECS_SERVICE, measure: { kind: "max", path: "desiredCount" } },
  },
  {
    key: "service.deployment.strategy",
    rule: "must-equal",
    note: "Rollouts rehearsed in stage are the ones prod runs.",
    observed: { type: ECS_SERVICE, measure: { kind: "value", path: "tags.deployment-strategy" } },
  },
  {
    key: "service.image",
    rule: "may-differ",
    note: "The promotion policy governs it: prod runs the digest committed for stage.",
  },
  { key: "service.deployment.live", rule: "may-differ", note: "Moves during a rollout." },
  { key: "service.deployment.canaryPercent", rule: "may-differ", note: "Moves during a rollout." },
  {
    key: "service.deployment.nextImage",
    rule: "may-differ",
    note: "Set only while a rollout is in progress.",
  },
  {
    key: "service.containerPort",
    rule: "must-equal",
    note: "Same wiring.",
    observed: { type: "aws:lb/targetGroup:TargetGroup", measure: { kind: "max", path: "port" } },
  },
  {
    key: "service.healthCheckPath",
    rule: "must-equal",
    note: "Same health semantics.",
    observed: {
      type: "aws:lb/targetGroup:TargetGroup",
      measure: { kind: "value", path: "healthCheck.path" },
    },
  },
  { key: "service.certificateArn", rule: "may-differ", note: "Certificates are per environment." },
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
    note: "Same retention.",
    observed: {
      type: "aws:cloudwatch/logGroup:LogGroup",
      measure: { kind: "min", path: "retentionInDays" },
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

/** The value a config holds for a parity key, or what the key implies on resources. */
export function expectedValue(attribute: ParityAttribute, config: EnvstackConfig): unknown {
  return attribute.expect ? attribute.expect(config) : readPath(config, attribute.key);
}

export type Observation =
  | {
      readonly kind: "known";
      readonly value: unknown;
      readonly resources: readonly DeclaredResource[];
    }
  | { readonly kind: "unknown"; readonly reason: string };

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

/**
 * Measures an attribute on declared resources. Property reads that throw (the policy SDK's
 * unknown-value proxy during preview) make the observation unknown instead of failing.
 */
export function observe(
  observation: ParityObservation,
  resources: readonly DeclaredResource[],
): Observation {
  try {
    const selected = resources.filter(
      (r) => r.type === observation.type && (observation.where ?? []).every((f) => matches(r, f)),
    );
    const m = observation.measure;
    switch (m.kind) {
      case "count":
        return { kind: "known", value: selected.length, resources: selected };
      case "exists":
        return { kind: "known", value: selected.length > 0, resources: selected };
      case "distinct":
        return {
          kind: "known",
          value: new Set(selected.map((r) => readPath(r.props, m.path))).size,
          resources: selected,
        };
      case "value": {
        if (selected.length === 0) return { kind: "known", value: undefined, resources: selected };
        const value = readPath(selected[0]!.props, m.path);
        return { kind: "known", value: numeric(value) ?? value, resources: selected.slice(0, 1) };
      }
      case "max":
      case "min": {
        const values = selected
          .map((r) => numeric(readPath(r.props, m.path)))
          .filter((v): v is number => v !== undefined);
        if (values.length === 0) return { kind: "known", value: undefined, resources: selected };
        return {
          kind: "known",
          value: m.kind === "max" ? Math.max(...values) : Math.min(...values),
          resources: selected,
        };
      }
      case "map": {
        const map: Record<string, unknown> = {};
        for (const r of selected) {
          const key = String(readPath(r.props, m.keyPath)).split("/").pop()!;
          map[key] = readPath(r.props, m.valuePath);
        }
        return { kind: "known", value: map, resources: selected };
      }
    }
  } catch (err) {
    return { kind: "unknown", reason: err instanceof Error ? err.message : String(err) };
  }
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
