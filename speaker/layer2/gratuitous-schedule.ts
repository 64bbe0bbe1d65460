// When to send unsolicited announcements (gratuitous ARP, unsolicited NA) for
// the IPs this node took over. Pure: the caller passes the clock.
//
// A burst on takeover, because one packet can be lost and a client may miss
// it: the first at once, then every `repeatMs` until `burstMs` after the
// latest arming — MetalLB's rhythm (1.1 s for 5 s, metallb-reference §4.4).
// After the burst, an optional slow refresh for routers and hosts whose caches
// went stale while a packet was lost (issue 5: "periodic refresh, default on").
export interface GratuitousTiming {
  readonly repeatMs: number;
  readonly burstMs: number;
  /** 0 disables the refresh after the burst. */
  readonly refreshMs: number;
}

export const DEFAULT_GRATUITOUS_TIMING: GratuitousTiming = {
  repeatMs: 1_100,
  burstMs: 5_000,
  refreshMs: 30_000,
};

interface Entry {
  nextAt: number;
  burstUntil: number;
}

export class GratuitousSchedule {
  readonly #timing: GratuitousTiming;
  readonly #entries = new Map<string, Entry>();

  constructor(timing: GratuitousTiming = DEFAULT_GRATUITOUS_TIMING) {
    this.#timing = timing;
  }

  /** (Re)starts a burst for `key`: due now, then every repeatMs until burstMs from now. */
  arm(key: string, now: number): void {
    const entry = this.#entries.get(key);
    const burstUntil = now + this.#timing.burstMs;
    if (entry === undefined) {
      this.#entries.set(key, { nextAt: now, burstUntil });
    } else {
      // Already repeating: extend the burst without sending twice in a row.
      entry.burstUntil = burstUntil;
      entry.nextAt = Math.min(entry.nextAt, now + this.#timing.repeatMs);
    }
  }

  remove(key: string): void {
    this.#entries.delete(key);
  }

  /** The keys due at `now`; each is rescheduled (or dropped when nothing follows). */
  due(now: number): string[] {
    const due: string[] = [];
    for (const [key, entry] of this.#entries) {
      if (entry.nextAt > now) continue;
      due.push(key);
      this.#advance(key, entry, now);
    }
    return due;
  }

  #advance(key: string, entry: Entry, now: number): void {
    if (now + this.#timing.repeatMs <= entry.burstUntil) {
      entry.nextAt = now + this.#timing.repeatMs;
    } else if (this.#timing.refreshMs > 0) {
      entry.nextAt = now + this.#timing.refreshMs;
    } else {
      this.#entries.delete(key);
    }
  }

  /** When the next key is due, or undefined when none is scheduled. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const entry of this.#entries.values()) {
      if (next === undefined || entry.nextAt < next) next = entry.nextAt;
    }
    return next;
  }

  get size(): number {
    return this.#entries.size;
  }
}
