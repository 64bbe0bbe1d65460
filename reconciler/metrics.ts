// The reconciler's Prometheus metrics, in their own registry: MetalLB's
// allocator gauges per pool (metallb-reference §3.6), its k8s client counters
// (§6.2), and a reconcile-latency histogram; served by core/metrics-server.ts.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AllocationView } from "../core/kube/allocation-view.ts";

export class ReconcilerMetrics {
  readonly registry = new Registry();
  readonly updates: Counter;
  readonly updateErrors: Counter;
  readonly reconcileSeconds: Histogram;
  readonly statusLatencySeconds: Histogram;
  readonly #gauges: Record<string, Gauge>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.updates = new Counter({
      name: "metallb_k8s_client_updates_total",
      help: "Number of k8s object updates that have been processed.",
      registers,
    });
    this.updateErrors = new Counter({
      name: "metallb_k8s_client_update_errors_total",
      help: "Number of k8s object updates that failed for some reason.",
      registers,
    });
    this.reconcileSeconds = new Histogram({
      name: "metallb_ts_reconcile_duration_seconds",
      help: "Time to reconcile one Service key (plan and writes).",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.statusLatencySeconds = new Histogram({
      name: "metallb_ts_status_publish_latency_seconds",
      help: "From a Service's creationTimestamp to its IP published in status (second resolution).",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    const gauge = (name: string, help: string): Gauge =>
      new Gauge({ name, help, labelNames: ["pool"], registers });
    this.#gauges = {
      total: gauge("metallb_allocator_addresses_total", "Number of usable IP addresses, per pool"),
      v4total: gauge(
        "metallb_allocator_ipv4_addresses_total",
        "Number of usable IPv4 addresses, per pool",
      ),
      v6total: gauge(
        "metallb_allocator_ipv6_addresses_total",
        "Number of usable IPv6 addresses, per pool",
      ),
      used: gauge(
        "metallb_allocator_addresses_in_use_total",
        "Number of IP addresses in use, per pool",
      ),
      v4used: gauge(
        "metallb_allocator_ipv4_addresses_in_use_total",
        "Number of IPv4 addresses in use, per pool",
      ),
      v6used: gauge(
        "metallb_allocator_ipv6_addresses_in_use_total",
        "Number of IPv6 addresses in use, per pool",
      ),
    };
  }

  /** Sets the allocator gauges from the view; series of deleted pools disappear. */
  refreshPools(view: AllocationView): void {
    for (const g of Object.values(this.#gauges)) g.reset();
    const g = this.#gauges;
    for (const pool of view.pools()) {
      const name = pool.metadata.name ?? "";
      const u = view.allocator.usage(name);
      const v4 = u.assignedIPv4 + u.availableIPv4;
      const v6 = u.assignedIPv6 + u.availableIPv6;
      g.total?.set({ pool: name }, v4 + v6);
      g.v4total?.set({ pool: name }, v4);
      g.v6total?.set({ pool: name }, v6);
      g.used?.set({ pool: name }, u.assignedIPv4 + u.assignedIPv6);
      g.v4used?.set({ pool: name }, u.assignedIPv4);
      g.v6used?.set({ pool: name }, u.assignedIPv6);
    }
  }
}
