/** vCPUs by instance size (the part after the family, e.g. `large`). */
const VCPUS: Readonly<Record<string, number>> = {
  micro: 2,
  small: 2,
  medium: 2,
  large: 2,
  xlarge: 4,
  "2xlarge": 8,
  "4xlarge": 16,
  "8xlarge": 32,
  "12xlarge": 48,
  "16xlarge": 64,
  "24xlarge": 96,
  "32xlarge": 128,
};

/** Burstable classes do not follow the per-vCPU ratio. */
const BURSTABLE_GIB: Readonly<Record<string, number>> = {
  micro: 1,
  small: 2,
  medium: 4,
  large: 8,
  xlarge: 16,
  "2xlarge": 32,
};

/** GiB of memory per vCPU by family letter: m general purpose, r/x memory optimised. */
const GIB_PER_VCPU: Readonly<Record<string, number>> = { m: 4, r: 8, x: 16, z: 8 };

/**
 * Memory of an RDS instance class (`db.r6g.large` -> 16), from the class naming scheme. Unknown
 * sizes count as the smallest so that alarms derived from it err on the early side.
 */
export function instanceMemoryGiB(instanceClass: string): number {
  const [, family = "", size = ""] = instanceClass.split(".");
  if (family.startsWith("t")) return BURSTABLE_GIB[size] ?? 1;
  const vcpus = VCPUS[size] ?? 2;
  return vcpus * (GIB_PER_VCPU[family.charAt(0)] ?? 4);
}

/**
 * PostgreSQL's default `max_connections` on RDS: LEAST(DBInstanceClassMemory / 9531392, 5000).
 */
export function postgresMaxConnections(instanceClass: string): number {
  const bytes = instanceMemoryGiB(instanceClass) * 1024 ** 3;
  return Math.min(Math.floor(bytes / 9531392), 5000);
}
