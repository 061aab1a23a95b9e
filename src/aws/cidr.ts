/** The subnet tiers every availability zone gets. */
export const SUBNET_TIERS = ["public", "app", "data"] as const;
export type SubnetTier = (typeof SUBNET_TIERS)[number];

/** Zones a VPC can be carved for: each tier reserves a block of this many subnets. */
export const MAX_ZONES = 8;

function toNumber(address: string): number {
  return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/**
 * The CIDR block of one tier's subnet in one zone. The VPC is split into 32 equal blocks
 * (prefix + 5 bits): tier t, zone z takes block t * 8 + z, so adding a zone never renumbers an
 * existing subnet, and blocks 24-31 stay free for later tiers.
 */
export function subnetCidr(vpcCidr: string, tier: SubnetTier, zone: number): string {
  const [address, prefixText] = vpcCidr.split("/");
  const prefix = Number(prefixText);
  if (address === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 27) {
    throw new Error(`cannot carve subnets from ${vpcCidr}: expected a /8 to /27 block`);
  }
  if (!Number.isInteger(zone) || zone < 0 || zone >= MAX_ZONES) {
    throw new Error(`zone index ${zone} is outside 0..${MAX_ZONES - 1}`);
  }
  const size = 2 ** (32 - prefix - 5);
  const base = toNumber(address) - (toNumber(address) % 2 ** (32 - prefix));
  const block = SUBNET_TIERS.indexOf(tier) * MAX_ZONES + zone;
  return `${toAddress(base + block * size)}/${prefix + 5}`;
}
