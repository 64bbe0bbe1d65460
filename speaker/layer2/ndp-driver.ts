// NDP over a raw ICMPv6 socket (speaker/link): answers Neighbor Solicitations
// for owned IPv6 addresses, joins each owned address's solicited-node group
// (without it the kernel filters the multicast NS before any socket sees it),
// and sends unsolicited Neighbor Advertisements on takeover (RFC 4861 §7.2.6).
import { errorText } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { interfaceInfo, openIcmp6Socket, type Icmp6Socket } from "../link/index.ts";
import type { L2Counters } from "./arp-driver.ts";
import type { L2Driver, Responder } from "./layer2-announcer.ts";
import {
  ALL_NODES,
  answerNeighborSolicitation,
  decodeNeighborSolicitation,
  encodeUnsolicitedNeighborAdvertisement,
  ICMPV6_NEIGHBOR_SOLICITATION,
  solicitedNodeMulticast,
} from "./ndp-codec.ts";

/** Solicited-node groups are shared by addresses with the same last 24 bits: count users. */
class GroupMemberships {
  readonly #counts = new Map<string, number>();
  readonly #socket: Icmp6Socket;

  constructor(socket: Icmp6Socket) {
    this.#socket = socket;
  }

  join(ip: string): void {
    const group = solicitedNodeMulticast(ip);
    const count = this.#counts.get(group) ?? 0;
    if (count === 0) this.#socket.joinGroup(group);
    this.#counts.set(group, count + 1);
  }

  leave(ip: string): void {
    const group = solicitedNodeMulticast(ip);
    const count = this.#counts.get(group) ?? 0;
    if (count <= 1) {
      this.#counts.delete(group);
      if (count === 1) this.#socket.leaveGroup(group);
    } else {
      this.#counts.set(group, count - 1);
    }
  }
}

export function ndpDriver(counters: L2Counters, log: Logger): L2Driver {
  return {
    name: "ndp",
    family: "IPv6",
    open(ifname, owns): Responder {
      const { mac } = interfaceInfo(ifname);
      const socket = openIcmp6Socket(
        ifname,
        [ICMPV6_NEIGHBOR_SOLICITATION],
        (body, info) => {
          const decoded = decodeNeighborSolicitation(body, info.hopLimit, info.source);
          if (!decoded.ok) {
            counters.dropped("ndp", decoded.reason);
            return;
          }
          const target = decoded.message.target;
          if (!owns(target)) return;
          counters.requestReceived(target);
          const reply = answerNeighborSolicitation(info.source, target, mac);
          try {
            // From the owned address itself: ndisc6 (and some routers) ignore an
            // NA whose source is not the target (seen with ndisc6 1.0.5).
            socket.send(reply.destination, reply.body, target);
            counters.responseSent(target);
          } catch (e: unknown) {
            log.warn({ ifname, err: errorText(e) }, "NA not sent");
          }
        },
        (error) => {
          log.warn({ ifname, err: error.message }, "ICMPv6 receive error");
        },
      );
      const groups = new GroupMemberships(socket);
      return {
        ifname,
        mac,
        announce(ip) {
          socket.send(ALL_NODES, encodeUnsolicitedNeighborAdvertisement(ip, mac), ip);
        },
        acquire(ip) {
          groups.join(ip);
        },
        release(ip) {
          groups.leave(ip);
        },
        close() {
          socket.close();
        },
      };
    },
  };
}
