import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../core/logger.ts";
import {
  decideTrim,
  HeapTrimmer,
  inspectorCollect,
  type Collect,
  type HeapTrimmerOptions,
  type TrimPolicy,
} from "./heap-trim.ts";

const POLICY = { quietMs: 10_000, minIntervalMs: 60_000 };

describe("decideTrim", () => {
  it("waits until the changes have been quiet for quietMs", () => {
    expect(decideTrim(POLICY, { now: 5_000, lastChange: 1_000, lastTrim: -Infinity })).toEqual({
      kind: "wait",
      ms: 6_000,
    });
  });

  it("waits out the minimum interval since the last trim", () => {
    expect(decideTrim(POLICY, { now: 100_000, lastChange: 80_000, lastTrim: 70_000 })).toEqual({
      kind: "wait",
      ms: 30_000,
    });
  });

  it("waits another quiet period while the speaker is busy", () => {
    expect(
      decideTrim(POLICY, { now: 100_000, lastChange: 0, lastTrim: -Infinity, busy: true }),
    ).toEqual({ kind: "wait", ms: 10_000 });
  });

  it("trims once both have passed", () => {
    expect(decideTrim(POLICY, { now: 100_000, lastChange: 90_000, lastTrim: 40_000 })).toEqual({
      kind: "trim",
    });
    expect(decideTrim(POLICY, { now: 10_000, lastChange: 0, lastTrim: -Infinity })).toEqual({
      kind: "trim",
    });
  });
});

describe("HeapTrimmer", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const log = createLogger("test", "silent");
  /** A trimmer on the fake clock. */
  const trimmer = (
    policy: TrimPolicy,
    collect: Collect,
    more: Partial<Pick<HeapTrimmerOptions, "signal" | "onTrim" | "busy">> = {},
  ) =>
    new HeapTrimmer({
      log,
      signal: new AbortController().signal,
      now: Date.now,
      ...policy,
      collect,
      ...more,
    });

  it("collects once after a burst of changes goes quiet, then only after new changes", async () => {
    vi.useFakeTimers();
    const collect = vi.fn(() => Promise.resolve());
    const trims: number[] = [];
    const t = trimmer({ quietMs: 1_000, minIntervalMs: 5_000 }, collect, {
      onTrim: (s) => trims.push(s),
    });
    for (let i = 0; i < 5; i++) {
      t.changed();
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(collect).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(collect).toHaveBeenCalledTimes(1);
    expect(trims).toHaveLength(1);
    // Quiet, nothing new: no more collections.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(collect).toHaveBeenCalledTimes(1);
    // A new change: trimmed once quiet again (the last trim is long past).
    t.changed();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(collect).toHaveBeenCalledTimes(2);
    // A change soon after that trim: quiet after 1 s, but the next trim waits
    // for 5 s since the last one.
    await vi.advanceTimersByTimeAsync(1_000);
    t.changed();
    await vi.advanceTimersByTimeAsync(3_500);
    expect(collect).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(600);
    expect(collect).toHaveBeenCalledTimes(3);
  });

  it("never collects when disabled (quietMs 0) or after the signal aborts", async () => {
    vi.useFakeTimers();
    const collect = vi.fn(() => Promise.resolve());
    const off = trimmer({ quietMs: 0, minIntervalMs: 0 }, collect);
    off.changed();
    const controller = new AbortController();
    const aborted = trimmer({ quietMs: 100, minIntervalMs: 0 }, collect, {
      signal: controller.signal,
    });
    aborted.changed();
    controller.abort();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(collect).not.toHaveBeenCalled();
  });

  it("postpones the trim while busy() says so", async () => {
    vi.useFakeTimers();
    const collect = vi.fn(() => Promise.resolve());
    let busy = true;
    const t = trimmer({ quietMs: 100, minIntervalMs: 0 }, collect, { busy: () => busy });
    t.changed();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(collect).not.toHaveBeenCalled();
    busy = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it("turns itself off when the collection fails (a Node without the inspector)", async () => {
    vi.useFakeTimers();
    const collect = vi.fn(() => Promise.reject(new Error("ERR_INSPECTOR_NOT_AVAILABLE")));
    const t = trimmer({ quietMs: 100, minIntervalMs: 0 }, collect);
    t.changed();
    await vi.advanceTimersByTimeAsync(200);
    t.changed();
    await vi.advanceTimersByTimeAsync(200);
    expect(collect).toHaveBeenCalledTimes(1);
  });
});

/** One object in twenty of those allocated survives. */
function fragmentedSurvivors(): { text: string; n: number[] }[] {
  const all: { text: string; n: number[] }[] = [];
  for (let i = 0; i < 400_000; i++) all.push({ text: `object ${String(i)}`, n: [i] });
  return all.filter((_, i) => i % 20 === 0);
}

describe("inspectorCollect", () => {
  it("compacts a fragmented heap: the heap V8 keeps shrinks", async () => {
    // One object in twenty survives: every page keeps a few live objects, so
    // only a compacting collection can give pages back.
    const survivors = fragmentedSurvivors();
    const before = process.memoryUsage().heapTotal;
    await inspectorCollect();
    const after = process.memoryUsage().heapTotal;
    expect(survivors).toHaveLength(20_000);
    expect(after).toBeLessThan(before * 0.7);
  });
});
