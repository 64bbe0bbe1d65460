// An AF_PACKET socket on one interface that reads and writes ARP frames
// (EtherType 0x0806), for the Layer 2 announcer. Frames are whole Ethernet
// frames as speaker/layer2/arp-codec.ts decodes and encodes them; frames the
// host itself sent (PACKET_OUTGOING) are not delivered.
import { MetallbError } from "../../core/errors.ts";
import {
  linkAddon,
  linkError,
  type LinkErrorHandler,
  type NativeFrame,
  type NativePacketSocket,
} from "./link-addon.ts";

export interface ReceivedFrame {
  /** The whole Ethernet frame, header included (a copy: it may be kept). */
  readonly frame: Uint8Array;
  /** tp_vlan_tci when the kernel stripped an 802.1Q tag (pass to decodeArpFrame's `vlanTci`). */
  readonly vlanTci?: number;
}

/** Gets every batch of frames read in one readable event (at most 64). */
export type FramesHandler = (frames: readonly ReceivedFrame[]) => void;

export class PacketSocket {
  readonly ifname: string;
  readonly ifindex: number;
  /** The interface's MAC, lower-case `aa:bb:cc:dd:ee:ff`, read at open. */
  readonly mac: string;
  readonly #native: NativePacketSocket;

  constructor(native: NativePacketSocket) {
    this.#native = native;
    this.ifname = native.ifname;
    this.ifindex = native.ifindex;
    this.mac = native.mac;
  }

  get isOpen(): boolean {
    return this.#native.isOpen;
  }

  /** Sends one whole Ethernet frame (14 to 1514 bytes) out of the interface. */
  send(frame: Uint8Array): void {
    try {
      this.#native.send(frame);
    } catch (e: unknown) {
      throw linkError("LINK_SEND_FAILED", `cannot send a frame on ${this.ifname}`, e);
    }
  }

  /** Stops receiving and closes the socket. Idempotent. */
  close(): void {
    this.#native.close();
  }
}

/**
 * Opens the ARP socket on `ifname` (needs CAP_NET_RAW). Throws MetallbError
 * LINK_OPEN_FAILED naming the interface and the errno (ENODEV: no such
 * interface; EPERM: no privilege).
 */
export function openPacketSocket(
  ifname: string,
  onFrames: FramesHandler,
  onError: LinkErrorHandler,
): PacketSocket {
  const handle = (error: Error | null, frames: NativeFrame[]): void => {
    if (error !== null) {
      onError(new MetallbError("LINK_RECEIVE_FAILED", error.message, { cause: error }));
    }
    if (frames.length > 0) onFrames(frames);
  };
  try {
    return new PacketSocket(new (linkAddon().PacketSocket)(ifname, handle));
  } catch (e: unknown) {
    if (e instanceof MetallbError) throw e;
    throw linkError("LINK_OPEN_FAILED", `cannot open an ARP socket on ${ifname}`, e);
  }
}
