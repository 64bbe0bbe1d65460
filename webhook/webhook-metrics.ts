// The webhook's own metrics, on its own Registry (never prom-client's global
// one, so tests and benches can run several servers in one process).
import { Counter, Registry, Summary, collectDefaultMetrics } from "prom-client";

export class WebhookMetrics {
  readonly registry = new Registry();
  /** Handler time per admission, without the network; p50/p99 feed `npm run bench -- admission`. */
  readonly handlerSeconds: Summary<"route" | "result">;
  /** Lost races for an IP: another writer's claim existed first (AlreadyExists or a conflict). */
  readonly claimRaces: Counter;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.handlerSeconds = new Summary({
      name: "metallb_ts_webhook_handler_seconds",
      help: "Time spent answering one admission or conversion request.",
      labelNames: ["route", "result"],
      percentiles: [0.5, 0.9, 0.99],
      maxAgeSeconds: 600,
      ageBuckets: 5,
      registers: [this.registry],
    });
    this.claimRaces = new Counter({
      name: "metallb_ts_webhook_claim_races_total",
      help: "IP claims lost to another writer; each costs one retry with the next address.",
      registers: [this.registry],
    });
  }
}
