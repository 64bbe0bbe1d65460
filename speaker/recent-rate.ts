// Events per second over the last full second, for "is the speaker busy
// answering right now" (heap-trim.ts postpones a trim under an ARP/NDP flood).
// Pure: time is an input, so it is tested with plain numbers.

export class RecentRate {
  #second = Number.NEGATIVE_INFINITY;
  #current = 0;
  #previous = 0;

  /** Counts one event at `nowMs` (a monotonic clock, milliseconds). */
  record(nowMs: number): void {
    this.#roll(nowMs);
    this.#current++;
  }

  /** Events in the last full second, or in the current one if that is already more. */
  perSecond(nowMs: number): number {
    this.#roll(nowMs);
    return Math.max(this.#previous, this.#current);
  }

  #roll(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second === this.#second) return;
    this.#previous = second === this.#second + 1 ? this.#current : 0;
    this.#current = 0;
    this.#second = second;
  }
}
