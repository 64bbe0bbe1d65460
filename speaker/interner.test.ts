import { describe, expect, it } from "vitest";
import { Interner } from "./interner.ts";

describe("Interner", () => {
  it("hands out the first value made for a key, and makes it once", () => {
    const interner = new Interner<string[]>();
    let made = 0;
    const make = () => {
      made++;
      return ["eth0"];
    };
    const a = interner.get("eth0", make);
    expect(interner.get("eth0", make)).toBe(a);
    expect(interner.get("eth1", () => ["eth1"])).not.toBe(a);
    expect(made).toBe(1);
  });

  it("starts over past its limit instead of growing", () => {
    const interner = new Interner<number>(3);
    for (let i = 0; i < 10; i++) interner.get(String(i), () => i);
    expect(interner.size).toBeLessThanOrEqual(3);
    expect(interner.get("9", () => -1)).toBe(9);
    expect(interner.get("0", () => -1)).toBe(-1);
  });
});
