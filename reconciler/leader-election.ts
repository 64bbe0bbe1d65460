// Leader election on a coordination.k8s.io/v1 Lease, with client-go's
// semantics (ecosystem notes §2.6): another holder's lease is honoured until
// leaseDuration has passed on *our* clock since we last saw its record change
// (tolerates clock skew); a leader that cannot renew within renewDeadline
// steps down; retries are jittered. Timestamps are MicroTime: the API
// server rejects a plain Date's millisecond form.
import type { V1Lease } from "@kubernetes/client-node";
import { apiErrorKind } from "../core/api-errors.ts";
import type { ApiClient } from "../core/kube/api-client.ts";
import { errorText } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";

export interface LeaderElectionOptions {
  readonly api: ApiClient;
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

/** A metav1.MicroTime: RFC 3339 with six fractional digits (Date has milliseconds). */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "000Z");
}

type LeaseSpec = NonNullable<V1Lease["spec"]>;
/** The wire form: times are strings, not client-node's Date subclass. */
type LeaseBody = Omit<V1Lease, "spec"> & {
  spec?: Omit<LeaseSpec, "acquireTime" | "renewTime"> & {
    acquireTime?: string;
    renewTime?: string;
  };
};

export class LeaderElector {
  readonly #o: LeaderElectionOptions;
  readonly #api: ApiClient;
  readonly #path: string;
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
    this.#api = options.api;
    this.#path = `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases`;
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

  #spec(previous: LeaseBody | undefined): NonNullable<LeaseBody["spec"]> {
    const now = microTime(Date.now());
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

  async #read(): Promise<LeaseBody | undefined> {
    try {
      return await this.#api.call<LeaseBody>("GET", `${this.#path}/${this.#o.name}`);
    } catch (e: unknown) {
      if (apiErrorKind(e) === "NotFound") return undefined;
      throw e;
    }
  }

  /** Whether another holder's lease is still valid by our clock. */
  #heldByOther(lease: LeaseBody): boolean {
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    if (holder === "" || holder === this.#o.identity) return false;
    const duration = (spec.leaseDurationSeconds ?? 0) * 1000;
    const record = `${holder}|${spec.renewTime ?? ""}|${String(duration)}`;
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
      return this.#write("POST", this.#path, {
        metadata: { name, namespace },
        spec: this.#spec(undefined),
      });
    }
    if (this.#heldByOther(lease)) return false;
    return this.#write("PUT", `${this.#path}/${name}`, {
      metadata: lease.metadata ?? {},
      spec: this.#spec(lease),
    });
  }

  /** A create or a replace; Conflict (someone wrote since our read) or AlreadyExists is "not ours". */
  async #write(method: "POST" | "PUT", path: string, body: LeaseBody): Promise<boolean> {
    try {
      await this.#api.call(method, path, { body });
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
      const now = microTime(Date.now());
      await this.#api.call("PUT", `${this.#path}/${this.#o.name}`, {
        body: {
          metadata: lease.metadata ?? {},
          spec: {
            acquireTime: acquiredAt(lease, now),
            leaseTransitions: lease.spec.leaseTransitions ?? 0,
            holderIdentity: "",
            leaseDurationSeconds: 1,
            renewTime: now,
          },
        } satisfies LeaseBody,
      });
    } catch (e: unknown) {
      this.#o.log.warn({ err: errorText(e) }, "lease not released");
    }
  }
}

/** The lease's acquireTime as read back (the server's own MicroTime text), else `fallback`. */
function acquiredAt(lease: LeaseBody, fallback: string): string {
  return lease.spec?.acquireTime ?? fallback;
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
