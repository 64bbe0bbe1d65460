// ARP over an AF_PACKET socket (speaker/link): answers who-has for owned IPv4
// addresses on the interface the request came in on, and sends gratuitous
// ARP on takeover. Hostile or malformed frames are counted and dropped by the
// codec; nothing a peer sends can throw out of here.
import { errorText } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { openPacketSocket, type ReceivedFrame } from "../link/index.ts";
import {
  answerArpRequest,
  BROADCAST_MAC,
  decodeArpFrame,
  encodeArpFrame,
  encodeGratuitousArp,
} from "./arp-codec.ts";
import { parseMac } from "./bytes.ts";
import type { L2Driver, Responder } from "./layer2-announcer.ts";

/** Where the drivers report what they saw (metrics). */
export interface L2Counters {
  requestReceived(ip: string): void;
  responseSent(ip: string): void;
  dropped(protocol: "arp" | "ndp", reason: string): void;
}

/** One received frame: the fast byte-level answer; a malformed one is classified by the codec for the drop counter. */
function answer(
  frame: ReceivedFrame,
  mac: Uint8Array,
  owns: (ip: string) => boolean,
  counters: L2Counters,
): { ip: string; frame: Uint8Array } | undefined {
  const info = frame.vlanTci === undefined ? {} : { vlanTci: frame.vlanTci };
  const result = answerArpRequest(frame.frame, mac, owns, info);
  if (result.kind === "malformed") {
    const decoded = decodeArpFrame(frame.frame, info);
    counters.dropped("arp", decoded.ok ? "unknown-op" : decoded.reason);
    return undefined;
  }
  if (result.kind === "ignored") return undefined;
  counters.requestReceived(result.ip);
  return result;
}

export function arpDriver(counters: L2Counters, log: Logger): L2Driver {
  return {
    name: "arp",
    family: "IPv4",
    open(ifname, owns): Responder {
      let macBytes: Uint8Array = new Uint8Array(6);
      const socket = openPacketSocket(
        ifname,
        (frames) => {
          for (const frame of frames) {
            const reply = answer(frame, macBytes, owns, counters);
            if (reply === undefined) continue;
            try {
              socket.send(reply.frame);
              counters.responseSent(reply.ip);
            } catch (e: unknown) {
              log.warn({ ifname, err: errorText(e) }, "ARP reply not sent");
            }
          }
        },
        (error) => {
          log.warn({ ifname, err: error.message }, "ARP receive error");
        },
      );
      const mac = socket.mac;
      macBytes = parseMac(mac);
      return {
        ifname,
        mac,
        announce(ip) {
          // Both forms, as MetalLB sends them: some hosts only learn from a
          // request (RFC 5227 §3 announcement), some only from a reply.
          socket.send(encodeGratuitousArp(mac, ip, BROADCAST_MAC));
          socket.send(
            encodeArpFrame({
              destinationMac: BROADCAST_MAC,
              sourceMac: mac,
              op: "reply",
              senderMac: mac,
              senderIp: ip,
              targetMac: BROADCAST_MAC,
              targetIp: ip,
            }),
          );
        },
        acquire: () => undefined,
        release: () => undefined,
        close() {
          socket.close();
        },
      };
    },
  };
}
