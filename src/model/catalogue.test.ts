import { describe, expect, it } from "vitest";
import {
  environments,
  AWS_REGIONS,
  defaultsFor,
  ELASTICACHE_NODE_TYPES,
  isCacheNodeType,
  isPostgresInstanceClass,
  isPostgresVersion,
  isRedisVersion,
  POSTGRES_VERSIONS,
  RDS_POSTGRES_INSTANCE_CLASSES,
} from ".";

describe("the catalogue", () => {
  it.each([
    ["regions", AWS_REGIONS],
    ["PostgreSQL versions", POSTGRES_VERSIONS],
    ["RDS instance classes", RDS_POSTGRES_INSTANCE_CLASSES],
    ["ElastiCache node types", ELASTICACHE_NODE_TYPES],
  ])("lists each of its %s once", (_what, list) => {
    expect(new Set(list).size).toBe(list.length);
  });

  it("holds no PostgreSQL minor version RDS stopped creating on 2026-05-01", () => {
    for (const deprecated of ["16.4", "16.5", "16.6", "16.7", "16.8", "17.1", "17.4"]) {
      expect([deprecated, isPostgresVersion(deprecated)]).toEqual([deprecated, false]);
    }
  });

  it.each(environments().names)("covers %s's defaults", (stack) => {
    const { database, cache } = defaultsFor(stack);
    expect([
      isPostgresVersion(database!.engineVersion!),
      isPostgresInstanceClass(database!.instanceClass!),
      isRedisVersion(cache!.engineVersion!),
      isCacheNodeType(cache!.nodeType!),
    ]).toEqual([true, true, true, true]);
  });
});
