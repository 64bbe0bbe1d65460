// Per-Service plan results, reused while what they were computed from is the
// same: the Service's view and endpoints (ClusterView keeps both as the same
// objects until they change) and a context the planner names (configuration,
// Nodes, live speakers…). A watch event about one Service then costs one
// Service's planning instead of every Service's: with 10,000 Services a whole
// plan took ~0.8 s on a busy core, and the speakers replanned on every create
// (BENCHMARKS.md, bgp phase 3; issue 6 "Changes are incremental").
//
// A cache, not state: planning with a memo gives exactly what planning
// without one gives (plan-memo.test.ts checks this over random edits).
import type { EndpointView, ServiceView } from "./cluster-view.ts";

interface Entry<R> {
  readonly endpoints: EndpointView | undefined;
  readonly result: R;
}

export class PlanMemo<R> {
  #context: readonly unknown[] = [];
  #entries = new WeakMap<ServiceView, Entry<R>>();

  /**
   * Starts a planning pass. Results are kept only while every context item is
   * the same (===) as in the previous pass; items must be objects or values
   * that change whenever what the per-Service results depend on changes.
   */
  begin(context: readonly unknown[]): void {
    const same =
      context.length === this.#context.length && context.every((c, i) => c === this.#context[i]);
    if (!same) this.#entries = new WeakMap();
    this.#context = context;
  }

  /** The result for this Service and endpoints: remembered, or computed and remembered. */
  get(service: ServiceView, endpoints: EndpointView | undefined, compute: () => R): R {
    const entry = this.#entries.get(service);
    if (entry?.endpoints === endpoints && entry !== undefined) return entry.result;
    const result = compute();
    this.#entries.set(service, { endpoints, result });
    return result;
  }
}

/** Planning with no memory: what the planners use when given no memo. */
export function noMemo<R>(): PlanMemo<R> {
  return new PlanMemo<R>();
}
