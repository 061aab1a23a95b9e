/** IPv4 CIDR arithmetic the config and the pack share (no resources, no I/O). */

export interface Ipv4Block {
  /** The address as written, as a 32-bit unsigned number. */
  readonly address: number;
  readonly prefix: number;
}

const BLOCK = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; undefined when it is not an IPv4 CIDR block. */
export function parseIpv4Block(cidr: string): Ipv4Block | undefined {
  const m = BLOCK.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return { address: octets.reduce((n, o) => n * 256 + o, 0), prefix };
}

const size = (prefix: number) => 2 ** (32 - prefix);

function toText(address: number, prefix: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256);
  return `${octets.join(".")}/${prefix}`;
}

/** The block's network address form (`10.30.1.0/16` is `10.30.0.0/16`). */
export function networkOf(block: Ipv4Block): string {
  return toText(block.address - (block.address % size(block.prefix)), block.prefix);
}

/** Whether bits below the prefix are set, which makes the block not a network address. */
export function hasHostBits(block: Ipv4Block): boolean {
  return block.address % size(block.prefix) !== 0;
}

/** Whether two blocks share at least one address. */
export function overlaps(a: Ipv4Block, b: Ipv4Block): boolean {
  const start = (x: Ipv4Block) => x.address - (x.address % size(x.prefix));
  const [sa, sb] = [start(a), start(b)];
  return sa < sb + size(b.prefix) && sb < sa + size(a.prefix);
}
