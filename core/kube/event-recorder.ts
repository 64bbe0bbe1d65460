// Kubernetes Events on Services ("kubectl describe service" shows them).
// Recording never blocks or fails the caller: an Event is advice, and losing
// one must not fail an admission or a reconcile.
import type { CoreV1Api, CoreV1Event } from "@kubernetes/client-node";
import { errorText } from "../errors.ts";
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

export class EventRecorder {
  readonly #api: CoreV1Api;
  readonly #component: string;
  readonly #log: Logger;

  constructor(api: CoreV1Api, component: string, log: Logger) {
    this.#api = api;
    this.#component = component;
    this.#log = log;
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
    this.#api.createNamespacedEvent({ namespace: target.namespace, body }).catch((e: unknown) => {
      this.#log.warn({ err: errorText(e), reason: event.reason }, "event not recorded");
    });
  }
}
