// Watches one namespace's Services and records, for the side-by-side bench:
// when each Service first showed an IP in status.loadBalancer, its current
// IPs, every moment two Services held one IP at the same time (a duplicate),
// and how many Services' IPs changed since a mark (the restart figure).
import type { KubeConfig, V1Service } from "@kubernetes/client-node";
import { apiClientFor } from "../../core/kube/kube-config.ts";

export interface ServiceTracker {
  /** Service name → performance.now() when its status first had an IP. */
  readonly firstStatusAt: ReadonlyMap<string, number>;
  /** Service name → its status IPs now, sorted and comma-joined. */
  readonly current: ReadonlyMap<string, string>;
  /** Times an IP gained a second holder while the first still held it. */
  duplicates(): number;
  duplicateExamples(): readonly string[];
  /** Services whose status IPs changed from a non-empty value since mark(). */
  changedSinceMark(): number;
  /** Status events since mark() (for "has it gone quiet"). */
  eventsSinceMark(): number;
  lastEventAt(): number;
  mark(): void;
  stop(): void;
}

function statusIps(svc: V1Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? [])
    .map((i) => i.ip ?? "")
    .filter((ip) => ip !== "")
    .sort();
}

/** The bookkeeping alone (no watch), fed one watch event at a time. */
export class StatusBook {
  readonly firstStatusAt = new Map<string, number>();
  readonly current = new Map<string, string>();
  private readonly holders = new Map<string, Set<string>>();
  private readonly examples: string[] = [];
  private duplicateCount = 0;
  private readonly changed = new Set<string>();
  private events = 0;
  private last = performance.now();

  observe(type: string, svc: V1Service, now = performance.now()): void {
    const name = svc.metadata?.name ?? "";
    const ips = type === "DELETED" ? [] : statusIps(svc);
    const before = this.current.get(name) ?? "";
    const after = ips.join(",");
    if (before === after) return;
    this.events++;
    this.last = now;
    if (before !== "") this.changed.add(name);
    for (const ip of before === "" ? [] : before.split(",")) this.holders.get(ip)?.delete(name);
    for (const ip of ips) this.hold(ip, name);
    if (after === "") this.current.delete(name);
    else this.current.set(name, after);
    if (after !== "" && !this.firstStatusAt.has(name)) this.firstStatusAt.set(name, now);
  }

  private hold(ip: string, name: string): void {
    let set = this.holders.get(ip);
    if (set === undefined) {
      set = new Set();
      this.holders.set(ip, set);
    }
    set.add(name);
    if (set.size > 1) {
      this.duplicateCount++;
      if (this.examples.length < 5) this.examples.push(`${ip}: ${[...set].join(", ")}`);
    }
  }

  duplicates(): number {
    return this.duplicateCount;
  }
  duplicateExamples(): readonly string[] {
    return this.examples;
  }
  changedSinceMark(): number {
    return this.changed.size;
  }
  eventsSinceMark(): number {
    return this.events;
  }
  lastEventAt(): number {
    return this.last;
  }
  mark(): void {
    this.changed.clear();
    this.events = 0;
  }
}

/**
 * Lists `namespace`'s Services and watches from that list's resourceVersion,
 * so no change falls between the two; resolves once the list is in. The
 * watch has no inactivity timeout (client-node's Watch aborts after 30 s
 * without an event, which a controller restarting with 10,000 Services
 * outlasts); the API server ends it after --min-request-timeout (30–60 min).
 */
export async function trackServices(kc: KubeConfig, namespace: string): Promise<ServiceTracker> {
  const tracker = new StatusBook();
  let failure: unknown;
  const api = apiClientFor(kc);
  const path = `/api/v1/namespaces/${namespace}/services`;
  const list = await api.call<{ metadata?: { resourceVersion?: string }; items?: V1Service[] }>(
    "GET",
    path,
  );
  for (const svc of list.items ?? []) tracker.observe("ADDED", svc);
  const stop = new AbortController();
  api
    .watch<V1Service>(
      path,
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (event) => {
        if (event.type === "ERROR") throw new Error(`watch error: ${JSON.stringify(event.object)}`);
        if (event.type !== "BOOKMARK") tracker.observe(event.type, event.object);
      },
      stop.signal,
    )
    .then(
      () => {
        if (!stop.signal.aborted) failure = new Error("the API server ended the Service watch");
      },
      (e: unknown) => {
        failure = e;
      },
    );
  return {
    firstStatusAt: tracker.firstStatusAt,
    current: tracker.current,
    duplicates: () => tracker.duplicates(),
    duplicateExamples: () => tracker.duplicateExamples(),
    changedSinceMark: () => tracker.changedSinceMark(),
    eventsSinceMark: () => tracker.eventsSinceMark(),
    lastEventAt: () => {
      if (failure !== undefined) throw new Error("Service watch failed", { cause: failure });
      return tracker.lastEventAt();
    },
    mark: () => {
      tracker.mark();
    },
    stop: () => {
      stop.abort();
      api.close();
    },
  };
}
