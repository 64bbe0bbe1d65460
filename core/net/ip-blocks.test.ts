import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIp, parseIp, type IpFamily } from "./ip-address-text.ts";
import {
  blockSize,
  formatCidr,
  formatIntersection,
  parseAddressBlock,
  rangeToCidrs,
  type AddressBlock,
  type BlockParseError,
  type Cidr,
} from "./ip-blocks.ts";

// Values written out by hand so the tests do not trust the parser they test.
const V4_192_0_2_0 = 0xc0000200n; // 192.0.2.0
const V6_DOC_64 = 0x20010db8000000010000000000000000n; // 2001:db8:0:1::/64
const V6_BITS = 128;

function block(text: string): AddressBlock {
  const r = parseAddressBlock(text);
  if (!r.ok) throw new Error(`expected ${text} to parse: ${JSON.stringify(r.error)}`);
  return r.block;
}

function parseError(text: string): BlockParseError {
  const r = parseAddressBlock(text);
  if (r.ok) throw new Error(`expected ${text} to be rejected`);
  return r.error;
}

function dottedQuad(text: string): bigint {
  return text.split(".").reduce((acc, octet) => acc * 256n + BigInt(Number(octet)), 0n);
}

const bitsOf = (family: IpFamily) => (family === "IPv4" ? 32 : V6_BITS);
const sizeOf = (c: Cidr) => 1n << BigInt(bitsOf(c.family) - c.prefixLength);

describe("parseIp", () => {
  it.each([
    ["0.0.0.0", 0n],
    ["192.0.2.1", 0xc0000201n],
    ["255.255.255.255", 0xffffffffn],
    ["10.0.0.100", 0x0a000064n],
  ])("reads IPv4 %s", (text, value) => {
    expect(parseIp(text)).toEqual({ family: "IPv4", value });
  });

  it.each([
    "010.0.0.1", // leading zero: octal to some parsers (CVE-2021-29923), Go rejects it
    "10.0.0.01",
    "00.1.2.3",
    "256.0.0.1",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.4 ",
    " 1.2.3.4",
    "+1.2.3.4",
    "1.2.3.-4",
    "0x0a.0.0.1",
    "१.2.3.4",
    "",
  ])("rejects IPv4-ish %j", (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it.each([
    ["::", 0n],
    ["::1", 1n],
    ["2001:db8::1", 0x20010db8000000000000000000000001n],
    ["2001:DB8::A", 0x20010db800000000000000000000000an],
    ["2001:db8:0:1::", V6_DOC_64],
    ["1:2:3:4:5:6:7:8", 0x00010002000300040005000600070008n],
    ["1:2:3:4:5:6:7::", 0x00010002000300040005000600070000n],
    ["::ffff:192.0.2.1", 0xffffc0000201n],
    ["2001:db8::01", 0x20010db8000000000000000000000001n],
  ])("reads IPv6 %s", (text, value) => {
    expect(parseIp(text)).toEqual({ family: "IPv6", value });
  });

  it.each([
    "fe80::1%eth0", // zones name an interface, not a pool address
    "fe80::1%25eth0",
    "::%1",
    "2001:db8::/64",
    "[::1]",
    "1::2::3",
    ":1",
    "1:",
    "::1:",
    "02001:db8::1",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8::",
    "g::1",
    " ::1",
    "::1 ",
    "::ffff:1.2.3",
    "::ffff:010.1.2.3",
  ])("rejects IPv6-ish %j", (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it("reads every dotted quad fast-check makes, with the value of its octets", () => {
    fc.assert(
      fc.property(fc.ipV4(), (text) => {
        expect(parseIp(text)).toEqual({ family: "IPv4", value: dottedQuad(text) });
      }),
    );
  });

  it("reads every IPv6 text fast-check makes", () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        expect(parseIp(text)?.family).toBe("IPv6");
      }),
    );
  });

  it("formatIp and parseIp round-trip every value of both families", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (value) => {
        const text = formatIp({ family: "IPv4", value });
        expect(text).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        expect(parseIp(text)).toEqual({ family: "IPv4", value });
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        expect(parseIp(formatIp({ family: "IPv6", value }))).toEqual({ family: "IPv6", value });
      }),
    );
  });

  it("formats IPv6 in RFC 5952 form", () => {
    expect(formatIp({ family: "IPv6", value: 0x20010db8000000000000000000000001n })).toBe(
      "2001:db8::1",
    );
    expect(formatIp({ family: "IPv6", value: 0n })).toBe("::");
  });
});

describe("parseAddressBlock: CIDRs", () => {
  it("reads an IPv4 CIDR as its closed interval", () => {
    const b = block("192.0.2.0/24");
    expect(b).toMatchObject({
      family: "IPv4",
      first: V4_192_0_2_0,
      last: V4_192_0_2_0 + 255n,
      hostBitsMasked: false,
    });
    expect(b.cidrs).toEqual([{ family: "IPv4", network: V4_192_0_2_0, prefixLength: 24 }]);
    expect(blockSize(b)).toBe(256n);
  });

  it("masks host bits as MetalLB does: 10.20.30.40/24 is 10.20.30.0/24, flagged", () => {
    const b = block("10.20.30.40/24");
    const network = (10n << 24n) | (20n << 16n) | (30n << 8n);
    expect(b.first).toBe(network);
    expect(b.last).toBe(network + 255n);
    expect(b.hostBitsMasked).toBe(true);
    expect(b.cidrs.map(formatCidr)).toEqual(["10.20.30.0/24"]);
  });

  it("masks IPv6 host bits too", () => {
    const b = block("2001:db8:0:1::77/64");
    expect(b.first).toBe(V6_DOC_64);
    expect(b.last).toBe(V6_DOC_64 + (1n << 64n) - 1n);
    expect(b.hostBitsMasked).toBe(true);
  });

  it("keeps the entry's text as written", () => {
    expect(block("10.20.30.40/24").text).toBe("10.20.30.40/24");
  });

  it("reads single addresses as /32 and /128", () => {
    expect(block("192.0.2.7/32")).toMatchObject({
      first: V4_192_0_2_0 + 7n,
      last: V4_192_0_2_0 + 7n,
      hostBitsMasked: false,
    });
    expect(block("::1/128")).toMatchObject({ family: "IPv6", first: 1n, last: 1n });
  });

  it("reads the whole space", () => {
    expect(block("0.0.0.0/0")).toMatchObject({ first: 0n, last: (1n << 32n) - 1n });
    expect(block("::/0")).toMatchObject({ first: 0n, last: (1n << 128n) - 1n });
  });

  it.each([
    ["192.0.2.1", /no prefix length/],
    ["192.0.2.0/33", /"33" is not a prefix length for IPv4/],
    ["2001:db8::/129", /"129" is not a prefix length for IPv6/],
    ["192.0.2.0/", /is not a prefix length/],
    ["192.0.2.0/ 24", /is not a prefix length/],
    ["192.0.2.0/24/1", /is not a prefix length/],
    ["192.0.2.0/+24", /is not a prefix length/],
    ["010.0.2.0/24", /is not an IP/],
    ["fe80::1%eth0/64", /is not an IP/],
    ["/24", /is not an IP/],
    ["", /no prefix length/],
  ])("rejects the CIDR %j", (text, detail) => {
    const e = parseError(text);
    expect(e.kind).toBe("invalid-cidr");
    expect(e.detail).toMatch(detail);
  });
});

describe("parseAddressBlock: ranges", () => {
  it("reads a range as its closed interval", () => {
    expect(block("192.0.2.10-192.0.2.20")).toMatchObject({
      family: "IPv4",
      first: V4_192_0_2_0 + 10n,
      last: V4_192_0_2_0 + 20n,
      hostBitsMasked: false,
    });
  });

  it("trims whitespace around each side (spaces and tabs), as MetalLB's TrimSpace", () => {
    for (const text of [
      "192.0.2.10 - 192.0.2.20",
      "  192.0.2.10-192.0.2.20  ",
      "192.0.2.10\t-\t192.0.2.20",
    ]) {
      const b = block(text);
      expect(b.first).toBe(V4_192_0_2_0 + 10n);
      expect(b.last).toBe(V4_192_0_2_0 + 20n);
      expect(b.text).toBe(text);
    }
  });

  it("reads a one-address range a-a", () => {
    const b = block("192.0.2.5-192.0.2.5");
    expect(b.first).toBe(b.last);
    expect(b.cidrs.map(formatCidr)).toEqual(["192.0.2.5/32"]);
  });

  it("reads IPv6 ranges", () => {
    const b = block("2001:db8::1-2001:db8::5");
    expect(b.family).toBe("IPv6");
    expect(b.cidrs.map(formatCidr)).toEqual([
      "2001:db8::1/128",
      "2001:db8::2/127",
      "2001:db8::4/127",
    ]);
  });

  it("rejects a reversed range, naming both ends", () => {
    const e = parseError("192.0.2.20-192.0.2.10");
    expect(e.kind).toBe("range-reversed");
    expect(e.detail).toContain("192.0.2.20");
    expect(e.detail).toContain("192.0.2.10");
  });

  it("rejects a range across families, either way round", () => {
    expect(parseError("192.0.2.1-2001:db8::1").kind).toBe("range-mixed-families");
    expect(parseError("2001:db8::1-192.0.2.1").kind).toBe("range-mixed-families");
  });

  it.each([
    ["-192.0.2.1", "invalid-range-start"],
    ["-", "invalid-range-start"],
    ["192.0.2.01-192.0.2.9", "invalid-range-start"],
    ["192.0.2.0/24-192.0.2.9", "invalid-range-start"],
    ["192.0.2.1-", "invalid-range-end"],
    ["192.0.2.1--192.0.2.9", "invalid-range-end"],
    ["192.0.2.1-192.0.2.300", "invalid-range-end"],
    ["fe80::1-fe80::2%eth0", "invalid-range-end"],
  ] as const)("rejects %j as %s", (text, kind) => {
    expect(parseError(text).kind).toBe(kind);
  });
});

describe("rangeToCidrs", () => {
  it("summarises MetalLB's example 3.3.3.2-3.3.3.254 into 13 CIDRs", () => {
    const b = block("3.3.3.2-3.3.3.254");
    expect(b.cidrs.map(formatCidr)).toEqual([
      "3.3.3.2/31",
      "3.3.3.4/30",
      "3.3.3.8/29",
      "3.3.3.16/28",
      "3.3.3.32/27",
      "3.3.3.64/26",
      "3.3.3.128/26",
      "3.3.3.192/27",
      "3.3.3.224/28",
      "3.3.3.240/29",
      "3.3.3.248/30",
      "3.3.3.252/31",
      "3.3.3.254/32",
    ]);
  });

  it("turns an aligned range into one CIDR", () => {
    expect(block("192.0.2.0-192.0.2.255").cidrs.map(formatCidr)).toEqual(["192.0.2.0/24"]);
    expect(rangeToCidrs("IPv4", 0n, (1n << 32n) - 1n)).toEqual([
      { family: "IPv4", network: 0n, prefixLength: 0 },
    ]);
    expect(rangeToCidrs("IPv6", 0n, (1n << 128n) - 1n)).toEqual([
      { family: "IPv6", network: 0n, prefixLength: 0 },
    ]);
  });

  /** The CIDRs are disjoint, aligned, in order, and tile [first, last] exactly. */
  function expectExactCover(family: IpFamily, first: bigint, last: bigint, cidrs: Cidr[]) {
    let next = first;
    let total = 0n;
    for (const c of cidrs) {
      const size = sizeOf(c);
      expect(c.family).toBe(family);
      expect(c.prefixLength).toBeGreaterThanOrEqual(0);
      expect(c.prefixLength).toBeLessThanOrEqual(bitsOf(family));
      expect(c.network % size).toBe(0n); // aligned
      expect(c.network).toBe(next); // contiguous, no gap, no overlap
      next = c.network + size;
      total += size;
    }
    expect(next).toBe(last + 1n);
    expect(total).toBe(last - first + 1n);
  }

  /**
   * Minimal: no CIDR could be replaced by its parent (the aligned block of
   * twice its size), because the parent would leave [first, last]. A cover
   * in which some parent fits inside the range always has two mergeable
   * siblings, so this is the same as "no smaller cover exists".
   */
  function expectMaximalBlocks(first: bigint, last: bigint, cidrs: Cidr[]) {
    expect(cidrs.length).toBeLessThanOrEqual(2 * bitsOf(cidrs[0]?.family ?? "IPv4"));
    for (const c of cidrs) {
      if (c.prefixLength === 0) continue;
      const parentSize = sizeOf(c) * 2n;
      const parentFirst = c.network - (c.network % parentSize);
      const parentLast = parentFirst + parentSize - 1n;
      expect(parentFirst < first || parentLast > last).toBe(true);
    }
  }

  /** Fewest aligned blocks tiling [first, last], by dynamic programming over every start. */
  function fewestBlocks(first: bigint, last: bigint): number {
    const best = new Map<bigint, number>([[last + 1n, 0]]);
    for (let at = last; at >= first; at--) {
      let min = Number.POSITIVE_INFINITY;
      for (let size = 1n; at % size === 0n && at + size - 1n <= last; size *= 2n) {
        min = Math.min(min, 1 + (best.get(at + size) ?? Number.POSITIVE_INFINITY));
      }
      best.set(at, min);
    }
    return best.get(first) ?? -1;
  }

  const orderedPair = (min: bigint, max: bigint) =>
    fc
      .tuple(fc.bigInt({ min, max }), fc.bigInt({ min, max }))
      .map(([a, b]) => (a <= b ? ([a, b] as const) : ([b, a] as const)));

  it("covers any IPv4 range exactly with maximal aligned blocks", () => {
    fc.assert(
      fc.property(orderedPair(0n, (1n << 32n) - 1n), ([first, last]) => {
        const cidrs = rangeToCidrs("IPv4", first, last);
        expectExactCover("IPv4", first, last, cidrs);
        expectMaximalBlocks(first, last, cidrs);
      }),
    );
  });

  it("uses the fewest blocks possible on a small window (brute force)", () => {
    fc.assert(
      fc.property(orderedPair(V4_192_0_2_0, V4_192_0_2_0 + 255n), ([first, last]) => {
        const cidrs = rangeToCidrs("IPv4", first, last);
        expectExactCover("IPv4", first, last, cidrs);
        expect(cidrs.length).toBe(fewestBlocks(first, last));
      }),
      { numRuns: 300 },
    );
  });

  it("covers any IPv6 range inside a /64 exactly with maximal aligned blocks", () => {
    fc.assert(
      fc.property(orderedPair(V6_DOC_64, V6_DOC_64 + (1n << 64n) - 1n), ([first, last]) => {
        const cidrs = rangeToCidrs("IPv6", first, last);
        expectExactCover("IPv6", first, last, cidrs);
        expectMaximalBlocks(first, last, cidrs);
        for (const c of cidrs) expect(c.prefixLength).toBeGreaterThanOrEqual(64);
      }),
    );
  });

  it("covers any IPv6 range in the whole space", () => {
    fc.assert(
      fc.property(orderedPair(0n, (1n << 128n) - 1n), ([first, last]) => {
        const cidrs = rangeToCidrs("IPv6", first, last);
        expectExactCover("IPv6", first, last, cidrs);
        expectMaximalBlocks(first, last, cidrs);
      }),
    );
  });

  it("gives parseAddressBlock's range blocks the same cover as the interval they denote", () => {
    fc.assert(
      fc.property(orderedPair(0n, (1n << 32n) - 1n), ([first, last]) => {
        const text = `${formatIp({ family: "IPv4", value: first })}-${formatIp({ family: "IPv4", value: last })}`;
        const b = block(text);
        expect([b.first, b.last]).toEqual([first, last]);
        expectExactCover("IPv4", first, last, [...b.cidrs]);
      }),
    );
  });
});

describe("formatIntersection", () => {
  it("prints the shared addresses, one address without a dash, or nothing", () => {
    const a = block("192.0.2.0/28");
    expect(formatIntersection("IPv4", a, block("192.0.2.8-192.0.2.20"))).toBe(
      "192.0.2.8-192.0.2.15",
    );
    expect(formatIntersection("IPv4", a, block("192.0.2.15-192.0.2.20"))).toBe("192.0.2.15");
    expect(formatIntersection("IPv4", a, block("192.0.2.16/28"))).toBeUndefined();
  });
});

describe("parseAddressBlock never throws", () => {
  it("for arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (text) => {
        const r = parseAddressBlock(text);
        if (r.ok) {
          expect(r.block.first).toBeLessThanOrEqual(r.block.last);
          expect(r.block.cidrs.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("for strings made of address characters", () => {
    const chars = fc.constantFrom(..."0123456789abcdefABCDEF.:/-% x".split(""));
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 40 }), (text) => {
        const r = parseAddressBlock(text);
        if (r.ok) {
          expect(r.block.first).toBeLessThanOrEqual(r.block.last);
          const size = r.block.cidrs.reduce((acc, c) => acc + sizeOf(c), 0n);
          expect(size).toBe(blockSize(r.block));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
