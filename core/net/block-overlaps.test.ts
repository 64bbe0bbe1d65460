import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMPTY_CONFIG_SET } from "../validation/config-set.ts";
import { validateConfigSet } from "../validation/validate-config-set.ts";
import { findOverlaps, type OwnedBlock } from "./block-overlaps.ts";
import type { IpFamily } from "./ip-address-text.ts";

// A tiny IPv4 window (10.0.0.0-10.0.0.63) and a tiny IPv6 one (2001:db8::-2001:db8::3f),
// so random blocks collide often and every address can be enumerated.
const V4_BASE = 0x0a000000n;
const V6_BASE = 0x20010db8000000000000000000000000n;
const WINDOW = 64n;

type Block = OwnedBlock<number>;

const blockArb = (owner: number) =>
  fc
    .record({
      family: fc.constantFrom<IpFamily>("IPv4", "IPv4", "IPv4", "IPv6"),
      a: fc.bigInt({ min: 0n, max: WINDOW - 1n }),
      b: fc.bigInt({ min: 0n, max: WINDOW - 1n }),
    })
    .map(({ family, a, b }): Block => {
      const base = family === "IPv4" ? V4_BASE : V6_BASE;
      return {
        owner,
        family,
        first: base + (a < b ? a : b),
        last: base + (a < b ? b : a),
      };
    });

const blocksArb = fc
  .integer({ min: 0, max: 14 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => blockArb(i))));

const key = (a: number, b: number) => `${a}-${b}`;

/** O(n²) over every pair of intervals. */
function pairsByIntervals(blocks: readonly Block[]): Set<string> {
  const out = new Set<string>();
  blocks.forEach((x, i) => {
    blocks.forEach((y, j) => {
      if (i < j && x.family === y.family && x.first <= y.last && y.first <= x.last) {
        out.add(key(x.owner, y.owner));
      }
    });
  });
  return out;
}

/** Address by address over the whole window: which blocks hold each address. */
function pairsByAddresses(blocks: readonly Block[]): Set<string> {
  const out = new Set<string>();
  for (const [family, base] of [
    ["IPv4", V4_BASE],
    ["IPv6", V6_BASE],
  ] as const) {
    for (let addr = base; addr < base + WINDOW; addr++) {
      const holders = blocks.filter(
        (b) => b.family === family && b.first <= addr && addr <= b.last,
      );
      for (const [i, x] of holders.entries()) {
        for (const y of holders.slice(i + 1)) out.add(key(x.owner, y.owner));
      }
    }
  }
  return out;
}

describe("findOverlaps", () => {
  it("finds exactly the pairs a brute force finds, each once, in input order", () => {
    fc.assert(
      fc.property(blocksArb, (blocks) => {
        const found = findOverlaps(blocks);
        const keys = found.map(([a, b]) => key(a.owner, b.owner));
        // Each pair once, in input order (owners are input indexes).
        expect(new Set(keys).size).toBe(keys.length);
        for (const [a, b] of found) expect(a.owner).toBeLessThan(b.owner);
        // The pairs are the blocks themselves, not copies.
        for (const [a, b] of found) {
          expect(blocks[a.owner]).toBe(a);
          expect(blocks[b.owner]).toBe(b);
        }
        const expected = pairsByIntervals(blocks);
        expect(new Set(keys)).toEqual(expected);
        expect(pairsByAddresses(blocks)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it("is indifferent to the order blocks come in, up to the order inside each pair", () => {
    fc.assert(
      fc.property(
        blocksArb.chain((blocks) => fc.tuple(fc.constant(blocks), fc.shuffledSubarray(blocks))),
        ([blocks, subset]) => {
          const pairs = (list: readonly Block[]) =>
            new Set(
              findOverlaps(list).map(([a, b]) =>
                key(Math.min(a.owner, b.owner), Math.max(a.owner, b.owner)),
              ),
            );
          const all = pairs(blocks);
          const sub = pairs(subset);
          const inSubset = new Set(subset.map((b) => b.owner));
          const expected = [...all].filter((k) => {
            const [a, b] = k.split("-").map(Number);
            return inSubset.has(a ?? -1) && inSubset.has(b ?? -1);
          });
          expect(sub).toEqual(new Set(expected));
          // Pairs follow the order of the list given, whatever it is.
          for (const [a, b] of findOverlaps(subset)) {
            expect(subset.indexOf(a)).toBeLessThan(subset.indexOf(b));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never pairs blocks of different families, even with equal numbers", () => {
    const v4: Block = { owner: 0, family: "IPv4", first: 0n, last: 1000n };
    const v6: Block = { owner: 1, family: "IPv6", first: 0n, last: 1000n };
    expect(findOverlaps([v4, v6])).toEqual([]);
    expect(findOverlaps([v6, v4])).toEqual([]);
  });

  it("counts touching ends as overlap and adjacent blocks as none", () => {
    const a: Block = { owner: 0, family: "IPv4", first: 10n, last: 20n };
    const touching: Block = { owner: 1, family: "IPv4", first: 20n, last: 30n };
    const adjacent: Block = { owner: 2, family: "IPv4", first: 21n, last: 30n };
    expect(findOverlaps([a, touching])).toEqual([[a, touching]]);
    expect(findOverlaps([a, adjacent])).toEqual([]);
  });

  it("orders each pair by input position, not by address", () => {
    const high: Block = { owner: 0, family: "IPv4", first: 50n, last: 60n };
    const low: Block = { owner: 1, family: "IPv4", first: 0n, last: 55n };
    expect(findOverlaps([high, low])).toEqual([[high, low]]);
  });

  it("reports a block nested in a long one even after shorter ones end", () => {
    const long: Block = { owner: 0, family: "IPv4", first: 0n, last: 100n };
    const short: Block = { owner: 1, family: "IPv4", first: 1n, last: 2n };
    const late: Block = { owner: 2, family: "IPv4", first: 90n, last: 95n };
    const pairs = findOverlaps([long, short, late]).map(([a, b]) => [a.owner, b.owner]);
    expect(pairs).toHaveLength(2);
    expect(pairs).toEqual(
      expect.arrayContaining([
        [0, 1],
        [0, 2],
      ]),
    );
  });

  it("pairs identical blocks", () => {
    const a: Block = { owner: 0, family: "IPv6", first: 5n, last: 5n };
    const b: Block = { owner: 1, family: "IPv6", first: 5n, last: 5n };
    expect(findOverlaps([a, b])).toEqual([[a, b]]);
  });
});

// The same property through the pool rules: entries written as CIDRs and
// ranges, spread over random pools, give one POOL_OVERLAP per overlapping pair.
describe("POOL_OVERLAP on random pools", () => {
  const v4 = (n: bigint) => `10.0.0.${n}`;
  const v6 = (n: bigint) => `2001:db8::${n.toString(16)}`;

  const entryArb = fc.oneof(
    // a range
    fc
      .record({
        v6: fc.boolean(),
        a: fc.bigInt({ min: 0n, max: WINDOW - 1n }),
        b: fc.bigInt({ min: 0n, max: WINDOW - 1n }),
      })
      .map(({ v6: six, a, b }) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const fmt = six ? v6 : v4;
        return { text: `${fmt(lo)}-${fmt(hi)}`, family: six ? "IPv6" : "IPv4", lo, hi };
      }),
    // a CIDR of 1 to 64 addresses, inside the window
    fc
      .record({ v6: fc.boolean(), hostBits: fc.integer({ min: 0, max: 6 }), at: fc.nat(63) })
      .map(({ v6: six, hostBits, at }) => {
        const size = 1n << BigInt(hostBits);
        const lo = (BigInt(at) / size) * size;
        const prefix = (six ? 128 : 32) - hostBits;
        return {
          text: `${(six ? v6 : v4)(lo)}/${prefix}`,
          family: six ? "IPv6" : "IPv4",
          lo,
          hi: lo + size - 1n,
        };
      }),
  );

  it("reports every overlapping pair of entries once, on the later pool by name", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(entryArb, { minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 5,
        }),
        (poolEntries) => {
          const pools = poolEntries.map((entries, i) => ({
            apiVersion: "metallb.io/v1beta1",
            kind: "IPAddressPool",
            metadata: { name: `pool-${i}`, namespace: "metallb-system" },
            spec: { addresses: entries.map((e) => e.text) },
          }));
          const flat = poolEntries.flatMap((entries, p) =>
            entries.map((e, index) => ({ ...e, pool: p, index })),
          );
          let expected = 0;
          flat.forEach((x, i) => {
            for (const y of flat.slice(i + 1)) {
              if (x.family === y.family && x.lo <= y.hi && y.lo <= x.hi) expected++;
            }
          });
          const problems = validateConfigSet({ ...EMPTY_CONFIG_SET, pools });
          const overlaps = problems.filter((p) => p.code === "POOL_OVERLAP");
          expect(overlaps).toHaveLength(expected);
          for (const p of overlaps) {
            expect(p.severity).toBe("error");
            expect(p.field).toMatch(/^spec\.addresses\[\d+\]$/);
            if (p.related !== undefined) {
              // Reported on the later pool by name, naming the earlier one.
              expect(p.related.name < p.object.name).toBe(true);
              expect(p.message).toContain(`IPAddressPool "${p.related.name}"`);
            }
          }
          expect(problems.filter((p) => p.severity === "error")).toHaveLength(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
