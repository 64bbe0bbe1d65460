import { describe, expect, it } from "vitest";
import { WorkQueue } from "./work-queue.ts";

function queue(handle: (key: string) => Promise<void>, concurrency = 1): WorkQueue {
  return new WorkQueue({
    handle,
    order: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
    concurrency,
    onError: () => undefined,
    retryMs: 5,
  });
}

describe("WorkQueue", () => {
  it("processes a key queued twice once, in order, only while active", async () => {
    const seen: string[] = [];
    const q = queue(async (k) => {
      seen.push(k);
      await Promise.resolve();
    });
    for (const k of ["c", "a", "b", "a"]) q.add(k);
    expect(seen).toEqual([]);
    q.setActive(true);
    await q.idle();
    expect(seen).toEqual(["a", "b", "c"]);
  });

  it("never runs one key concurrently, and reruns it when queued meanwhile", async () => {
    let running = 0;
    let max = 0;
    let runs = 0;
    const q = queue(async () => {
      running++;
      runs++;
      max = Math.max(max, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    }, 4);
    q.setActive(true);
    q.add("a");
    q.add("a");
    await new Promise((r) => setTimeout(r, 1));
    q.add("a");
    await q.idle();
    expect(max).toBe(1);
    expect(runs).toBe(2);
  });

  it("retries a key whose handler threw", async () => {
    let calls = 0;
    const q = queue(() => {
      calls++;
      return calls === 1 ? Promise.reject(new Error("boom")) : Promise.resolve();
    });
    q.setActive(true);
    q.add("x");
    await new Promise((r) => setTimeout(r, 50));
    await q.idle();
    expect(calls).toBe(2);
    q.stop();
  });
});
