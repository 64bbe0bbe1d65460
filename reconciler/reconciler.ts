// The reconciler's adapter: a cluster-wide Services informer and the
// AllocationView feed a keyed work queue; each key is planned by decide.ts
// (pure) and the plan carried out here (claims through the ClaimWriter and
// ServiceAssigner, status through the status subresource, annotations with a
// merge patch, Events). Only an active (leader) reconciler writes.
import { setTimeout as sleep } from "node:timers/promises";
import type { V1Service } from "@kubernetes/client-node";
import { claimName } from "../core/allocator/claim-names.ts";
import { MERGE_PATCH, type ApiClient } from "../core/kube/api-client.ts";
import { AllocationView } from "../core/kube/allocation-view.ts";
import { ClaimWriter, holderKey } from "../core/kube/claim-writer.ts";
import { EventRecorder, type ServiceEvent } from "../core/kube/event-recorder.ts";
import { Informer } from "../core/kube/informer.ts";
import { ServiceAssigner } from "../core/kube/service-assigner.ts";
import type { Logger } from "../core/logger.ts";
import { errorText } from "../core/errors.ts";
import { formatIp, type IpFamily } from "../core/net/ip-address-text.ts";
import {
  creationOrder,
  plan,
  publication,
  type HeldClaim,
  type Outcome,
  type Plan,
  type ServiceObject,
} from "./decide.ts";
import { rewriteHolders } from "./claim-holders.ts";
import { OrphanCollector } from "./orphans.ts";
import { PoolStatusWriter } from "./pool-status.ts";
import type { ReconcilerMetrics } from "./metrics.ts";
import { WorkQueue } from "./work-queue.ts";

export interface ReconcilerOptions {
  readonly api: ApiClient;
  readonly namespace: string;
  readonly lbClass: string | undefined;
  readonly clusterFamilies: readonly IpFamily[];
  /** How long a holder whose Service does not exist is kept (ms). */
  readonly orphanGraceMs: number;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly metrics?: ReconcilerMetrics | undefined;
  /** Parallel reconciles (writes in flight). */
  readonly concurrency?: number | undefined;
}

const MAX_ROUNDS = 4;

/**
 * Services queued beyond which Events wait until the queue is empty, or
 * EVENT_HOLD_MS at most: a burst of creates keeps its Events prompt, a cold
 * start over thousands of Services publishes every status first
 * (EventRecorder.deferUntil), and a queue that never empties still lets
 * Events out twice a minute.
 */
const EVENT_BACKLOG = 64;
const EVENT_HOLD_MS = 30_000;

function created(svc: V1Service | undefined): number {
  const t = svc?.metadata?.creationTimestamp as Date | string | undefined;
  if (t === undefined) return Number.MAX_SAFE_INTEGER;
  return typeof t === "string" ? Date.parse(t) : t.getTime();
}

/**
 * What of a Service our writes and a user's edits can change; the write's
 * response and the watch event are both the API server's JSON, so equal
 * fingerprints mean the event is our write's echo.
 */
function fingerprint(svc: object): string {
  const { metadata, spec, status } = svc as {
    metadata?: { annotations?: unknown; labels?: unknown; deletionTimestamp?: unknown };
    spec?: unknown;
    status?: unknown;
  };
  return JSON.stringify([
    metadata?.annotations,
    metadata?.labels,
    metadata?.deletionTimestamp,
    spec,
    status,
  ]);
}

function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

export class Reconciler {
  readonly view: AllocationView;
  readonly #o: ReconcilerOptions;
  readonly #services: Informer<V1Service>;
  readonly #api: ApiClient;
  readonly #writer: ClaimWriter;
  readonly #assigner: ServiceAssigner;
  readonly #events: EventRecorder;
  /** Per Service, how our last status write left it: its watch echo needs no reconcile. */
  readonly #echo = new Map<string, string>();
  readonly #queue: WorkQueueLike;
  readonly #orphans: OrphanCollector;
  readonly #poolStatus: PoolStatusWriter;
  /** Services of ours without an IP: retried when an IP may have been freed. */
  readonly #pending = new Set<string>();
  #pendingTurn: Promise<unknown> = Promise.resolve();
  #active = false;

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    const { api, log, signal } = options;
    this.#api = api;
    this.view = new AllocationView({ api, namespace: options.namespace, log, signal });
    this.#writer = new ClaimWriter(api, options.namespace);
    this.#assigner = new ServiceAssigner({ view: this.view, writer: this.#writer, log });
    this.#events = new EventRecorder(api, "metallb-controller", log);
    this.#services = new Informer<V1Service>({
      api,
      path: "/api/v1/services",
      log,
      signal,
    });
    this.#queue = makeQueue(this, options);
    this.#orphans = new OrphanCollector({
      view: this.view,
      writer: this.#writer,
      graceMs: options.orphanGraceMs,
      exists: (key) => this.#service(key) !== undefined,
      log,
      onReleased: () => {
        this.#requeuePending();
      },
    });
    this.#poolStatus = new PoolStatusWriter({
      view: this.view,
      api,
      log,
      namespace: options.namespace,
    });
    this.#wire();
  }

  #wire(): void {
    for (const event of ["add", "update", "delete"] as const) {
      this.#services.on(event, (svc) => {
        const key = keyOf(svc);
        // The echo of our own status write changes nothing to decide; queueing
        // it would put a no-op ahead of every new Service (10,000 of them after
        // a cold start). Anything else, a hand edit included, differs.
        if (event === "update" && this.#echo.get(key) === fingerprint(svc)) {
          this.#echo.delete(key);
          return;
        }
        this.#queue.add(key);
        if (event === "delete") this.#requeuePending();
      });
    }
    this.view.onPoolsChanged((moved) => {
      for (const key of moved) this.#queue.add(key);
      this.#requeuePending();
      this.#poolStatus.schedule(this.#active);
      this.#o.metrics?.refreshPools(this.view);
    });
    this.view.onClaimChanged((claim, deleted) => {
      // A holder without a UID (an admission) needs its Service reconciled; a
      // claim with UIDs is ours already, and re-checking it would only queue
      // no-op work ahead of new Services.
      for (const h of claim.spec?.holders ?? []) {
        if (deleted || h.uid === undefined) this.#queue.add(holderKey(h));
      }
      if (deleted) this.#requeuePending();
      this.#poolStatus.schedule(this.#active);
    });
  }

  /** Lists and watches; resolves once every cache has synced. Processes nothing until activated. */
  async start(): Promise<void> {
    await this.view.start();
    await this.#services.start();
    this.#o.metrics?.refreshPools(this.view);
  }

  get synced(): boolean {
    return this.#services.synced;
  }

  /** Leader: process every Service, collect orphans, write pool status. */
  setActive(active: boolean): void {
    this.#active = active;
    if (active) {
      for (const svc of this.#services.list()) this.#queue.add(keyOf(svc));
      for (const claim of this.view.claims()) {
        for (const h of claim.spec?.holders ?? []) this.#queue.add(holderKey(h));
      }
      this.#orphans.start(this.#o.signal);
      this.#poolStatus.schedule(true);
    } else {
      this.#orphans.stop();
    }
    this.#queue.setActive(active);
  }

  /** Resolves when no key is queued or being processed (tests, bench). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  stop(): void {
    this.#active = false;
    this.#queue.stop();
    this.#orphans.stop();
  }

  #service(key: string): ServiceObject | undefined {
    const [namespace = "", name = ""] = key.split("/");
    return this.#services.get(name, namespace) as ServiceObject | undefined;
  }

  #requeuePending(): void {
    for (const key of this.#pending) this.#queue.add(key);
  }

  /** Holding Services first, then pending ones oldest first (webhook down, freed IPs). */
  order(a: string, b: string): number {
    const sa = this.#services.get(a.split("/")[1] ?? "", a.split("/")[0]);
    const sb = this.#services.get(b.split("/")[1] ?? "", b.split("/")[0]);
    const ha = this.view.allocator.current(a) !== undefined;
    const hb = this.view.allocator.current(b) !== undefined;
    return creationOrder(
      { held: ha, created: created(sa), key: a },
      { held: hb, created: created(sb), key: b },
    );
  }

  #held(key: string): HeldClaim[] {
    const current = this.view.allocator.current(key);
    const held: HeldClaim[] = [];
    for (const ip of current?.ips ?? []) {
      const name = claimName(ip);
      const holder = this.view.claimOf(name)?.spec?.holders.find((h) => holderKey(h) === key);
      if (holder !== undefined) held.push({ claimName: name, ip: formatIp(ip), uid: holder.uid });
    }
    return held;
  }

  #plan(key: string): Plan {
    const allocator = this.view.allocator;
    return plan({
      key,
      service: this.#service(key),
      lbClass: this.#o.lbClass,
      clusterFamilies: this.#o.clusterFamilies,
      current: allocator.current(key),
      held: this.#held(key),
      allocate: (request) => allocator.allocate(request),
    });
  }

  /** One reconcile of one key: plan, act, plan again until there is nothing left to do. */
  async reconcile(key: string): Promise<void> {
    if (!this.#active) return;
    if (this.#queue.size > EVENT_BACKLOG && !this.#events.deferred) {
      this.#events.deferUntil(
        Promise.race([this.#queue.idle(), sleep(EVENT_HOLD_MS, undefined, { ref: false })]),
      );
    }
    const started = performance.now();
    try {
      if (!(await this.#converge(key))) this.#queue.add(key);
    } catch (e: unknown) {
      this.#o.metrics?.updateErrors.inc();
      throw e;
    } finally {
      this.#o.metrics?.updates.inc();
      this.#o.metrics?.reconcileSeconds.observe((performance.now() - started) / 1000);
    }
  }

  /** Returns false when MAX_ROUNDS did not settle it (queued again). */
  async #converge(key: string): Promise<boolean> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const p = this.#plan(key);
      const svc = this.#service(key);
      if (await this.#act(key, svc, p)) continue;
      // The UID stamp and the status write do not depend on each other.
      await Promise.all([this.#stampUids(key, svc, p.setUid), this.#publish(svc, p.outcome)]);
      if (p.assign === undefined) this.#track(key, p.outcome);
      return true;
    }
    return false;
  }

  /**
   * Services waiting for a freed IP assign one at a time, in the order the
   * queue starts them (oldest first), so the oldest gets it (issue 4); run in
   * parallel, a younger one's claim could reach the API server first.
   * Uniqueness stays with the claims (AlreadyExists), not with this chain.
   */
  #inStartOrder<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#pendingTurn.then(fn, fn);
    this.#pendingTurn = run.catch(() => undefined);
    return run;
  }

  #track(key: string, outcome: Outcome | undefined): void {
    if (outcome?.kind === "failed") this.#pending.add(key);
    else this.#pending.delete(key);
  }

  /** Carries out claims work; true when the key must be planned again. */
  async #act(key: string, svc: ServiceObject | undefined, p: Plan): Promise<boolean> {
    this.#record(svc, p.events);
    let released = false;
    for (const name of p.release) released = (await this.#releaseHolder(name, key)) || released;
    if (released) this.#requeuePending();
    if (p.assign !== undefined) {
      const request = p.assign;
      const assign = () => this.#assigner.assign(request, false);
      const outcome = await (this.#pending.has(key) ? this.#inStartOrder(assign) : assign());
      if (outcome.ok) {
        const ips = outcome.allocation.ips.map(formatIp);
        this.#record(svc, [
          { type: "Normal", reason: "IPAllocated", message: `Assigned IP ${JSON.stringify(ips)}` },
        ]);
        return true;
      }
      await this.#publish(svc, { kind: "failed", failure: outcome.failure });
      this.#track(key, { kind: "failed", failure: outcome.failure });
      return false;
    }
    return p.again;
  }

  #record(svc: ServiceObject | undefined, events: readonly ServiceEvent[]): void {
    if (svc === undefined) return;
    const target = {
      namespace: svc.metadata.namespace ?? "",
      name: svc.metadata.name ?? "",
      uid: svc.metadata.uid,
    };
    for (const event of events) this.#events.record(target, event);
  }

  async #stampUids(
    key: string,
    svc: ServiceObject | undefined,
    claims: readonly string[],
  ): Promise<void> {
    const uid = svc?.metadata.uid;
    if (uid === undefined) return;
    for (const name of claims) await this.#stampUid(name, key, uid);
  }

  async #publish(svc: ServiceObject | undefined, outcome: Outcome | undefined): Promise<void> {
    if (svc === undefined || outcome === undefined) return;
    const pub = publication(svc, outcome, new Date().toISOString().replace(/\.\d+Z$/, "Z"));
    const name = svc.metadata.name ?? "";
    const namespace = svc.metadata.namespace ?? "";
    // One write: the Service status strategy keeps metadata changes made
    // through services/status (MetalLB writes ip-allocated-from-pool the same way).
    if (pub.annotations !== undefined || pub.status !== undefined) {
      const body = { ...pub.annotations, ...pub.status };
      const written = await this.#api.call<V1Service>(
        "PATCH",
        `/api/v1/namespaces/${namespace}/services/${name}/status`,
        { body, contentType: MERGE_PATCH },
      );
      this.#echo.set(`${namespace}/${name}`, fingerprint(written));
    }
    this.#record(svc, pub.events);
  }

  /** Removes the key from the claim's holders (deleting the claim when none is left). */
  async #releaseHolder(name: string, key: string): Promise<boolean> {
    return rewriteHolders(this.view, this.#writer, name, (holders) =>
      holders.filter((h) => holderKey(h) !== key),
    );
  }

  async #stampUid(name: string, key: string, uid: string): Promise<void> {
    await rewriteHolders(this.view, this.#writer, name, (holders) =>
      holders.map((h) => (holderKey(h) === key ? { ...h, uid } : h)),
    );
  }
}

interface WorkQueueLike {
  readonly size: number;
  add(key: string): void;
  setActive(active: boolean): void;
  idle(): Promise<void>;
  stop(): void;
}

function makeQueue(r: Reconciler, options: ReconcilerOptions): WorkQueueLike {
  return new WorkQueue({
    handle: (key) => r.reconcile(key),
    order: (a, b) => r.order(a, b),
    concurrency: options.concurrency ?? 16,
    onError: (key, e) => {
      options.log.warn({ service: key, err: errorText(e) }, "reconcile failed; retrying");
    },
  });
}
