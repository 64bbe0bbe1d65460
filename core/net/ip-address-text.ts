// Parsing and printing single IP addresses as (family, bigint) pairs. Every
// other address computation in the project works on bigints, so a /64 pool is
// as cheap to reason about as a /24.
import { Address6 } from "ip-address";

export type IpFamily = "IPv4" | "IPv6";

export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

export const FAMILY_BITS: Readonly<Record<IpFamily, number>> = { IPv4: 32, IPv6: 128 };

// Go's net.ParseIP (what MetalLB uses) rejects IPv4 octets with leading zeros
// since Go 1.17 (CVE-2021-29923: "010" means 8 to some parsers, 10 to others).
const IPV4_STRICT = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * IPv4 by hand: the reconciler parses and prints an address several times per
 * Service, and ip-address's Address4 (hex strings, then a bigint) was 4 % of
 * its CPU in a 10,000-Service cold start (BENCHMARKS.md, reconciler).
 */
function ipv4Value(text: string): bigint {
  let value = 0;
  for (const octet of text.split(".")) value = value * 256 + Number(octet);
  return BigInt(value);
}

function ipv4Text(value: bigint): string {
  const n = Number(value);
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** Parses one address, or returns undefined. Zones (`fe80::1%eth0`) are not addresses of a pool. */
export function parseIp(text: string): IpAddress | undefined {
  if (IPV4_STRICT.test(text)) return { family: "IPv4", value: ipv4Value(text) };
  if (!text.includes(":") || text.includes("%") || text.includes("/")) return undefined;
  if (!Address6.isValid(text)) return undefined;
  return { family: "IPv6", value: new Address6(text).bigInt() };
}

/** Canonical text: dotted quad, or RFC 5952 for IPv6. */
export function formatIp(ip: IpAddress): string {
  return ip.family === "IPv4" ? ipv4Text(ip.value) : Address6.fromBigInt(ip.value).correctForm();
}
