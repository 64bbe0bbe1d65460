// A raw ICMPv6 socket on one interface for NDP (RFC 4861): receives only the
// ICMPv6 types asked for, each with the hop limit, source and destination of
// its IPv6 header, and sends with hop limit 255 (the kernel fills the
// checksum). The hop-limit check itself (RFC 4861 §7.1.1) is the codec's:
// decodeNeighborSolicitation(body, hopLimit, source) in speaker/layer2.
import { MetallbError } from "../../core/errors.ts";
import {
  linkAddon,
  linkError,
  type LinkErrorHandler,
  type NativeIcmp6Message,
  type NativeIcmp6Socket,
} from "./link-addon.ts";

/** What the IPv6 header of a received message said. */
export interface Icmp6MessageInfo {
  /** From IPV6_HOPLIMIT ancillary data; -1 if the kernel gave none (the codec then drops it). */
  readonly hopLimit: number;
  /** IPv6 source, without a zone (the socket's interface is the zone). */
  readonly source: string;
  /** IPv6 destination from IPV6_PKTINFO: a solicited-node group for a multicast NS. */
  readonly destination: string;
}

export type Icmp6MessageHandler = (body: Uint8Array, info: Icmp6MessageInfo) => void;

export class Icmp6Socket {
  readonly ifname: string;
  readonly ifindex: number;
  readonly #native: NativeIcmp6Socket;

  constructor(native: NativeIcmp6Socket) {
    this.#native = native;
    this.ifname = native.ifname;
    this.ifindex = native.ifindex;
  }

  get isOpen(): boolean {
    return this.#native.isOpen;
  }

  /**
   * Sends one ICMPv6 message (type byte first, checksum 0) to `destination`
   * (link-local and multicast destinations are scoped to the socket's
   * interface; a `%zone` suffix is ignored). Hop limit 255. Without `source`
   * the kernel picks the source address: the interface's link-local one
   * toward link-local and multicast destinations, as MetalLB's NAs have.
   * `source` (IPV6_PKTINFO; the socket has IPV6_FREEBIND, so an address the
   * host does not have, such as the VIP, is allowed) sets it.
   */
  send(destination: string, body: Uint8Array, source?: string): void {
    try {
      this.#native.send(destination, body, source);
    } catch (e: unknown) {
      throw linkError("LINK_SEND_FAILED", `cannot send ICMPv6 on ${this.ifname}`, e);
    }
  }

  /**
   * Joins a multicast group on the interface (IPV6_JOIN_GROUP), e.g. the
   * solicited-node group of an owned address: without it a multicast NS for
   * an address the kernel does not own is filtered before any socket sees it.
   * Joining twice is an error (EADDRINUSE).
   */
  joinGroup(group: string): void {
    try {
      this.#native.joinGroup(group);
    } catch (e: unknown) {
      throw linkError("LINK_GROUP_FAILED", `cannot join ${group} on ${this.ifname}`, e);
    }
  }

  /** Leaves a group joined with joinGroup. Leaving one not joined is an error. */
  leaveGroup(group: string): void {
    try {
      this.#native.leaveGroup(group);
    } catch (e: unknown) {
      throw linkError("LINK_GROUP_FAILED", `cannot leave ${group} on ${this.ifname}`, e);
    }
  }

  /** Stops receiving and closes the socket (which leaves its groups). Idempotent. */
  close(): void {
    this.#native.close();
  }
}

/**
 * Opens an ICMPv6 socket on `ifname` passing only `types` (e.g. [135] for
 * Neighbor Solicitations). Needs CAP_NET_RAW. Throws MetallbError
 * LINK_OPEN_FAILED naming the interface and the errno.
 */
export function openIcmp6Socket(
  ifname: string,
  types: readonly number[],
  onMessage: Icmp6MessageHandler,
  onError: LinkErrorHandler,
): Icmp6Socket {
  let socket: Icmp6Socket | undefined;
  const handle = (error: Error | null, messages: NativeIcmp6Message[]): void => {
    if (error !== null) {
      onError(new MetallbError("LINK_RECEIVE_FAILED", error.message, { cause: error }));
    }
    for (const m of messages) {
      if (socket?.isOpen === false) return; // closed by an earlier message's handler
      onMessage(m.body, { hopLimit: m.hopLimit, source: m.source, destination: m.destination });
    }
  };
  try {
    socket = new Icmp6Socket(new (linkAddon().Icmp6Socket)(ifname, types, handle));
    return socket;
  } catch (e: unknown) {
    if (e instanceof MetallbError) throw e;
    throw linkError("LINK_OPEN_FAILED", `cannot open an ICMPv6 socket on ${ifname}`, e);
  }
}
