import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCommunity, WELL_KNOWN_COMMUNITIES } from "./community-value.ts";

describe("parseCommunity: standard A:B (RFC 1997)", () => {
  it.each([
    ["0:0", 0],
    ["1:2", 0x0001_0002],
    ["64512:100", 64512 * 65536 + 100],
    ["65535:65535", 0xffff_ffff],
    ["01:2", 0x0001_0002], // Go's ParseUint accepts leading zeros
  ])("%j is the 32-bit value %d", (text, value) => {
    expect(parseCommunity(text)).toEqual({ ok: true, value: { kind: "standard", value } });
  });

  it.each([
    "65536:0",
    "0:65536",
    "99999999:1",
    "1:99999999",
    "-1:2",
    "1:-2",
    "a:b",
    ":",
    "1:",
    ":1",
    "1 :2",
    "1:2 ",
    "1.5:2",
    "0x1:2",
  ])("%j is invalid, not an alias", (text) => {
    const r = parseCommunity(text);
    expect(r).toMatchObject({ ok: false, kind: "invalid" });
    if (!r.ok && r.kind === "invalid") {
      expect(r.reason).toContain(`"${text}"`);
      expect(r.reason).toContain("65535");
    }
  });

  it("accepts every pair of 16-bit numbers and packs them high:low", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        (a, b) => {
          expect(parseCommunity(`${a}:${b}`)).toEqual({
            ok: true,
            value: { kind: "standard", value: a * 0x10000 + b },
          });
        },
      ),
    );
  });

  it("rejects any part above 16 bits", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0x10000, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.boolean(),
        (big, small, bigFirst) => {
          const text = bigFirst ? `${big}:${small}` : `${small}:${big}`;
          expect(parseCommunity(text)).toMatchObject({ ok: false, kind: "invalid" });
        },
      ),
    );
  });
});

describe("parseCommunity: large:A:B:C (RFC 8092)", () => {
  it.each([
    ["large:0:0:0", [0, 0, 0]],
    ["large:64512:1:2", [64512, 1, 2]],
    ["large:4294967295:4294967295:4294967295", [0xffff_ffff, 0xffff_ffff, 0xffff_ffff]],
  ] as const)("%j", (text, [global, local1, local2]) => {
    expect(parseCommunity(text)).toEqual({
      ok: true,
      value: { kind: "large", global, local1, local2 },
    });
  });

  it.each([
    "large:4294967296:0:0",
    "large:0:4294967296:0",
    "large:0:0:4294967296",
    "large:1:x:2",
    "large:1::2",
    "large:-1:1:2",
    "lar:1:2:3", // MetalLB: a value error, not an alias
    "LARGE:1:2:3",
    "1:2:3:4",
  ])("%j is invalid", (text) => {
    expect(parseCommunity(text)).toMatchObject({ ok: false, kind: "invalid" });
  });

  it("accepts every triple of 32-bit numbers", () => {
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    fc.assert(
      fc.property(u32, u32, u32, (g, a, b) => {
        expect(parseCommunity(`large:${g}:${a}:${b}`)).toEqual({
          ok: true,
          value: { kind: "large", global: g, local1: a, local2: b },
        });
      }),
    );
  });
});

describe("parseCommunity: well-known names", () => {
  // Values from the RFCs, written out here rather than read from the table under test.
  it.each([
    ["no-export", 0xffffff01], // RFC 1997
    ["no-advertise", 0xffffff02], // RFC 1997
    ["no-export-subconfed", 0xffffff03], // RFC 1997
    ["no-peer", 0xffffff04], // RFC 3765
    ["blackhole", 0xffff029a], // RFC 7999
    ["graceful-shutdown", 0xffff0000], // RFC 8326
    ["accept-own", 0xffff0001], // RFC 7611
  ])("%s is %d", (name, value) => {
    expect(parseCommunity(name)).toEqual({ ok: true, value: { kind: "standard", value } });
  });

  it("are matched exactly (case and inherited keys do not count)", () => {
    expect(parseCommunity("NO-EXPORT")).toEqual({ ok: false, kind: "not-a-value" });
    expect(parseCommunity("no-export ")).toEqual({ ok: false, kind: "not-a-value" });
    expect(parseCommunity("toString")).toEqual({ ok: false, kind: "not-a-value" });
    expect(parseCommunity("constructor")).toEqual({ ok: false, kind: "not-a-value" });
    expect(parseCommunity("__proto__")).toEqual({ ok: false, kind: "not-a-value" });
  });

  it("every table entry parses to its value", () => {
    for (const [name, value] of Object.entries(WELL_KNOWN_COMMUNITIES)) {
      expect(parseCommunity(name)).toEqual({ ok: true, value: { kind: "standard", value } });
    }
  });
});

describe("parseCommunity: not a value (read as an alias name)", () => {
  it.each(["", "1234", "community", "my-alias", "a:b:c", "1:2:3", "large:1:2", "a:b:c:d:e"])(
    "%j",
    (text) => {
      expect(parseCommunity(text)).toEqual({ ok: false, kind: "not-a-value" });
    },
  );

  it("anything without a colon that is not a well-known name", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes(":") && !Object.hasOwn(WELL_KNOWN_COMMUNITIES, s)),
        (text) => {
          expect(parseCommunity(text)).toEqual({ ok: false, kind: "not-a-value" });
        },
      ),
    );
  });
});
