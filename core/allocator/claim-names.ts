// IPAddressClaim names are derived from the IP, so "is this IP taken?" is a
// question the API server answers by name (AlreadyExists). Names must be DNS
// subdomains (RFC 1123): IPv4 keeps its dots; IPv6 is written as its eight
// zero-padded groups joined by "-", which cannot start or end with "-".
import { Address6 } from "ip-address";
import { formatIp, parseIp, type IpAddress } from "../net/ip-address-text.ts";

export function claimName(ip: IpAddress): string {
  if (ip.family === "IPv4") return `ipv4-${formatIp(ip)}`;
  return `ipv6-${Address6.fromBigInt(ip.value).canonicalForm().replaceAll(":", "-")}`;
}

/** The IP a claim name stands for, or undefined for names we did not make. */
export function ipOfClaimName(name: string): IpAddress | undefined {
  if (name.startsWith("ipv4-")) {
    const ip = parseIp(name.slice(5));
    return ip?.family === "IPv4" && claimName(ip) === name ? ip : undefined;
  }
  if (name.startsWith("ipv6-")) {
    const ip = parseIp(name.slice(5).replaceAll("-", ":"));
    return ip?.family === "IPv6" && claimName(ip) === name ? ip : undefined;
  }
  return undefined;
}
