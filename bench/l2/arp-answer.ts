// The ARP side of a failover probe: the who-has the client broadcasts, which
// received frame is an answer to it (and from which MAC), and the line the
// probe prints per answer. Pure, so the probe script (arp-probe.ts) stays
// thin and this is tested without a socket.
import {
  BROADCAST_MAC,
  decodeArpFrame,
  encodeArpFrame,
  ZERO_MAC,
} from "../../speaker/layer2/arp-codec.ts";
import type { Answer } from "./answer-log.ts";

/** A broadcast who-has for `vip` from the prober (RFC 826 request, RFC 5227 §1.1 terms). */
export function whoHas(proberMac: string, proberIp: string, vip: string): Uint8Array {
  return encodeArpFrame({
    destinationMac: BROADCAST_MAC,
    sourceMac: proberMac,
    op: "request",
    senderMac: proberMac,
    senderIp: proberIp,
    targetMac: ZERO_MAC,
    targetIp: vip,
  });
}

/**
 * The MAC that answered the prober's who-has for `vip`: an ARP reply whose
 * sender IP is the VIP and whose target IP is the prober's (RFC 826: a reply
 * is addressed to the requester). Anything else is undefined: requests,
 * gratuitous announcements (target IP = the VIP itself), other traffic.
 */
export function arpAnswerMac(bytes: Uint8Array, vip: string, proberIp: string): string | undefined {
  const decoded = decodeArpFrame(bytes);
  if (!decoded.ok) return undefined;
  const f = decoded.frame;
  return f.op === "reply" && f.senderIp === vip && f.targetIp === proberIp
    ? f.senderMac
    : undefined;
}

/** The probe's output line for one answer: {"at": ms since the epoch, "mac": …}. */
export function answerLine(at: number, mac: string): string {
  return `${JSON.stringify({ at, mac })}\n`;
}

/**
 * Reads one probe line back as an answer from the node whose MAC answered;
 * a MAC no lab node has is kept as the node's name, so a stray responder
 * still shows (as "another node") instead of vanishing.
 */
export function parseAnswerLine(
  line: string,
  nodeOfMac: ReadonlyMap<string, string>,
): Answer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { at, mac } = parsed as { at?: unknown; mac?: unknown };
  if (typeof at !== "number" || typeof mac !== "string") return undefined;
  return { at, node: nodeOfMac.get(mac.toLowerCase()) ?? mac };
}
