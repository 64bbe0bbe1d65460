import { describe, expect, it } from "vitest";
import { RecentRate } from "./recent-rate.ts";

describe("RecentRate", () => {
  it("reports the last full second, or the current one once it is higher", () => {
    const rate = new RecentRate();
    expect(rate.perSecond(0)).toBe(0);
    for (let i = 0; i < 50; i++) rate.record(1_000 + i);
    expect(rate.perSecond(1_500)).toBe(50);
    for (let i = 0; i < 20; i++) rate.record(2_000 + i);
    // Second 1 (50 events) is the last full one; second 2 has 20 so far.
    expect(rate.perSecond(2_100)).toBe(50);
    for (let i = 0; i < 60; i++) rate.record(2_200 + i);
    expect(rate.perSecond(2_300)).toBe(80);
  });

  it("forgets events older than the last full second", () => {
    const rate = new RecentRate();
    for (let i = 0; i < 500; i++) rate.record(1_000);
    expect(rate.perSecond(2_999)).toBe(500);
    expect(rate.perSecond(3_000)).toBe(0);
    rate.record(10_000);
    expect(rate.perSecond(11_000)).toBe(1);
    expect(rate.perSecond(12_500)).toBe(0);
  });
});
