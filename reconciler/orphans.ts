// Orphan collection: a claim holder whose Service does not exist is removed
// once it has been missing for the grace period (an admission whose Service
// was then rejected by a later webhook, a release that failed). The grace
// covers the gap between admission (claim written) and the Service appearing
// in the cache.
import type { AllocationView } from "../core/kube/allocation-view.ts";
import { holderKey, type ClaimWriter } from "../core/kube/claim-writer.ts";
import { errorText } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { rewriteHolders } from "./claim-holders.ts";

export interface OrphanOptions {
  readonly view: AllocationView;
  readonly writer: ClaimWriter;
  readonly graceMs: number;
  /** Whether the Service "namespace/name" is in the (synced) cache. */
  readonly exists: (key: string) => boolean;
  readonly log: Logger;
  readonly onReleased: () => void;
}

export class OrphanCollector {
  readonly #o: OrphanOptions;
  /** "claim|namespace/name" → when first seen without its Service. */
  readonly #missingSince = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #sweeping = false;

  constructor(options: OrphanOptions) {
    this.#o = options;
  }

  start(signal: AbortSignal): void {
    if (this.#timer !== undefined) return;
    const period = Math.max(200, Math.min(5_000, this.#o.graceMs / 4));
    this.#timer = setInterval(() => {
      void this.sweep(Date.now());
    }, period);
    signal.addEventListener("abort", () => {
      this.stop();
    });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#missingSince.clear();
  }

  /** The holders missing for longer than the grace period at `now`. */
  due(now: number): { claim: string; key: string }[] {
    const seen = new Set<string>();
    const due: { claim: string; key: string }[] = [];
    for (const { claim, key } of this.#missing()) {
      const id = `${claim}|${key}`;
      seen.add(id);
      const since = this.#missingSince.get(id) ?? now;
      this.#missingSince.set(id, since);
      if (now - since >= this.#o.graceMs) due.push({ claim, key });
    }
    for (const id of this.#missingSince.keys()) if (!seen.has(id)) this.#missingSince.delete(id);
    return due;
  }

  /** Holders whose Service is not in the cache. */
  *#missing(): Generator<{ claim: string; key: string }> {
    for (const claim of this.#o.view.claims()) {
      const name = claim.metadata.name ?? "";
      for (const h of claim.spec?.holders ?? []) {
        const key = holderKey(h);
        if (!this.#o.exists(key)) yield { claim: name, key };
      }
    }
  }

  async sweep(now: number): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      let released = false;
      for (const { claim, key } of this.due(now)) {
        const done = await this.#release(claim, key);
        released = released || done;
      }
      if (released) this.#o.onReleased();
    } finally {
      this.#sweeping = false;
    }
  }

  async #release(claim: string, key: string): Promise<boolean> {
    try {
      // Checked again: the Service may have arrived during the sweep.
      if (this.#o.exists(key)) return false;
      const done = await rewriteHolders(this.#o.view, this.#o.writer, claim, (holders) =>
        holders.filter((h) => holderKey(h) !== key),
      );
      if (done) this.#o.log.info({ claim, service: key }, "released orphaned claim holder");
      return done;
    } catch (e: unknown) {
      this.#o.log.warn({ claim, service: key, err: errorText(e) }, "orphan release failed");
      return false;
    }
  }
}
