import { describe, expect, it } from "vitest";
import { GratuitousSchedule } from "./gratuitous-schedule.ts";

const timing = { repeatMs: 1_100, burstMs: 5_000, refreshMs: 30_000 };

function sendTimes(schedule: GratuitousSchedule, until: number): number[] {
  const times: number[] = [];
  for (let now = 0; now <= until; now += 100) {
    if (schedule.due(now).length > 0) times.push(now);
  }
  return times;
}

describe("GratuitousSchedule", () => {
  it("sends at once, repeats through the burst, then refreshes slowly", () => {
    const s = new GratuitousSchedule(timing);
    s.arm("192.0.2.100", 0);
    expect(sendTimes(s, 70_000)).toEqual([0, 1_100, 2_200, 3_300, 4_400, 34_400, 64_400]);
  });

  it("drops the key after the burst when refresh is off", () => {
    const s = new GratuitousSchedule({ ...timing, refreshMs: 0 });
    s.arm("a", 0);
    expect(sendTimes(s, 20_000)).toEqual([0, 1_100, 2_200, 3_300, 4_400]);
    expect(s.size).toBe(0);
    expect(s.nextDue()).toBeUndefined();
  });

  it("re-arming during a burst extends it without a double send", () => {
    const s = new GratuitousSchedule({ ...timing, refreshMs: 0 });
    s.arm("a", 0);
    expect(s.due(0)).toEqual(["a"]);
    s.arm("a", 500);
    expect(s.due(500)).toEqual([]);
    expect(s.nextDue()).toBe(1_100);
    const later = sendTimes(s, 20_000).filter((t) => t > 0);
    expect(later.at(-1)).toBeGreaterThan(4_400);
    expect(later.at(-1)).toBeLessThanOrEqual(5_500);
  });

  it("removed keys are never due", () => {
    const s = new GratuitousSchedule(timing);
    s.arm("a", 0);
    s.arm("b", 0);
    s.remove("a");
    expect(s.due(0)).toEqual(["b"]);
    expect(s.nextDue()).toBe(1_100);
  });
});
