import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChurnSafeMap } from "./churn-safe-map.ts";

describe("ChurnSafeMap", () => {
  it("behaves like a Map under random set/delete/get", () => {
    const op = fc.record({
      kind: fc.constantFrom("set", "delete", "get"),
      key: fc.integer({ min: 0, max: 40 }),
      value: fc.string(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const map = new ChurnSafeMap<number, { v: string }>();
        const model = new Map<number, { v: string }>();
        for (const { kind, key, value } of ops) {
          if (kind === "set") {
            map.set(key, { v: value });
            model.set(key, { v: value });
          } else if (kind === "delete") {
            expect(map.delete(key)).toBe(model.delete(key));
          } else {
            expect(map.get(key)).toEqual(model.get(key));
            expect(map.has(key)).toBe(model.has(key));
          }
          expect(map.size).toBe(model.size);
        }
        expect(new Map(map.entries())).toEqual(model);
        expect([...map.keys()].sort()).toEqual([...model.keys()].sort());
      }),
    );
  });

  it("reuses the entry when one key is deleted and set again", () => {
    const map = new ChurnSafeMap<string, number>();
    for (let i = 0; i < 5000; i++) map.set(`k${i}`, i);
    for (let i = 0; i < 100_000; i++) {
      map.set("probe", i);
      map.delete("probe");
    }
    expect(map.tableSize).toBe(5001);
    expect(map.size).toBe(5000);
  });

  it("rebuilds once tombstones outnumber live entries", () => {
    const map = new ChurnSafeMap<number, number>();
    for (let i = 0; i < 10_000; i++) map.set(i, i);
    for (let i = 0; i < 9_000; i++) map.delete(i);
    expect(map.size).toBe(1000);
    expect(map.tableSize).toBeLessThanOrEqual(2 * 1000 + 1025);
    expect(map.get(9_500)).toBe(9_500);
    expect(map.get(5)).toBeUndefined();
  });
});
