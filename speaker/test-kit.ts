// Helpers shared by the speaker's unit tests that run real sockets on
// loopback: wait for a condition, and undo what a test set up when it ends.
import { afterEach } from "vitest";

/** Resolves once `check()` holds, polling every 10 ms; rejects after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${String(ms)} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A list of undo steps run after each test of the calling file, last added
 * first (sessions before the listeners they were accepted on).
 */
export function cleanupAfterEach(): (() => unknown)[] {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  return cleanup;
}
