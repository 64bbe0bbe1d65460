import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countGood, fromGoodIndex, goodIndexRange, isBuggy, toGoodIndex } from "./buggy-ips.ts";

const v4 = (value: bigint): { family: "IPv4"; value: bigint } => ({
  family: "IPv4" as const,
  value,
});
const good = (v: bigint): boolean => v % 256n !== 0n && v % 256n !== 255n;

describe("buggy IPv4 addresses", () => {
  it("are the ones ending in .0 and .255, IPv4 only", () => {
    expect(isBuggy(v4(0xc0000200n))).toBe(true); // 192.0.2.0
    expect(isBuggy(v4(0xc00002ffn))).toBe(true); // 192.0.2.255
    expect(isBuggy(v4(0xc0000201n))).toBe(false);
    expect(isBuggy({ family: "IPv6", value: 0x100n })).toBe(false);
  });

  it("numbers good addresses densely: index 0 is x.x.x.1, 253 is .254, 254 is the next /24's .1", () => {
    expect(toGoodIndex(1n)).toBe(0n);
    expect(toGoodIndex(254n)).toBe(253n);
    expect(toGoodIndex(257n)).toBe(254n);
    expect(fromGoodIndex(254n)).toBe(257n);
  });

  it("round-trips every good address and counts like brute force", () => {
    fc.assert(
      fc.property(fc.bigInt(0n, 4000n), fc.bigInt(0n, 700n), (first, length) => {
        const last = first + length;
        let brute = 0n;
        for (let v = first; v <= last; v++) {
          if (!good(v)) continue;
          brute++;
          expect(fromGoodIndex(toGoodIndex(v))).toBe(v);
        }
        expect(countGood(first, last)).toBe(brute);
        const range = goodIndexRange(first, last);
        if (brute === 0n) expect(range).toBeUndefined();
        else expect(range && range.last - range.first + 1n).toBe(brute);
      }),
    );
  });

  it("finds no good address in a /31 at .255-.0 across a /24 boundary", () => {
    expect(goodIndexRange(255n, 256n)).toBeUndefined();
    expect(countGood(255n, 256n)).toBe(0n);
  });
});
