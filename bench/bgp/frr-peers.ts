// FRR's view of its BGP sessions (`show bgp ipv4 unicast summary json`): per
// neighbour address, the session state and how many prefixes it has
// accepted from it (pfxRcd).
import type { Frr } from "../../test/lab/frr.ts";

export interface PeerSummary {
  readonly state?: string;
  readonly pfxRcd?: number;
}

/** Neighbour address → its summary; {} while FRR has no IPv4 unicast peers. */
export async function bgpPeers(frr: Frr): Promise<Record<string, PeerSummary | undefined>> {
  const j = await frr.json<{ peers?: Record<string, PeerSummary> }>(
    "show bgp ipv4 unicast summary json",
  );
  return j.peers ?? {};
}
