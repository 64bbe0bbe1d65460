// Address blocks: the entries of IPAddressPool.spec.addresses ("10.0.0.0/24",
// "10.0.0.1-10.0.0.9", "fc00::/64") as closed bigint intervals, plus the
// minimal CIDR cover MetalLB derives from them (internal/config/config.go).
import { FAMILY_BITS, formatIp, parseIp, type IpFamily } from "./ip-address-text.ts";

export interface Cidr {
  readonly family: IpFamily;
  /** Network address, host bits cleared. */
  readonly network: bigint;
  readonly prefixLength: number;
}

export interface AddressBlock {
  /** The entry as the user wrote it. */
  readonly text: string;
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
  /** Smallest set of CIDRs covering exactly [first, last]. */
  readonly cidrs: readonly Cidr[];
  /** A CIDR whose host bits were set, e.g. 10.20.30.40/24: MetalLB masks it silently. */
  readonly hostBitsMasked: boolean;
}

export type BlockParseError =
  | { readonly kind: "invalid-cidr"; readonly detail: string }
  | { readonly kind: "invalid-range-start"; readonly detail: string }
  | { readonly kind: "invalid-range-end"; readonly detail: string }
  | { readonly kind: "range-reversed"; readonly detail: string }
  | { readonly kind: "range-mixed-families"; readonly detail: string };

export type BlockParseResult =
  | { readonly ok: true; readonly block: AddressBlock }
  | { readonly ok: false; readonly error: BlockParseError };

const DECIMAL = /^(0|[1-9]\d{0,2})$/;

export function hostMask(family: IpFamily, prefixLength: number): bigint {
  return (1n << BigInt(FAMILY_BITS[family] - prefixLength)) - 1n;
}

export function cidrFirst(c: Cidr): bigint {
  return c.network;
}

export function cidrLast(c: Cidr): bigint {
  return c.network | hostMask(c.family, c.prefixLength);
}

export function formatCidr(c: Cidr): string {
  return `${formatIp({ family: c.family, value: c.network })}/${c.prefixLength}`;
}

/** Parses "a.b.c.d/n" or "x::/n". */
export function parseCidr(
  text: string,
): { ok: true; cidr: Cidr; hostBitsMasked: boolean } | { ok: false; detail: string } {
  const slash = text.indexOf("/");
  if (slash < 0) return { ok: false, detail: `"${text}" has no prefix length` };
  const ip = parseIp(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (ip === undefined) return { ok: false, detail: `"${text.slice(0, slash)}" is not an IP` };
  if (!DECIMAL.test(lengthText) || Number(lengthText) > FAMILY_BITS[ip.family]) {
    return { ok: false, detail: `"${lengthText}" is not a prefix length for ${ip.family}` };
  }
  const prefixLength = Number(lengthText);
  const network = ip.value & ~hostMask(ip.family, prefixLength);
  return {
    ok: true,
    cidr: { family: ip.family, network, prefixLength },
    hostBitsMasked: network !== ip.value,
  };
}

/**
 * The minimal list of CIDRs covering [first, last]: at each step take the
 * largest aligned block that starts at `first` and does not pass `last`.
 * At most 2·bits CIDRs, so this is cheap even for a whole /64 range.
 */
export function rangeToCidrs(family: IpFamily, first: bigint, last: bigint): Cidr[] {
  const bits = FAMILY_BITS[family];
  const out: Cidr[] = [];
  let start = first;
  while (start <= last) {
    let size = bits; // host bits of the block
    while (size > 0) {
      const blockMask = (1n << BigInt(size)) - 1n;
      if ((start & blockMask) === 0n && start + blockMask <= last) break;
      size--;
    }
    out.push({ family, network: start, prefixLength: bits - size });
    start += 1n << BigInt(size);
  }
  return out;
}

/** Parses one `addresses` entry: a CIDR or a `start-end` range (whitespace around each side allowed). */
export function parseAddressBlock(text: string): BlockParseResult {
  const dash = text.indexOf("-");
  if (dash < 0) {
    const parsed = parseCidr(text);
    if (!parsed.ok) return { ok: false, error: { kind: "invalid-cidr", detail: parsed.detail } };
    const { cidr } = parsed;
    return {
      ok: true,
      block: {
        text,
        family: cidr.family,
        first: cidrFirst(cidr),
        last: cidrLast(cidr),
        cidrs: [cidr],
        hostBitsMasked: parsed.hostBitsMasked,
      },
    };
  }
  const startText = text.slice(0, dash).trim();
  const endText = text.slice(dash + 1).trim();
  const start = parseIp(startText);
  if (start === undefined) {
    return { ok: false, error: { kind: "invalid-range-start", detail: `"${startText}"` } };
  }
  const end = parseIp(endText);
  if (end === undefined) {
    return { ok: false, error: { kind: "invalid-range-end", detail: `"${endText}"` } };
  }
  if (start.family !== end.family) {
    return {
      ok: false,
      error: { kind: "range-mixed-families", detail: `${start.family} start, ${end.family} end` },
    };
  }
  if (start.value > end.value) {
    return {
      ok: false,
      error: { kind: "range-reversed", detail: `start "${startText}" is after end "${endText}"` },
    };
  }
  return {
    ok: true,
    block: {
      text,
      family: start.family,
      first: start.value,
      last: end.value,
      cidrs: rangeToCidrs(start.family, start.value, end.value),
      hostBitsMasked: false,
    },
  };
}

export function blockSize(block: Pick<AddressBlock, "first" | "last">): bigint {
  return block.last - block.first + 1n;
}

/** Text for the addresses two blocks share, e.g. "10.0.0.5-10.0.0.9" or "10.0.0.5". */
export function formatIntersection(
  family: IpFamily,
  a: Pick<AddressBlock, "first" | "last">,
  b: Pick<AddressBlock, "first" | "last">,
): string | undefined {
  const first = a.first > b.first ? a.first : b.first;
  const last = a.last < b.last ? a.last : b.last;
  if (first > last) return undefined;
  const f = formatIp({ family, value: first });
  return first === last ? f : `${f}-${formatIp({ family, value: last })}`;
}
