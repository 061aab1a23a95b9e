import { describe, expect, it } from "vitest";
import { ecrRepositoryArn } from "../../src/aws/access";
import { cacheNodeIds } from "../../src/aws/cache";
import { subnetCidr } from "../../src/aws/cidr";
import { kebab, physicalName } from "../../src/aws/naming";
import { instanceMemoryGiB, postgresMaxConnections } from "../../src/aws/sizing";

describe("subnetCidr", () => {
  it.each([
    ["10.30.0.0/16", "public", 0, "10.30.0.0/21"],
    ["10.30.0.0/16", "public", 2, "10.30.16.0/21"],
    ["10.30.0.0/16", "app", 0, "10.30.64.0/21"],
    ["10.30.0.0/16", "data", 5, "10.30.168.0/21"],
    ["10.30.0.0/20", "public", 1, "10.30.0.128/25"],
    ["10.30.0.0/20", "data", 0, "10.30.8.0/25"],
    // Host bits in the VPC address are ignored.
    ["10.30.5.0/16", "app", 1, "10.30.72.0/21"],
  ] as const)("%s %s zone %i -> %s", (vpc, tier, zone, expected) => {
    expect(subnetCidr(vpc, tier, zone)).toBe(expected);
  });

  it("never gives two subnets the same block", () => {
    const blocks = (["public", "app", "data"] as const).flatMap((t) =>
      Array.from({ length: 6 }, (_, z) => subnetCidr("10.10.0.0/16", t, z)),
    );
    expect(new Set(blocks).size).toBe(18);
  });

  it.each([
    ["10.0.0.0/28", 0, "cannot carve subnets from 10.0.0.0/28: expected a /8 to /27 block"],
    ["10.0.0.0/16", 8, "zone index 8 is outside 0..7"],
  ])("refuses %s zone %i", (vpc, zone, message) => {
    expect(() => subnetCidr(vpc, "app", zone)).toThrow(message);
  });
});

describe("physicalName", () => {
  it("keeps short names whole", () => {
    expect(physicalName({ stack: "prod", app: "trading" }, "alb", 32)).toBe("trading-prod-alb");
  });
  it("shortens the app, never the stack or the suffix, and drops a dangling hyphen", () => {
    expect(physicalName({ stack: "stage", app: "abcdefghijklmnopqrs-uvwx" }, "green", 32)).toBe(
      "abcdefghijklmnopqrs-stage-green",
    );
    expect(physicalName({ stack: "stage", app: "abcdefghijklmnopqrstuvwx" }, "green", 32)).toBe(
      "abcdefghijklmnopqrst-stage-green",
    );
  });
  it("refuses a suffix that leaves no room", () => {
    expect(() => physicalName({ stack: "dev", app: "trading" }, "x".repeat(30), 32)).toThrow(
      `physical name suffix "${"x".repeat(30)}" leaves no room for the app within 32`,
    );
  });
  it("kebab-cases team roles", () => {
    expect(kebab("releaseManager")).toBe("release-manager");
    expect(kebab("qa")).toBe("qa");
  });
});

describe("postgresMaxConnections", () => {
  it.each([
    ["db.t4g.micro", 1, 112],
    ["db.t4g.medium", 4, 450],
    ["db.m6g.large", 8, 901],
    ["db.r6g.large", 16, 1802],
    ["db.r6g.4xlarge", 128, 5000],
    ["db.x2g.xlarge", 64, 5000],
    ["db.q9z.huge", 8, 901],
  ])("%s: %i GiB, %i connections", (instanceClass, gib, connections) => {
    expect(instanceMemoryGiB(instanceClass)).toBe(gib);
    expect(postgresMaxConnections(instanceClass)).toBe(connections);
  });
});

describe("ecrRepositoryArn", () => {
  it.each([
    [
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/trading-platform@sha256:${"a".repeat(64)}`,
      "arn:aws:ecr:eu-west-1:123456789012:repository/trading-platform",
    ],
    [
      "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:1.2.3",
      "arn:aws:ecr:us-east-1:123456789012:repository/team/api",
    ],
    [
      "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:latest",
      "arn:aws-cn:ecr:cn-north-1:123456789012:repository/app",
    ],
    ["ghcr.io/acme/app:1.0", undefined],
  ])("%s -> %s", (image, arn) => {
    expect(ecrRepositoryArn(image)).toBe(arn);
  });
});

describe("cacheNodeIds", () => {
  it("names nodes <group>-<shard:4>-<node:3>, primary first", () => {
    expect(cacheNodeIds("trading-prod-cache", 2, 1)).toEqual([
      ["trading-prod-cache-0001-001", "trading-prod-cache-0001-002"],
      ["trading-prod-cache-0002-001", "trading-prod-cache-0002-002"],
    ]);
    expect(cacheNodeIds("c", 1, 0)).toEqual([["c-0001-001"]]);
  });
});
