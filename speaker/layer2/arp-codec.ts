// Ethernet II + ARP (RFC 826) for IPv4 over Ethernet: what an AF_PACKET
// socket bound to one interface reads and writes. Pure: no sockets, no
// Kubernetes. Counting drops is the caller's business; decodeArpFrame only
// says why.
//
// 802.1Q / 802.1ad: tagged frames are dropped ("vlan-tagged"), not decoded.
// Seen on this machine (veth, kernel 6.x): the kernel strips the tag before an
// AF_PACKET socket reads the frame. A VLAN 100 who-has read on the parent
// eth0 arrived as a plain 42-byte ARP frame, and the tag only showed in
// PACKET_AUXDATA (tp_status 0x51 = USER | VLAN_VALID | VLAN_TPID_VALID,
// tp_vlan_tci 100). So the bytes alone cannot tell: the socket layer must
// pass the auxdata TCI (`vlanTci`), and decodeArpFrame drops the frame when
// its VLAN ID is not 0. Answering there, untagged, would answer into another
// broadcast domain; announce on the VLAN interface (eth0.100) instead, whose
// socket gets the frames untagged and without a TCI. Priority-tagged frames
// (VID 0) are the untagged LAN and are decoded. A tag still inline (a second,
// inner tag, or a NIC that does not strip) is dropped too.
import {
  IPV4_LENGTH,
  MAC_LENGTH,
  formatIpv4,
  formatMac,
  ipv4ToBytes,
  parseMac,
  readUint16,
  writeBytes,
  writeUint16,
  writeUint8,
} from "./bytes.ts";

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERNET_HEADER_LENGTH = 14;
export const ARP_IPV4_LENGTH = 28;
/** Shortest Ethernet frame without its FCS: shorter frames are padded with zeros. */
export const ETHERNET_MIN_FRAME = 60;
export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";
export const ZERO_MAC = "00:00:00:00:00:00";

const HTYPE_ETHERNET = 1;
const PTYPE_IPV4 = 0x0800;
const OP_REQUEST = 1;
const OP_REPLY = 2;

export type ArpOp = "request" | "reply";

/** One decoded ARP frame. MACs are lower-case `aa:bb:…`, IPs dotted quads. */
export interface ArpFrame {
  /** Ethernet destination. */
  readonly destinationMac: string;
  /** Ethernet source. */
  readonly sourceMac: string;
  readonly op: ArpOp;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

/** Why a received frame was not decoded as an IPv4-over-Ethernet ARP packet. */
export type ArpDropReason =
  /** Shorter than an Ethernet header plus a 28-byte ARP body (padding after it is ignored). */
  | "truncated"
  /** A VLAN ID other than 0 in the auxdata TCI, or an 802.1Q / 802.1ad tag inline (see the file comment). */
  | "vlan-tagged"
  /** EtherType is not 0x0806. */
  | "not-arp"
  /** Hardware type is not 1 (Ethernet). */
  | "bad-hardware-type"
  /** Protocol type is not 0x0800 (IPv4). */
  | "bad-protocol-type"
  /** Hardware length is not 6 or protocol length is not 4. */
  | "bad-address-length"
  /** Operation is neither 1 (request) nor 2 (reply); RARP and InARP land here. */
  | "unknown-op";

export type ArpDecodeResult =
  | { readonly ok: true; readonly frame: ArpFrame }
  | { readonly ok: false; readonly reason: ArpDropReason };

function headerDrop(bytes: Uint8Array): ArpDropReason | undefined {
  if (bytes.length < ETHERNET_HEADER_LENGTH) return "truncated";
  const ethertype = readUint16(bytes, 12);
  if (ethertype === ETHERTYPE_VLAN || ethertype === ETHERTYPE_QINQ) return "vlan-tagged";
  if (ethertype !== ETHERTYPE_ARP) return "not-arp";
  if (bytes.length < ETHERNET_HEADER_LENGTH + ARP_IPV4_LENGTH) return "truncated";
  const a = ETHERNET_HEADER_LENGTH;
  if (readUint16(bytes, a) !== HTYPE_ETHERNET) return "bad-hardware-type";
  if (readUint16(bytes, a + 2) !== PTYPE_IPV4) return "bad-protocol-type";
  if (bytes[a + 4] !== MAC_LENGTH || bytes[a + 5] !== IPV4_LENGTH) return "bad-address-length";
  return undefined;
}

/** What the socket layer knows about a frame beyond its bytes. */
export interface ReceivedFrameInfo {
  /** tp_vlan_tci from PACKET_AUXDATA when tp_status has TP_STATUS_VLAN_VALID; absent otherwise. */
  readonly vlanTci?: number;
}

/** Decodes a received Ethernet frame. Never throws: anything else is a drop reason. */
export function decodeArpFrame(bytes: Uint8Array, info: ReceivedFrameInfo = {}): ArpDecodeResult {
  if (info.vlanTci !== undefined && (info.vlanTci & 0x0fff) !== 0) {
    return { ok: false, reason: "vlan-tagged" };
  }
  const reason = headerDrop(bytes);
  if (reason !== undefined) return { ok: false, reason };
  const a = ETHERNET_HEADER_LENGTH;
  const opCode = readUint16(bytes, a + 6);
  if (opCode !== OP_REQUEST && opCode !== OP_REPLY) return { ok: false, reason: "unknown-op" };
  return {
    ok: true,
    frame: {
      destinationMac: formatMac(bytes, 0),
      sourceMac: formatMac(bytes, 6),
      op: opCode === OP_REQUEST ? "request" : "reply",
      senderMac: formatMac(bytes, a + 8),
      senderIp: formatIpv4(bytes, a + 14),
      targetMac: formatMac(bytes, a + 18),
      targetIp: formatIpv4(bytes, a + 24),
    },
  };
}

/**
 * Encodes any ARP frame, padded with zeros to the 60-byte Ethernet minimum.
 * Throws RangeError for a malformed MAC or IPv4 address.
 */
export function encodeArpFrame(frame: ArpFrame): Uint8Array {
  const out = new Uint8Array(ETHERNET_MIN_FRAME);
  const a = ETHERNET_HEADER_LENGTH;
  writeBytes(out, 0, parseMac(frame.destinationMac), "destination MAC");
  writeBytes(out, 6, parseMac(frame.sourceMac), "source MAC");
  writeUint16(out, 12, ETHERTYPE_ARP, "EtherType");
  writeUint16(out, a, HTYPE_ETHERNET, "hardware type");
  writeUint16(out, a + 2, PTYPE_IPV4, "protocol type");
  writeUint8(out, a + 4, MAC_LENGTH, "hardware length");
  writeUint8(out, a + 5, IPV4_LENGTH, "protocol length");
  writeUint16(out, a + 6, frame.op === "request" ? OP_REQUEST : OP_REPLY, "operation");
  writeBytes(out, a + 8, parseMac(frame.senderMac), "sender MAC");
  writeBytes(out, a + 14, ipv4ToBytes(frame.senderIp), "sender IP");
  writeBytes(out, a + 18, parseMac(frame.targetMac), "target MAC");
  writeBytes(out, a + 24, ipv4ToBytes(frame.targetIp), "target IP");
  return out;
}

/** What the announcer knows when it answers a request for an IP it owns. */
export interface ArpReplyInput {
  /** The MAC of the interface the request came in on (and the reply goes out of). */
  readonly interfaceMac: string;
  /** The owned IP the request asked for (the request's target IP). */
  readonly ownedIp: string;
  /** The decoded request. */
  readonly request: ArpFrame;
}

/**
 * The reply to a who-has for an owned IP, the way the Linux kernel builds it:
 * unicast to the requester's Ethernet source, sender = (interface MAC, owned
 * IP), target = the request's sender.
 */
export function encodeArpReply(input: ArpReplyInput): Uint8Array {
  return encodeArpFrame({
    destinationMac: input.request.sourceMac,
    sourceMac: input.interfaceMac,
    op: "reply",
    senderMac: input.interfaceMac,
    senderIp: input.ownedIp,
    targetMac: input.request.senderMac,
    targetIp: input.request.senderIp,
  });
}

/**
 * A gratuitous ARP in the RFC 5227 §3 announcement form: a broadcast request
 * with sender IP = target IP = `ip`. RFC 5227 says the target MAC is ignored
 * and SHOULD be zero (the default); iputils `arping -U` puts ff:ff:ff:ff:ff:ff
 * there, which `targetMac` reproduces.
 */
export function encodeGratuitousArp(
  interfaceMac: string,
  ip: string,
  targetMac = ZERO_MAC,
): Uint8Array {
  return encodeArpFrame({
    destinationMac: BROADCAST_MAC,
    sourceMac: interfaceMac,
    op: "request",
    senderMac: interfaceMac,
    senderIp: ip,
    targetMac,
    targetIp: ip,
  });
}

export type ArpAnswer =
  /** An owned IP was asked for: send `frame`. */
  | { readonly kind: "reply"; readonly ip: string; readonly frame: Uint8Array }
  /** A well-formed frame that needs no answer (a reply, someone else's IP, unicast to another host). */
  | { readonly kind: "ignored" }
  /** Not a well-formed ARP frame: decodeArpFrame says why. */
  | { readonly kind: "malformed" };

function isBroadcastOrOurs(bytes: Uint8Array, mac: Uint8Array): boolean {
  let broadcast = true;
  let ours = true;
  for (let i = 0; i < MAC_LENGTH; i++) {
    const b = bytes[i];
    broadcast &&= b === 0xff;
    ours &&= b === mac[i];
  }
  return broadcast || ours;
}

function wellFormedArp(bytes: Uint8Array): boolean {
  const a = ETHERNET_HEADER_LENGTH;
  return (
    bytes.length >= a + ARP_IPV4_LENGTH &&
    readUint16(bytes, 12) === ETHERTYPE_ARP &&
    readUint16(bytes, a) === HTYPE_ETHERNET &&
    readUint16(bytes, a + 2) === PTYPE_IPV4 &&
    bytes[a + 4] === MAC_LENGTH &&
    bytes[a + 5] === IPV4_LENGTH
  );
}

/**
 * The speaker's hot path under an ARP flood: the same decision and the same
 * reply bytes as decodeArpFrame + encodeArpReply (a property test holds them
 * equal), without building strings for every field — about 30× cheaper per
 * frame (ADR 0007). Only the target IP becomes text, to ask `owns`.
 */
export function answerArpRequest(
  bytes: Uint8Array,
  interfaceMac: Uint8Array,
  owns: (ip: string) => boolean,
  info: ReceivedFrameInfo = {},
): ArpAnswer {
  if (info.vlanTci !== undefined && (info.vlanTci & 0x0fff) !== 0) return { kind: "malformed" };
  if (!wellFormedArp(bytes)) return { kind: "malformed" };
  const a = ETHERNET_HEADER_LENGTH;
  const op = readUint16(bytes, a + 6);
  if (op !== OP_REQUEST) return op === OP_REPLY ? { kind: "ignored" } : { kind: "malformed" };
  if (!isBroadcastOrOurs(bytes, interfaceMac)) return { kind: "ignored" };
  const ip = `${String(bytes[a + 24])}.${String(bytes[a + 25])}.${String(bytes[a + 26])}.${String(bytes[a + 27])}`;
  if (!owns(ip)) return { kind: "ignored" };
  const reply = new Uint8Array(ETHERNET_MIN_FRAME);
  reply.set(bytes.subarray(6, 12), 0); // to the requester's Ethernet source
  reply.set(interfaceMac, 6);
  reply.set(bytes.subarray(12, a + 6), 12); // EtherType, htype, ptype, hlen, plen
  writeUint16(reply, a + 6, OP_REPLY, "operation");
  reply.set(interfaceMac, a + 8); // sender = (our MAC, the owned IP)
  reply.set(bytes.subarray(a + 24, a + 28), a + 14);
  reply.set(bytes.subarray(a + 8, a + 18), a + 18); // target = the requester's sender MAC and IP
  return { kind: "reply", ip, frame: reply };
}
