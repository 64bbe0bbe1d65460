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
