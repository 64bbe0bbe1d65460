// ICMPv6 Neighbor Solicitation / Advertisement (RFC 4861 §4.3, §4.4, options
// §4.6.1) as a raw ICMPv6 socket delivers and sends them: the ICMPv6 message
// only, starting at the type byte. The IPv6 header is the socket's business;
// the hop limit comes from IPV6_RECVHOPLIMIT ancillary data. Pure: no sockets,
// no Kubernetes. Counting drops is the caller's business.
import {
  IPV6_LENGTH,
  MAC_LENGTH,
  formatIpv6,
  formatMac,
  ipv6ToBytes,
  parseMac,
  writeBytes,
  writeUint16,
  writeUint32,
  writeUint8,
} from "./bytes.ts";
import { parseIp } from "../../core/net/ip-address-text.ts";

export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
/** RFC 4861 §7.1.1/§7.1.2: NDP messages must arrive with hop limit 255 (not forwarded). */
export const NDP_HOP_LIMIT = 255;
/** Fixed part of an NS or NA: type, code, checksum, 4 bytes of flags/reserved, target. */
export const NDP_FIXED_LENGTH = 24;
export const ALL_NODES = "ff02::1";
const IPPROTO_ICMPV6 = 58;
const OPTION_SOURCE_LINK_LAYER = 1;
const OPTION_TARGET_LINK_LAYER = 2;
const FLAG_ROUTER = 0x80000000;
const FLAG_SOLICITED = 0x40000000;
const FLAG_OVERRIDE = 0x20000000;

/** Why a received ICMPv6 message was not accepted as an NS (or NA). */
export type NdpDropReason =
  /** Type byte is not the one asked for (135 for NS, 136 for NA), or the message is empty. */
  | "wrong-type"
  /** Hop limit is not 255: the message was forwarded by a router (RFC 4861 §7.1.1). */
  | "bad-hop-limit"
  /** ICMPv6 code is not 0. */
  | "bad-code"
  /** Shorter than the 24-byte fixed part. */
  | "truncated"
  /** Target address is multicast (ff00::/8). */
  | "multicast-target"
  /** An option with length 0 (RFC 4861 §4.6: "Nodes MUST silently discard"). */
  | "zero-length-option"
  /** An option header or body runs past the end of the message. */
  | "truncated-option"
  /** Source link-layer address option while the IP source is :: (a DAD probe must not carry one). */
  | "link-layer-option-from-unspecified";

export interface NeighborSolicitation {
  readonly target: string;
  /** From the source link-layer address option, if present. */
  readonly sourceLinkLayerAddress?: string;
}

export interface NeighborAdvertisement {
  readonly target: string;
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  /** From the target link-layer address option, if present. */
  readonly targetLinkLayerAddress?: string;
}

export type NdpDecodeResult<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly reason: NdpDropReason };

/** IPv6 source and destination, for the checksum's pseudo-header. */
export interface Ipv6Addresses {
  readonly source: string;
  readonly destination: string;
}

interface LinkLayerOptions {
  source?: string;
  target?: string;
}

function fixedPartDrop(
  body: Uint8Array,
  hopLimit: number,
  type: number,
): NdpDropReason | undefined {
  if (body[0] !== type) return "wrong-type";
  if (hopLimit !== NDP_HOP_LIMIT) return "bad-hop-limit";
  if (body[1] !== 0) return "bad-code";
  if (body.length < NDP_FIXED_LENGTH) return "truncated";
  if (body[8] === 0xff) return "multicast-target";
  return undefined;
}

function recordOption(
  body: Uint8Array,
  offset: number,
  length: number,
  found: LinkLayerOptions,
): void {
  // Ethernet link-layer addresses: the first 6 bytes of the option data (RFC 2464 §6).
  if (length < 2 + MAC_LENGTH) return;
  const type = body[offset];
  if (type === OPTION_SOURCE_LINK_LAYER) found.source ??= formatMac(body, offset + 2);
  if (type === OPTION_TARGET_LINK_LAYER) found.target ??= formatMac(body, offset + 2);
}

/** Walks the TLV options after the fixed part; unknown options are skipped (RFC 4861 §4.6). */
function parseOptions(body: Uint8Array): LinkLayerOptions | NdpDropReason {
  const found: LinkLayerOptions = {};
  let offset = NDP_FIXED_LENGTH;
  while (offset < body.length) {
    if (offset + 2 > body.length) return "truncated-option";
    const length = (body[offset + 1] ?? 0) * 8;
    if (length === 0) return "zero-length-option";
    if (offset + length > body.length) return "truncated-option";
    recordOption(body, offset, length, found);
    offset += length;
  }
  return found;
}

function isUnspecified(address: string | undefined): boolean {
  if (address === undefined) return false;
  const ip = parseIp(address);
  return ip?.family === "IPv6" && ip.value === 0n;
}

/**
 * Decodes an NS message body. `source`, when given, is the IPv6 source of the
 * packet: an NS from :: (duplicate address detection) must not carry a source
 * link-layer address option (RFC 4861 §7.1.1). Never throws for any bytes.
 */
export function decodeNeighborSolicitation(
  body: Uint8Array,
  hopLimit: number,
  source?: string,
): NdpDecodeResult<NeighborSolicitation> {
  const reason = fixedPartDrop(body, hopLimit, ICMPV6_NEIGHBOR_SOLICITATION);
  if (reason !== undefined) return { ok: false, reason };
  const options = parseOptions(body);
  if (typeof options === "string") return { ok: false, reason: options };
  if (options.source !== undefined && isUnspecified(source)) {
    return { ok: false, reason: "link-layer-option-from-unspecified" };
  }
  const target = formatIpv6(body, 8);
  return {
    ok: true,
    message:
      options.source === undefined
        ? { target }
        : { target, sourceLinkLayerAddress: options.source },
  };
}

/** Decodes an NA message body (to notice another host answering for an owned IP). Never throws. */
export function decodeNeighborAdvertisement(
  body: Uint8Array,
  hopLimit: number,
): NdpDecodeResult<NeighborAdvertisement> {
  const reason = fixedPartDrop(body, hopLimit, ICMPV6_NEIGHBOR_ADVERTISEMENT);
  if (reason !== undefined) return { ok: false, reason };
  const options = parseOptions(body);
  if (typeof options === "string") return { ok: false, reason: options };
  const flags = body[4] ?? 0;
  const fixed = {
    target: formatIpv6(body, 8),
    router: (flags & 0x80) !== 0,
    solicited: (flags & 0x40) !== 0,
    override: (flags & 0x20) !== 0,
  };
  return {
    ok: true,
    message:
      options.target === undefined ? fixed : { ...fixed, targetLinkLayerAddress: options.target },
  };
}

function encodeNdp(
  type: number,
  flags: number,
  target: string,
  option?: [number, string],
): Uint8Array {
  const out = new Uint8Array(NDP_FIXED_LENGTH + (option === undefined ? 0 : 8));
  writeUint8(out, 0, type, "ICMPv6 type");
  writeUint8(out, 1, 0, "ICMPv6 code");
  writeUint32(out, 4, flags, "NDP flags");
  const targetBytes = ipv6ToBytes(target);
  if (targetBytes[0] === 0xff) throw new RangeError(`NDP target must not be multicast: ${target}`);
  writeBytes(out, 8, targetBytes, "target address");
  if (option !== undefined) {
    writeUint8(out, NDP_FIXED_LENGTH, option[0], "option type");
    writeUint8(out, NDP_FIXED_LENGTH + 1, 1, "option length");
    writeBytes(out, NDP_FIXED_LENGTH + 2, parseMac(option[1]), "link-layer address");
  }
  return out;
}

function withChecksum(body: Uint8Array, addresses: Ipv6Addresses | undefined): Uint8Array {
  if (addresses !== undefined) {
    writeUint16(body, 2, icmpv6Checksum(addresses.source, addresses.destination, body), "checksum");
  }
  return body;
}

/**
 * Encodes an NA. The checksum is left 0 unless `addresses` is given: a raw
 * ICMPv6 socket has the kernel fill it (RFC 3542 §3.1); an AF_PACKET sender
 * must pass the addresses it puts in the IPv6 header.
 */
export function encodeNeighborAdvertisement(
  na: Omit<NeighborAdvertisement, "router"> & { readonly router?: boolean },
  addresses?: Ipv6Addresses,
): Uint8Array {
  const flags =
    (na.router === true ? FLAG_ROUTER : 0) |
    (na.solicited ? FLAG_SOLICITED : 0) |
    (na.override ? FLAG_OVERRIDE : 0);
  const option: [number, string] | undefined =
    na.targetLinkLayerAddress === undefined
      ? undefined
      : [OPTION_TARGET_LINK_LAYER, na.targetLinkLayerAddress];
  return withChecksum(
    encodeNdp(ICMPV6_NEIGHBOR_ADVERTISEMENT, flags >>> 0, na.target, option),
    addresses,
  );
}

/** Encodes an NS (for probes and tests). Checksum as for encodeNeighborAdvertisement. */
export function encodeNeighborSolicitation(
  ns: NeighborSolicitation,
  addresses?: Ipv6Addresses,
): Uint8Array {
  const option: [number, string] | undefined =
    ns.sourceLinkLayerAddress === undefined
      ? undefined
      : [OPTION_SOURCE_LINK_LAYER, ns.sourceLinkLayerAddress];
  return withChecksum(encodeNdp(ICMPV6_NEIGHBOR_SOLICITATION, 0, ns.target, option), addresses);
}

/** Where and how to answer an NS for an owned target (RFC 4861 §7.2.4). */
export interface NeighborAdvertisementReply {
  /** IPv6 destination of the NA. */
  readonly destination: string;
  /** The NA message body (checksum 0: the raw ICMPv6 socket fills it). */
  readonly body: Uint8Array;
}

/**
 * The answer to an NS from `nsSource` for an owned `target`: unicast to the
 * soliciting node with Solicited set, or, if it came from :: (DAD), to
 * all-nodes with Solicited clear. Override is set: the target is not anycast.
 */
export function answerNeighborSolicitation(
  nsSource: string,
  target: string,
  interfaceMac: string,
): NeighborAdvertisementReply {
  const fromUnspecified = isUnspecified(nsSource);
  return {
    destination: fromUnspecified ? ALL_NODES : nsSource,
    body: encodeNeighborAdvertisement({
      target,
      solicited: !fromUnspecified,
      override: true,
      targetLinkLayerAddress: interfaceMac,
    }),
  };
}

/** Unsolicited NA for a takeover (RFC 4861 §7.2.6): to all-nodes, Override set, Solicited clear. */
export function encodeUnsolicitedNeighborAdvertisement(
  target: string,
  interfaceMac: string,
  source?: string,
): Uint8Array {
  const na = { target, solicited: false, override: true, targetLinkLayerAddress: interfaceMac };
  return encodeNeighborAdvertisement(
    na,
    source === undefined ? undefined : { source, destination: ALL_NODES },
  );
}

function sum16(bytes: Uint8Array, initial: number): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  }
  return sum;
}

/**
 * The ICMPv6 checksum (RFC 4443 §2.3): ones' complement of the ones'
 * complement sum of the pseudo-header (source, destination, upper-layer
 * length, next header 58) and the message. Compute it over a body whose
 * checksum field is 0; over a received body with its checksum in place it
 * returns 0 when the checksum is right.
 */
export function icmpv6Checksum(source: string, destination: string, body: Uint8Array): number {
  const pseudo = new Uint8Array(2 * IPV6_LENGTH + 8);
  pseudo.set(ipv6ToBytes(source), 0);
  pseudo.set(ipv6ToBytes(destination), IPV6_LENGTH);
  writeUint32(pseudo, 2 * IPV6_LENGTH, body.length, "upper-layer length");
  writeUint8(pseudo, 2 * IPV6_LENGTH + 7, IPPROTO_ICMPV6, "next header");
  let sum = sum16(body, sum16(pseudo, 0));
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The solicited-node multicast address of `ipv6` (RFC 4291 §2.7.1): ff02::1:ffXX:XXXX. */
export function solicitedNodeMulticast(ipv6: string): string {
  const bytes = ipv6ToBytes(ipv6);
  const out = ipv6ToBytes("ff02::1:ff00:0");
  out.set(bytes.subarray(13), 13);
  return formatIpv6(out);
}

/** The Ethernet MAC of an IPv6 multicast address (RFC 2464 §7): 33:33 and its last 4 bytes. */
export function ipv6MulticastMac(multicast: string): string {
  const bytes = ipv6ToBytes(multicast);
  if (bytes[0] !== 0xff) throw new RangeError(`not an IPv6 multicast address: ${multicast}`);
  const mac = new Uint8Array(MAC_LENGTH);
  mac[0] = 0x33;
  mac[1] = 0x33;
  mac.set(bytes.subarray(12), 2);
  return formatMac(mac);
}

/** The Ethernet MAC an NS for `ipv6` is sent to: that of its solicited-node multicast group. */
export function solicitedNodeMulticastMac(ipv6: string): string {
  return ipv6MulticastMac(solicitedNodeMulticast(ipv6));
}
