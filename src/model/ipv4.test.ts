import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasHostBits, networkOf, overlaps, parseIpv4Block } from ".";

const block = (cidr: string) => {
  const b = parseIpv4Block(cidr);
  if (!b) throw new Error(`not a block: ${cidr}`);
  return b;
};

describe("IPv4 blocks", () => {
  it.each([["10.30.0.0/33"], ["10.30.0.256/16"], ["10.30.0/16"], ["10.30.0.0"]])(
    "refuses %s",
    (cidr) => {
      expect(parseIpv4Block(cidr)).toBeUndefined();
    },
  );

  it.each([
    ["10.30.0.0/16", false, "10.30.0.0/16"],
    ["10.30.1.0/16", true, "10.30.0.0/16"],
    ["10.30.0.16/28", false, "10.30.0.16/28"],
    ["10.30.0.17/28", true, "10.30.0.16/28"],
    ["0.0.0.0/0", false, "0.0.0.0/0"],
  ])("%s: host bits %s, network %s", (cidr, hostBits, network) => {
    expect([hasHostBits(block(cidr)), networkOf(block(cidr))]).toEqual([hostBits, network]);
  });

  it.each([
    ["10.20.0.0/16", "10.30.0.0/16", false],
    ["10.30.16.0/20", "10.30.0.0/16", true],
    ["10.30.0.0/16", "10.30.255.0/24", true],
    ["10.31.0.0/16", "10.30.0.0/16", false],
  ])("%s and %s overlap: %s", (a, b, expected) => {
    expect([overlaps(block(a), block(b)), overlaps(block(b), block(a))]).toEqual([
      expected,
      expected,
    ]);
  });

  it("the network form has no host bits and contains the address", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (ip, prefix) => {
        const b = block(`${ip}/${prefix}`);
        const n = block(networkOf(b));
        return !hasHostBits(n) && overlaps(n, b) && n.prefix === prefix;
      }),
    );
  });
});
