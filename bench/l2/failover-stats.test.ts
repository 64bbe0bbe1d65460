import { describe, expect, it } from "vitest";
import { summarizeFailover } from "./failover-stats.ts";

describe("summarizeFailover", () => {
  it("takes percentiles over the answered trials and counts the rest as timeouts", () => {
    const s = summarizeFailover([400, undefined, 100, 300, 200]);
    expect(s).toEqual({ answered: 4, timeouts: 1, p50Ms: 200, p99Ms: 400, maxMs: 400 });
  });

  it("uses nearest-rank percentiles, as the other benches do", () => {
    const samples = Array.from({ length: 20 }, (_, i) => (i + 1) * 10);
    const s = summarizeFailover(samples);
    expect(s.p50Ms).toBe(100);
    expect(s.p99Ms).toBe(200);
  });

  it("gives NaN figures, not zeros, when no trial was answered", () => {
    const s = summarizeFailover([undefined, undefined]);
    expect(s.answered).toBe(0);
    expect(s.timeouts).toBe(2);
    expect(s.p50Ms).toBeNaN();
    expect(s.maxMs).toBeNaN();
  });
});
