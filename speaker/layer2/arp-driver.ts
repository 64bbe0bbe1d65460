// ARP over an AF_PACKET socket (speaker/link): answers who-has for owned IPv4
// addresses on the interface the request came in on, and sends gratuitous
// ARP on takeover. Hostile or malformed frames are counted and dropped by the
// codec; nothing a peer sends can throw out of here.
import { errorText } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { openPacketSocket, type ReceivedFrame } from "../link/index.ts";
import {
  BROADCAST_MAC,
  decodeArpFrame,
  encodeArpFrame,
  encodeArpReply,
  encodeGratuitousArp,
} from "./arp-codec.ts";
import type { L2Driver, Responder } from "./layer2-announcer.ts";

/** Where the drivers report what they saw (metrics). */
export interface L2Counters {
  requestReceived(ip: string): void;
  responseSent(ip: string): void;
  dropped(protocol: "arp" | "ndp", reason: string): void;
}

function answer(
  frame: ReceivedFrame,
  mac: string,
  owns: (ip: string) => boolean,
  counters: L2Counters,
): Uint8Array | undefined {
  const decoded = decodeArpFrame(
    frame.frame,
    frame.vlanTci === undefined ? {} : { vlanTci: frame.vlanTci },
  );
  if (!decoded.ok) {
    counters.dropped("arp", decoded.reason);
    return undefined;
  }
  const request = decoded.frame;
  // MetalLB's filter (metallb-reference §4.4): requests only, sent to
  // broadcast or to us; replies and others' unicast probes are not ours.
  if (request.op !== "request") return undefined;
  if (request.destinationMac !== BROADCAST_MAC && request.destinationMac !== mac) return undefined;
  if (!owns(request.targetIp)) return undefined;
  counters.requestReceived(request.targetIp);
  return encodeArpReply({ interfaceMac: mac, ownedIp: request.targetIp, request });
}

export function arpDriver(counters: L2Counters, log: Logger): L2Driver {
  return {
    name: "arp",
    family: "IPv4",
    open(ifname, owns): Responder {
      let mac = "";
      const socket = openPacketSocket(
        ifname,
        (frames) => {
          for (const frame of frames) {
            const reply = answer(frame, mac, owns, counters);
            if (reply === undefined) continue;
            try {
              socket.send(reply);
              counters.responseSent(decodeTarget(reply));
            } catch (e: unknown) {
              log.warn({ ifname, err: errorText(e) }, "ARP reply not sent");
            }
          }
        },
        (error) => {
          log.warn({ ifname, err: error.message }, "ARP receive error");
        },
      );
      mac = socket.mac;
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

/** The owned IP a reply we built answers for (its sender IP). */
function decodeTarget(reply: Uint8Array): string {
  return Array.from(reply.subarray(28, 32)).join(".");
}
