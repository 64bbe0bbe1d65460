// The one small interface every announcer implements (ARP, NDP, BGP): the
// speaker computes what this node should announce and hands the whole desired
// set over; the announcer diffs it against what it announces now and does the
// protocol work (replies, gratuitous packets, UPDATEs). Desired-state in, so a
// missed or repeated call can never leave an announcement behind.
export interface Announcer<A> {
  /** For logs and metrics labels: "arp", "ndp", "bgp". */
  readonly name: string;
  /** Replaces what is announced, keyed by IP (or prefix). Idempotent. */
  update(desired: ReadonlyMap<string, A>): void;
  /** Stops announcing everything and releases sockets. Idempotent. */
  close(): Promise<void>;
}

/** A Layer 2 announcement: one IP, answered on these interfaces of this node. */
export interface L2Announcement {
  readonly ip: string;
  /** Interface names allowed by the matching L2Advertisements; "all" when any of them lists none. */
  readonly interfaces: readonly string[] | "all";
}

export function allowsInterface(announcement: L2Announcement, ifname: string): boolean {
  return announcement.interfaces === "all" || announcement.interfaces.includes(ifname);
}
