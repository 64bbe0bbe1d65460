// Leader election on a coordination.k8s.io/v1 Lease, with client-go's
// semantics (ecosystem notes §2.6): another holder's lease is honoured until
// leaseDuration has passed on *our* clock since we last saw its record change
// (tolerates clock skew); a leader that cannot renew within renewDeadline
// steps down; retries are jittered. Timestamps are V1MicroTime: the API
// server rejects a plain Date's millisecond form.
import {
  CoordinationV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
} from "@kubernetes/client-node";
import { apiErrorKind } from "../core/api-errors.ts";
import { errorText } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";

export interface LeaderElectionOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number | undefined;
  readonly renewDeadlineMs?: number | undefined;
  readonly retryPeriodMs?: number | undefined;
  readonly log: Logger;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
}

const JITTER = 1.2;

export class LeaderElector {
  readonly #o: LeaderElectionOptions;
  readonly #api: CoordinationV1Api;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #retryMs: number;
  #leader = false;
  #lastRenew = 0;
  /** The other holder's record as last seen, and when (our clock). */
  #observed = "";
  #observedAt = 0;

  constructor(options: LeaderElectionOptions) {
    this.#o = options;
    this.#api = options.kc.makeApiClient(CoordinationV1Api);
    this.#leaseMs = options.leaseDurationMs ?? 15_000;
    this.#renewMs = options.renewDeadlineMs ?? 10_000;
    this.#retryMs = options.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /** Campaigns and renews until the signal aborts, then gives the lease up. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const held = await this.#tryAcquireOrRenew().catch((e: unknown) => {
        this.#o.log.warn({ err: errorText(e) }, "lease update failed");
        return false;
      });
      this.#transition(held);
      const wait = this.#leader
        ? this.#retryMs
        : this.#retryMs * (1 + Math.random() * (JITTER - 1));
      await sleep(wait, signal);
    }
    await this.#release();
  }

  #transition(held: boolean): void {
    const now = Date.now();
    if (held) this.#lastRenew = now;
    if (held && !this.#leader) {
      this.#leader = true;
      this.#o.log.info({ lease: this.#o.name, identity: this.#o.identity }, "became leader");
      this.#o.onStartedLeading();
    } else if (!held && this.#leader && now - this.#lastRenew > this.#renewMs) {
      this.#leader = false;
      this.#o.log.warn({ lease: this.#o.name }, "lost leadership");
      this.#o.onStoppedLeading();
    }
  }

  #spec(previous: V1Lease | undefined): NonNullable<V1Lease["spec"]> {
    const now = new V1MicroTime(Date.now());
    const mine = previous?.spec?.holderIdentity === this.#o.identity;
    const transitions = previous?.spec?.leaseTransitions ?? 0;
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.#leaseMs / 1000)),
      acquireTime: mine ? acquiredAt(previous, now) : now,
      renewTime: now,
      leaseTransitions: mine || previous === undefined ? transitions : transitions + 1,
    };
  }

  async #read(): Promise<V1Lease | undefined> {
    try {
      return await this.#api.readNamespacedLease({
        name: this.#o.name,
        namespace: this.#o.namespace,
      });
    } catch (e: unknown) {
      if (apiErrorKind(e) === "NotFound") return undefined;
      throw e;
    }
  }

  /** Whether another holder's lease is still valid by our clock. */
  #heldByOther(lease: V1Lease): boolean {
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    if (holder === "" || holder === this.#o.identity) return false;
    const duration = (spec.leaseDurationSeconds ?? 0) * 1000;
    const record = `${holder}|${String(spec.renewTime)}|${duration}`;
    const now = Date.now();
    if (record !== this.#observed) {
      this.#observed = record;
      this.#observedAt = now;
    }
    return now < this.#observedAt + duration;
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace } = this.#o;
    const lease = await this.#read();
    if (lease === undefined) {
      return this.#write(() =>
        this.#api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: this.#spec(undefined) },
        }),
      );
    }
    if (this.#heldByOther(lease)) return false;
    return this.#write(() =>
      this.#api.replaceNamespacedLease({
        name,
        namespace,
        body: { metadata: lease.metadata ?? {}, spec: this.#spec(lease) },
      }),
    );
  }

  async #write(call: () => Promise<V1Lease>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (e: unknown) {
      const kind = apiErrorKind(e);
      if (kind === "Conflict" || kind === "AlreadyExists") return false;
      throw e;
    }
  }

  /** client-go's ReleaseOnCancel: an empty holder lets the next replica take over at once. */
  async #release(): Promise<void> {
    if (!this.#leader) return;
    this.#leader = false;
    this.#o.onStoppedLeading();
    try {
      const lease = await this.#read();
      if (lease?.spec?.holderIdentity !== this.#o.identity) return;
      await this.#api.replaceNamespacedLease({
        name: this.#o.name,
        namespace: this.#o.namespace,
        body: {
          metadata: lease.metadata ?? {},
          spec: {
            acquireTime: acquiredAt(lease, new V1MicroTime(Date.now())),
            leaseTransitions: lease.spec.leaseTransitions ?? 0,
            holderIdentity: "",
            leaseDurationSeconds: 1,
            renewTime: new V1MicroTime(Date.now()),
          },
        },
      });
    } catch (e: unknown) {
      this.#o.log.warn({ err: errorText(e) }, "lease not released");
    }
  }
}

function acquiredAt(lease: V1Lease, fallback: V1MicroTime): V1MicroTime {
  // Read back as a string despite the declared type (ecosystem notes §2.6).
  const ms = Date.parse(String(lease.spec?.acquireTime ?? ""));
  return Number.isNaN(ms) ? fallback : new V1MicroTime(ms);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
