// Starting work at a fixed rate without waiting for the previous item: what
// the BGP benches use to create (and delete) Services at N per second, so a
// slow route does not slow the arrivals behind it.
import { setTimeout as sleep } from "node:timers/promises";

/** Starts `fn` for each item at `ratePerS`; resolves with all results, in order. */
export async function paced<T, R>(
  items: readonly T[],
  ratePerS: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const t0 = performance.now();
  const pending: Promise<R>[] = [];
  for (const [i, item] of items.entries()) {
    const due = t0 + (i * 1000) / ratePerS - performance.now();
    if (due > 0) await sleep(due);
    pending.push(fn(item, i));
  }
  return Promise.all(pending);
}
