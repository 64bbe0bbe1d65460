import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressSet, type Interval } from "./address-set.ts";

function intervalsOf(set: AddressSet): [bigint, bigint][] {
  return [...set.intervals()].map((i: Interval) => [i.first, i.last]);
}

function setOf(...values: bigint[]): AddressSet {
  const s = new AddressSet();
  for (const v of values) s.add(v);
  return s;
}

describe("AddressSet", () => {
  it("merges neighbours on add, both sides at once", () => {
    const s = setOf(1n, 3n);
    expect(intervalsOf(s)).toEqual([
      [1n, 1n],
      [3n, 3n],
    ]);
    expect(s.add(2n)).toBe(true);
    expect(intervalsOf(s)).toEqual([[1n, 3n]]);
    expect(s.intervalCount).toBe(1);
    expect(s.size).toBe(3n);
    expect(s.add(2n)).toBe(false);
    expect(s.size).toBe(3n);
  });

  it("extends an interval at either end", () => {
    const s = setOf(10n);
    s.add(11n);
    s.add(9n);
    expect(intervalsOf(s)).toEqual([[9n, 11n]]);
  });

  it("splits an interval when deleting inside it, and trims its ends", () => {
    const s = setOf(1n, 2n, 3n, 4n, 5n);
    expect(s.delete(3n)).toBe(true);
    expect(intervalsOf(s)).toEqual([
      [1n, 2n],
      [4n, 5n],
    ]);
    s.delete(1n);
    s.delete(5n);
    expect(intervalsOf(s)).toEqual([
      [2n, 2n],
      [4n, 4n],
    ]);
    expect(s.delete(3n)).toBe(false);
    s.delete(2n);
    expect(intervalsOf(s)).toEqual([[4n, 4n]]);
    expect(s.size).toBe(1n);
    expect(s.intervalCount).toBe(1);
  });

  it("finds the first absent address at or after x, within a limit", () => {
    const s = setOf(5n, 6n, 7n, 9n);
    expect(s.firstAbsentAtOrAfter(0n, 100n)).toBe(0n);
    expect(s.firstAbsentAtOrAfter(5n, 100n)).toBe(8n);
    expect(s.firstAbsentAtOrAfter(6n, 100n)).toBe(8n);
    expect(s.firstAbsentAtOrAfter(9n, 100n)).toBe(10n);
    expect(s.firstAbsentAtOrAfter(5n, 7n)).toBeUndefined();
    expect(s.firstAbsentAtOrAfter(5n, 8n)).toBe(8n);
  });

  it("handles 128-bit values", () => {
    const top = (1n << 128n) - 1n;
    const s = setOf(top, top - 1n);
    expect(s.has(top)).toBe(true);
    expect(s.firstAbsentAtOrAfter(top - 1n, top)).toBeUndefined();
    expect(s.firstAbsentAtOrAfter(top - 2n, top)).toBe(top - 2n);
  });

  it("stays shallow when addresses arrive in ascending order", () => {
    const s = new AddressSet();
    for (let i = 0n; i < 20_000n; i++) s.add(i * 2n);
    expect(s.intervalCount).toBe(20_000);
    // A balanced tree of 20 000 nodes is ~15 deep; a treap stays within a few times that.
    expect(s.height).toBeLessThan(60);
  });

  it("keeps one interval for a sequential fill, whatever its length", () => {
    const s = new AddressSet();
    for (let i = 0n; i < 100_000n; i++) s.add(i);
    expect(s.intervalCount).toBe(1);
    expect(s.size).toBe(100_000n);
  });

  it("agrees with a Set<bigint> model on random add/delete/query sequences", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), x: fc.bigInt(0n, 63n) }),
      fc.record({ kind: fc.constant("delete" as const), x: fc.bigInt(0n, 63n) }),
      fc.record({
        kind: fc.constant("absent" as const),
        x: fc.bigInt(0n, 63n),
        limit: fc.bigInt(0n, 70n),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const s = new AddressSet();
        const model = new Set<bigint>();
        for (const o of ops) {
          if (o.kind === "add") {
            expect(s.add(o.x)).toBe(!model.has(o.x));
            model.add(o.x);
          } else if (o.kind === "delete") {
            expect(s.delete(o.x)).toBe(model.has(o.x));
            model.delete(o.x);
          } else {
            expect(s.firstAbsentAtOrAfter(o.x, o.limit)).toBe(modelFirstAbsent(model, o));
          }
          expect(s.size).toBe(BigInt(model.size));
        }
        for (let x = 0n; x < 64n; x++) expect(s.has(x)).toBe(model.has(x));
        expectCanonical(s, model);
      }),
      { numRuns: 300 },
    );
  });
});

function modelFirstAbsent(model: Set<bigint>, q: { x: bigint; limit: bigint }): bigint | undefined {
  for (let c = q.x; c <= q.limit; c++) if (!model.has(c)) return c;
  return undefined;
}

/** Intervals are sorted, disjoint, never adjacent, and cover exactly the model. */
function expectCanonical(s: AddressSet, model: Set<bigint>): void {
  const list = intervalsOf(s);
  let previousLast = -2n;
  let covered = 0n;
  for (const [first, last] of list) {
    expect(first).toBeGreaterThan(previousLast + 1n);
    expect(last).toBeGreaterThanOrEqual(first);
    covered += last - first + 1n;
    previousLast = last;
  }
  expect(covered).toBe(BigInt(model.size));
  expect(s.intervalCount).toBe(list.length);
}
