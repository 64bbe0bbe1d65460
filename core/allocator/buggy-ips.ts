// avoidBuggyIPs arithmetic (metallb-reference §2.10): IPv4 addresses whose
// last octet is 0 or 255 confuse the smurf protection of some CPE firmware,
// so a pool with the flag neither hands them out nor counts them.
//
// The "good" addresses (last octet 1..254) are numbered densely: good index
// i ↔ address (i ÷ 254)·256 + i mod 254 + 1. A set of used addresses kept in
// that numbering finds the first usable address of an avoidBuggyIPs pool in
// one O(log n) search, instead of stepping over .255/.0 pairs one by one.
import type { IpAddress } from "../net/ip-address-text.ts";

const OCTET = 256n;
const GOOD_PER_24 = 254n;

/** An IPv4 address ending in .0 or .255 (never true for IPv6). */
export function isBuggy(ip: IpAddress): boolean {
  if (ip.family !== "IPv4") return false;
  const last = ip.value % OCTET;
  return last === 0n || last === 255n;
}

/** How many good addresses are ≤ v (v ≥ -1). */
function goodUpTo(v: bigint): bigint {
  if (v < 0n) return 0n;
  const low = v % OCTET;
  return (v / OCTET) * GOOD_PER_24 + (low < GOOD_PER_24 ? low : GOOD_PER_24);
}

/** Good IPv4 addresses in [first, last]. */
export function countGood(first: bigint, last: bigint): bigint {
  return last < first ? 0n : goodUpTo(last) - goodUpTo(first - 1n);
}

/** The dense index of a good address (the caller has checked it is good). */
export function toGoodIndex(v: bigint): bigint {
  return goodUpTo(v) - 1n;
}

export function fromGoodIndex(i: bigint): bigint {
  return (i / GOOD_PER_24) * OCTET + (i % GOOD_PER_24) + 1n;
}

/** The good indexes of [first, last], or undefined when it holds no good address. */
export function goodIndexRange(
  first: bigint,
  last: bigint,
): { readonly first: bigint; readonly last: bigint } | undefined {
  const lo = goodUpTo(first - 1n);
  const hi = goodUpTo(last) - 1n;
  return lo <= hi ? { first: lo, last: hi } : undefined;
}
