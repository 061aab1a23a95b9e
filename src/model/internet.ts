import { BlockList, isIPv4, isIPv6 } from "node:net";

/**
 * Address space the internet cannot reach a VPC from: private (RFC 1918), shared (RFC 6598),
 * loopback and link-local IPv4; unique-local, link-local and loopback IPv6. Every other block
 * holds internet addresses: `0.0.0.0/1` opens to half the internet as `0.0.0.0/0` does to all.
 * https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml
 * https://www.iana.org/assignments/iana-ipv6-special-registry/iana-ipv6-special-registry.xhtml
 */
const NON_INTERNET: readonly (readonly [string, number, "ipv4" | "ipv6"])[] = [
  ["10.0.0.0", 8, "ipv4"],
  ["172.16.0.0", 12, "ipv4"],
  ["192.168.0.0", 16, "ipv4"],
  ["100.64.0.0", 10, "ipv4"],
  ["127.0.0.0", 8, "ipv4"],
  ["169.254.0.0", 16, "ipv4"],
  ["fc00::", 7, "ipv6"],
  ["fe80::", 10, "ipv6"],
  ["::1", 128, "ipv6"],
];

const NON_INTERNET_RANGES = NON_INTERNET.map(([address, prefix, type]) => {
  const list = new BlockList();
  list.addSubnet(address, prefix, type);
  return { list, prefix, type };
});

/**
 * Whether a CIDR block an ingress rule admits holds internet addresses: it does unless it lies
 * wholly inside one non-internet range. Anything that is not a CIDR block counts as internet: AWS
 * would refuse it, and the pack does not guess what it meant.
 */
export function reachesInternet(cidr: string): boolean {
  const slash = cidr.indexOf("/");
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const prefixText = slash < 0 ? "" : cidr.slice(slash + 1);
  const type = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
  if (type === undefined || !/^\d{1,3}$/.test(prefixText)) return true;
  const prefix = Number(prefixText);
  if (prefix > (type === "ipv4" ? 32 : 128)) return true;
  // A block lies inside a range when it is no larger and one of its addresses is in the range.
  return !NON_INTERNET_RANGES.some(
    (r) => r.type === type && prefix >= r.prefix && r.list.check(address, type),
  );
}
