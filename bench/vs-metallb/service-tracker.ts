// Watches one namespace's Services and records, for the side-by-side bench:
// when each Service first showed an IP in status.loadBalancer, its current
// IPs, every moment two Services held one IP at the same time (a duplicate),
// and how many Services' IPs changed since a mark (the restart figure).
import { Watch, type KubeConfig, type V1Service } from "@kubernetes/client-node";

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

/** Starts watching `namespace`; resolves once the watch is established. */
export async function trackServices(kc: KubeConfig, namespace: string): Promise<ServiceTracker> {
  const tracker = new StatusBook();
  let failure: unknown;
  const req = await new Watch(kc).watch(
    `/api/v1/namespaces/${namespace}/services`,
    {},
    (type: string, obj: V1Service) => {
      tracker.observe(type, obj);
    },
    (err: unknown) => {
      if (err !== undefined && err !== null) failure = err;
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
      req.abort();
    },
  };
}
