// Kubernetes Events on Services ("kubectl describe service" shows them).
// Recording never blocks or fails the caller: an Event is advice, and losing
// one must not fail an admission or a reconcile.
//
// Events go out a few at a time from a bounded queue. Sent all at once, a
// reconciler's cold start (one IPAllocated per Service, 10,000 Services)
// queued thousands of requests on the API connection ahead of the claim and
// status writes that Services wait for: status publish p50 6.8 s at 50
// creates/s right after it (BENCHMARKS.md, reconciler). Beyond the queue's
// bound new Events are dropped and counted, as client-go's recorder drops
// under pressure.
import type { CoreV1Event } from "@kubernetes/client-node";
import { errorText } from "../errors.ts";
import type { ApiClient } from "./api-client.ts";
import type { Logger } from "../logger.ts";

export interface EventTarget {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string | undefined;
}

export interface ServiceEvent {
  readonly type: "Normal" | "Warning";
  /** MetalLB's reasons where they exist (metallb-reference.md §2.4), e.g. AllocationFailed. */
  readonly reason: string;
  readonly message: string;
}

export interface EventRecorderLimits {
  /** Event creates in flight at once (default 4). */
  readonly inFlight?: number;
  /** Events waiting beyond those; more are dropped (default 1,000). */
  readonly queued?: number;
}

export class EventRecorder {
  readonly #api: ApiClient;
  readonly #component: string;
  readonly #log: Logger;
  readonly #inFlightMax: number;
  readonly #queuedMax: number;
  readonly #queue: { namespace: string; body: CoreV1Event }[] = [];
  #inFlight = 0;
  #dropped = 0;
  /** Sends wait while this is unsettled (see deferUntil). */
  #held: Promise<void> | undefined;
  #warned = false;

  constructor(api: ApiClient, component: string, log: Logger, limits: EventRecorderLimits = {}) {
    this.#api = api;
    this.#component = component;
    this.#log = log;
    this.#inFlightMax = limits.inFlight ?? 4;
    this.#queuedMax = limits.queued ?? 1_000;
  }

  /** Events dropped because the queue was full, since the start. */
  get dropped(): number {
    return this.#dropped;
  }

  record(target: EventTarget, event: ServiceEvent): void {
    const now = new Date();
    const body = {
      metadata: { generateName: `${target.name}.`, namespace: target.namespace },
      involvedObject: {
        apiVersion: "v1",
        kind: "Service",
        namespace: target.namespace,
        name: target.name,
        ...(target.uid === undefined ? {} : { uid: target.uid }),
      },
      type: event.type,
      reason: event.reason,
      message: event.message,
      source: { component: this.#component },
      reportingComponent: this.#component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    } satisfies CoreV1Event;
    if (this.#queue.length >= this.#queuedMax) {
      this.#dropped++;
      // One warning per burst: the first drop since the queue last drained.
      if (!this.#warned) {
        this.#warned = true;
        this.#log.warn(
          { reason: event.reason, dropped: this.#dropped },
          "event queue full; events dropped",
        );
      }
      return;
    }
    this.#queue.push({ namespace: target.namespace, body });
    this.#pump();
  }

  /**
   * Sends nothing new until `settled` settles; Events keep queueing (within
   * the bound). The reconciler holds them while it has a backlog: an Event is
   * advice, the status write is what a Service waits for, and one Event per
   * Service is a third of a cold start's API writes. On the 2-core bench the
   * cold start moved within its run-to-run noise (BENCHMARKS.md, reconciler);
   * the point is the order on a busy API server: status first.
   */
  deferUntil(settled: Promise<unknown>): void {
    if (this.#held !== undefined) return;
    const held = settled.then(
      () => undefined,
      () => undefined,
    );
    this.#held = held;
    void held.then(() => {
      this.#held = undefined;
      this.#pump();
    });
  }

  /** Whether deferUntil is holding Events back. */
  get deferred(): boolean {
    return this.#held !== undefined;
  }

  #pump(): void {
    while (this.#held === undefined && this.#inFlight < this.#inFlightMax) {
      const next = this.#queue.shift();
      if (next === undefined) {
        this.#warned = false;
        return;
      }
      this.#inFlight++;
      this.#api
        .call("POST", `/api/v1/namespaces/${next.namespace}/events`, { body: next.body })
        .catch((e: unknown) => {
          this.#log.warn({ err: errorText(e), reason: next.body.reason }, "event not recorded");
        })
        .finally(() => {
          this.#inFlight--;
          this.#pump();
        });
    }
  }
}
