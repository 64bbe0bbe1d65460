// What two OPENs agree on (RFC 4271 §4.2 hold time, RFC 5492 capabilities):
// pure input for the session FSM that comes next.

import type { AfiSafi, Capability } from "./capabilities.ts";
import type { OpenMessage } from "./open.ts";

export interface Negotiated {
  /** min(local, peer); 0 means no keepalives and no hold timer. */
  readonly holdTime: number;
  /** holdTime / 3, rounded down (RFC 4271 §10 suggests one third). */
  readonly keepaliveInterval: number;
  /** Both sides sent capability 65: AS_PATH carries 4-octet ASNs. */
  readonly fourOctetAs: boolean;
  /** Both sides sent capability 2. */
  readonly routeRefresh: boolean;
  /** AFI/SAFI both sides listed; IPv4 unicast alone when neither sent capability 1 (RFC 4760 §8). */
  readonly families: readonly AfiSafi[];
  /** The peer's graceful restart capability, if any. */
  readonly peerGracefulRestart: Extract<Capability, { kind: "gracefulRestart" }> | undefined;
}

function families(caps: readonly Capability[]): AfiSafi[] {
  const mp = caps.filter((c) => c.kind === "multiprotocol");
  return mp.length === 0 ? [{ afi: 1, safi: 1 }] : mp.map(({ afi, safi }) => ({ afi, safi }));
}

const has = (caps: readonly Capability[], kind: Capability["kind"]): boolean =>
  caps.some((c) => c.kind === kind);

export function negotiate(local: OpenMessage, peer: OpenMessage): Negotiated {
  const holdTime = Math.min(local.holdTime, peer.holdTime);
  const peerFamilies = families(peer.capabilities);
  return {
    holdTime,
    keepaliveInterval: Math.floor(holdTime / 3),
    fourOctetAs: has(local.capabilities, "fourOctetAs") && has(peer.capabilities, "fourOctetAs"),
    routeRefresh: has(local.capabilities, "routeRefresh") && has(peer.capabilities, "routeRefresh"),
    families: families(local.capabilities).filter((f) =>
      peerFamilies.some((p) => p.afi === f.afi && p.safi === f.safi),
    ),
    peerGracefulRestart: peer.capabilities.find((c) => c.kind === "gracefulRestart"),
  };
}
