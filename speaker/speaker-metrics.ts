// The speaker's Prometheus metrics, in its own registry, under MetalLB's names
// (metallb-reference §6) so existing dashboards and alerts keep working.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export interface AnnouncedLabels {
  readonly ip: string;
  readonly node: string;
  readonly protocol: "layer2" | "bgp";
  readonly service: string;
}

export class SpeakerMetrics {
  readonly registry = new Registry();
  readonly requestsReceived: Counter<"ip">;
  readonly responsesSent: Counter<"ip">;
  readonly gratuitousSent: Counter<"ip">;
  readonly framesDropped: Counter<"protocol" | "reason">;
  readonly announced: Gauge<"ip" | "node" | "protocol" | "service">;
  readonly planSeconds: Histogram;
  readonly #announced = new Map<string, AnnouncedLabels>();

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
  }

  /** Sets metallb_speaker_announced to exactly these series (others are removed). */
  setAnnounced(series: readonly AnnouncedLabels[]): void {
    const next = new Map(series.map((s) => [`${s.protocol}|${s.service}|${s.ip}`, s]));
    for (const [key, labels] of this.#announced) {
      if (!next.has(key)) this.announced.remove({ ...labels });
    }
    for (const [key, labels] of next) {
      if (!this.#announced.has(key)) this.announced.set({ ...labels }, 1);
    }
    this.#announced.clear();
    for (const [key, labels] of next) this.#announced.set(key, labels);
  }
}
