// BGP session metrics under MetalLB's names (metallb-reference §6.2), label
// `peer` = "address:port". Values are read from each session's plain counters
// at scrape time (prom-client collect callbacks), so the session code never
// touches prom-client and a closed session's series simply disappear.
import { Counter, Gauge, type Registry } from "prom-client";
import type { SessionCounters } from "./session.ts";
import type { PeerSession } from "./bgp-announcer.ts";

type CounterName = Exclude<keyof SessionCounters, "announcedPrefixes" | "establishedTransitions">;

/** MetalLB metric name → session counter. */
export const BGP_COUNTERS: Readonly<Record<string, { counter: CounterName; help: string }>> = {
  metallb_bgp_opens_sent: { counter: "opensSent", help: "Number of BGP open messages sent" },
  metallb_bgp_opens_received: {
    counter: "opensReceived",
    help: "Number of BGP open messages received",
  },
  metallb_bgp_updates_total: {
    counter: "updatesSent",
    help: "Number of BGP UPDATE messages sent",
  },
  metallb_bgp_updates_total_received: {
    counter: "updatesReceived",
    help: "Number of BGP UPDATE messages received",
  },
  metallb_bgp_notifications_sent: {
    counter: "notificationsSent",
    help: "Number of BGP notification messages sent",
  },
  metallb_bgp_keepalives_sent: {
    counter: "keepalivesSent",
    help: "Number of BGP keepalive messages sent",
  },
  metallb_bgp_keepalives_received: {
    counter: "keepalivesReceived",
    help: "Number of BGP keepalive messages received",
  },
  metallb_bgp_route_refresh_sent: {
    counter: "routeRefreshSent",
    help: "Number of BGP route refresh messages sent",
  },
  metallb_bgp_total_sent: { counter: "totalSent", help: "Number of total BGP messages sent" },
  metallb_bgp_total_received: {
    counter: "totalReceived",
    help: "Number of total BGP messages received",
  },
};

export function peerLabel(s: PeerSession): string {
  const { peerAddress, peerPort } = s.config;
  return peerAddress.includes(":") ? `[${peerAddress}]:${peerPort}` : `${peerAddress}:${peerPort}`;
}

/** Registers the BGP metrics; `sessions` is read at every scrape. */
export function registerBgpMetrics(
  registry: Registry,
  sessions: () => Iterable<PeerSession>,
): void {
  const registers = [registry];
  new Gauge({
    name: "metallb_bgp_session_up",
    help: "BGP session state (1 is up, 0 is down)",
    labelNames: ["peer"],
    registers,
    collect() {
      this.reset();
      for (const s of sessions()) {
        this.set({ peer: peerLabel(s) }, s.session.state === "Established" ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "metallb_bgp_announced_prefixes_total",
    help: "Number of prefixes currently being advertised on the BGP session",
    labelNames: ["peer"],
    registers,
    collect() {
      this.reset();
      for (const s of sessions()) {
        this.set({ peer: peerLabel(s) }, s.session.counters.announcedPrefixes);
      }
    },
  });
  for (const [name, { counter, help }] of Object.entries(BGP_COUNTERS)) {
    new Counter({
      name,
      help,
      labelNames: ["peer"],
      registers,
      collect() {
        this.reset();
        for (const s of sessions()) this.inc({ peer: peerLabel(s) }, s.session.counters[counter]);
      },
    });
  }
}
