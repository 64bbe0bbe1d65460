// The speaker's Prometheus metrics, in its own registry, under MetalLB's names
// (metallb-reference §6) so existing dashboards and alerts keep working.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** One (Service, IP) a plan announces. */
export interface Announced {
  readonly service: string;
  readonly ip: string;
}

export type AnnounceProtocol = "layer2" | "bgp";

export class SpeakerMetrics {
  readonly registry = new Registry();
  readonly requestsReceived: Counter<"ip">;
  readonly responsesSent: Counter<"ip">;
  readonly gratuitousSent: Counter<"ip">;
  readonly framesDropped: Counter<"protocol" | "reason">;
  readonly announced: Gauge<"ip" | "node" | "protocol" | "service">;
  readonly planSeconds: Histogram;
  readonly heapTrimSeconds: Histogram;
  /** Per protocol, the items behind the current metallb_speaker_announced series. */
  readonly #announced = new Map<AnnounceProtocol, ReadonlySet<Announced>>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requestsReceived = new Counter({
      name: "metallb_layer2_requests_received",
      help: "Number of layer2 requests received for owned IPs",
      labelNames: ["ip"],
      registers,
    });
    this.responsesSent = new Counter({
      name: "metallb_layer2_responses_sent",
      help: "Number of layer2 responses sent for owned IPs",
      labelNames: ["ip"],
      registers,
    });
    this.gratuitousSent = new Counter({
      name: "metallb_layer2_gratuitous_sent",
      help: "Number of gratuitous layer2 packets sent for owned IPs as a result of failovers",
      labelNames: ["ip"],
      registers,
    });
    this.framesDropped = new Counter({
      name: "metallb_ts_layer2_frames_dropped_total",
      help: "Received ARP/NDP frames that were malformed or not for us, by reason",
      labelNames: ["protocol", "reason"],
      registers,
    });
    this.announced = new Gauge({
      name: "metallb_speaker_announced",
      help: "Services being announced from this node. This is desired state, it does not guarantee that the routing protocols have converged.",
      labelNames: ["ip", "node", "protocol", "service"],
      registers,
    });
    this.planSeconds = new Histogram({
      name: "metallb_ts_speaker_plan_duration_seconds",
      help: "Time to recompute what this node announces after a cluster change",
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers,
    });
    this.heapTrimSeconds = new Histogram({
      name: "metallb_ts_speaker_heap_trim_duration_seconds",
      help: "Compacting garbage collections run after cluster changes went quiet (the event loop is blocked meanwhile)",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
  }

  /**
   * Sets the protocol's metallb_speaker_announced series to exactly these.
   * Items are compared by identity: the planners hand out the same objects
   * for unchanged Services, so an unchanged plan costs no label work. A
   * changed Service's new item may repeat an old one's labels, so old
   * series are removed before new ones are set.
   */
  setAnnounced(node: string, protocol: AnnounceProtocol, items: readonly Announced[]): void {
    const previous = this.#announced.get(protocol) ?? new Set<Announced>();
    const next = new Set(items);
    for (const item of previous) {
      if (!next.has(item))
        this.announced.remove({ ip: item.ip, node, protocol, service: item.service });
    }
    for (const item of next) {
      if (!previous.has(item))
        this.announced.set({ ip: item.ip, node, protocol, service: item.service }, 1);
    }
    this.#announced.set(protocol, next);
  }
}
