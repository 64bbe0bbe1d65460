// Malformed input → the NOTIFICATION RFC 4271 §6 says to send, as a value.
import { describe, expect, it } from "vitest";
import { community } from "./attributes.ts";
import { decodeMessage } from "./messages.ts";
import { encodeNotification } from "./notification.ts";
import { encodeOpen } from "./open.ts";
import { MessageSplitter } from "./splitter.ts";
import { encodeUpdate, packAnnouncements } from "./update.ts";
import { encodeCapability } from "./capabilities.ts";

const MARKER = "ff".repeat(16);
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ""), "hex"));
const four = { fourOctetAs: true };

function frame(type: number, body: string): Uint8Array {
  const b = bytes(body);
  return bytes(
    `${MARKER}${(19 + b.length).toString(16).padStart(4, "0")}${type.toString(16).padStart(2, "0")}${body}`,
  );
}

function notificationOf(frameBytes: Uint8Array): [number, number, string] {
  const r = decodeMessage(frameBytes, four);
  if (r.ok) throw new Error(`decoded ${r.message.type}`);
  return [
    r.notification.code,
    r.notification.subcode,
    Buffer.from(r.notification.data).toString("hex"),
  ];
}

function updateWith(attrs: string, nlri = ""): Uint8Array {
  const a = bytes(attrs);
  return frame(2, `0000${a.length.toString(16).padStart(4, "0")}${attrs}${nlri}`);
}

const GOOD_ATTRS = "40010100 400200 4003040a000001".replace(/\s+/g, "");

describe("header errors (§6.1)", () => {
  it("bad marker → 1/1", () => {
    const f = frame(4, "");
    f[3] = 0;
    expect(notificationOf(f)).toEqual([1, 1, ""]);
  });
  it("length below 19 or above 4096 → 1/2 with the length", () => {
    const s = new MessageSplitter();
    const out = s.push(bytes(`${MARKER}001204`));
    expect(out).toEqual([
      { ok: false, notification: { code: 1, subcode: 2, data: bytes("0012") } },
    ]);
    expect(s.failed).toBe(true);
    expect(s.push(bytes(`${MARKER}001304`))).toEqual([]);
    const big = new MessageSplitter().push(bytes(`${MARKER}100102`));
    expect(big).toEqual([
      { ok: false, notification: { code: 1, subcode: 2, data: bytes("1001") } },
    ]);
  });
  it("unknown type → 1/3 with the type", () => {
    expect(notificationOf(frame(9, ""))).toEqual([1, 3, "09"]);
  });
  it("type-specific lengths → 1/2", () => {
    expect(notificationOf(frame(4, "00"))).toEqual([1, 2, "0014"]);
    expect(notificationOf(frame(1, "04"))).toEqual([1, 2, "0014"]);
    expect(notificationOf(frame(2, "00"))).toEqual([1, 2, "0014"]);
    expect(notificationOf(frame(3, ""))).toEqual([1, 2, "0013"]);
  });
  it("ROUTE-REFRESH of the wrong length → 7/1 with the message (RFC 7313)", () => {
    const f = frame(5, "0001000100");
    expect(notificationOf(f)).toEqual([7, 1, Buffer.from(f).toString("hex")]);
  });
});

describe("OPEN errors (§6.2)", () => {
  const open = (body: string): Uint8Array => frame(1, body);
  it("version ≠ 4 → 2/1 with the supported version", () => {
    expect(notificationOf(open("03 fc00 005a 0a000001 00"))).toEqual([2, 1, "0004"]);
  });
  it("hold time 1 or 2 → 2/6; 0 and 3 are fine", () => {
    expect(notificationOf(open("04 fc00 0002 0a000001 00"))).toEqual([2, 6, ""]);
    expect(notificationOf(open("04 fc00 0001 0a000001 00"))).toEqual([2, 6, ""]);
    expect(decodeMessage(open("04 fc00 0000 0a000001 00"), four).ok).toBe(true);
    expect(decodeMessage(open("04 fc00 0003 0a000001 00"), four).ok).toBe(true);
  });
  it("zero BGP Identifier → 2/3", () => {
    expect(notificationOf(open("04 fc00 005a 00000000 00"))).toEqual([2, 3, ""]);
  });
  it("optional parameter other than capabilities → 2/4", () => {
    expect(notificationOf(open("04 fc00 005a 0a000001 03 010100"))).toEqual([2, 4, ""]);
  });
  it("inconsistent optional parameter lengths → 2/0", () => {
    expect(notificationOf(open("04 fc00 005a 0a000001 04 020501"))).toEqual([2, 0, ""]);
    expect(notificationOf(open("04 fc00 005a 0a000001 03 0201ff"))).toEqual([2, 0, ""]);
  });
  it("unknown capabilities are kept, not rejected (RFC 5492)", () => {
    const r = decodeMessage(open("04 fc00 005a 0a000001 05 0203 460100"), four);
    expect(r).toMatchObject({
      ok: true,
      message: { capabilities: [{ kind: "unknown", code: 0x46 }] },
    });
  });
  it("capabilities spread over several optional parameters are all read", () => {
    const r = decodeMessage(open("04 fc00 005a 0a000001 0c 0202 0200 0206 41040000fde8"), four);
    expect(r).toMatchObject({
      ok: true,
      message: { asn: 65000, capabilities: [{ kind: "routeRefresh" }, { kind: "fourOctetAs" }] },
    });
  });
});

describe("UPDATE errors (§6.3)", () => {
  it("withdrawn length past the end → 3/1", () => {
    expect(notificationOf(frame(2, "0010 0000"))).toEqual([3, 1, ""]);
  });
  it("path attribute length past the end → 3/1", () => {
    expect(notificationOf(frame(2, "0000 0010"))).toEqual([3, 1, ""]);
  });
  it("attribute value past the attribute list → 3/5", () => {
    expect(notificationOf(updateWith("400105"))).toEqual([3, 5, ""]);
  });
  it("ORIGIN 3 → 3/6 with the attribute", () => {
    expect(notificationOf(updateWith("40010103"))).toEqual([3, 6, "40010103"]);
  });
  it("ORIGIN marked optional → 3/4 with the attribute", () => {
    expect(notificationOf(updateWith("c0010100"))).toEqual([3, 4, "c0010100"]);
  });
  it("ORIGIN of 2 octets → 3/5 with the attribute", () => {
    expect(notificationOf(updateWith("4001020000"))).toEqual([3, 5, "4001020000"]);
  });
  it("unrecognized well-known attribute → 3/2; unknown optional ones are kept", () => {
    expect(notificationOf(updateWith("40630100"))).toEqual([3, 2, "40630100"]);
    const r = decodeMessage(updateWith("c0630100"), four);
    expect(r).toMatchObject({
      ok: true,
      message: { attributes: { other: [{ flags: 0xc0, type: 0x63 }] } },
    });
  });
  it("NLRI without NEXT_HOP → 3/3 with the missing type", () => {
    expect(notificationOf(updateWith("40010100 400200", "080a"))).toEqual([3, 3, "03"]);
    expect(notificationOf(updateWith("400200 4003040a000001", "080a"))).toEqual([3, 3, "01"]);
  });
  it("NEXT_HOP 0.0.0.0 or multicast → 3/8", () => {
    expect(notificationOf(updateWith("40010100 400200 40030400000000", "080a"))).toEqual([
      3,
      8,
      "40030400000000",
    ]);
    expect(notificationOf(updateWith("40010100 400200 400304e0000001", "080a"))).toEqual([
      3,
      8,
      "400304e0000001",
    ]);
  });
  it("bad prefix in NLRI or withdrawn → 3/10", () => {
    expect(notificationOf(updateWith(GOOD_ATTRS, "210a000000"))).toEqual([3, 10, ""]);
    expect(notificationOf(updateWith(GOOD_ATTRS, "180a00"))).toEqual([3, 10, ""]);
    expect(notificationOf(frame(2, "0002 210a 0000"))).toEqual([3, 10, ""]);
  });
  it("trailing host bits are irrelevant on receive (§4.3) and cleared", () => {
    const r = decodeMessage(updateWith(GOOD_ATTRS, "180a0101"), four);
    expect(r).toMatchObject({ ok: true, message: { nlri: ["10.1.1.0/24"] } });
  });
  it("malformed AS_PATH → 3/11", () => {
    expect(notificationOf(updateWith("40020402010000"))).toEqual([3, 11, ""]);
    expect(notificationOf(updateWith("4002020700"))).toEqual([3, 11, ""]);
    expect(notificationOf(updateWith("4002020200"))).toEqual([3, 11, ""]);
  });
  it("attribute repeated → 3/1", () => {
    expect(notificationOf(updateWith("40010100 40010100"))).toEqual([3, 1, ""]);
  });
  it("communities not a multiple of 4 → 3/9", () => {
    expect(notificationOf(updateWith("c00803000000"))).toEqual([3, 9, "c00803000000"]);
  });
  it("bad MP_REACH next-hop length → 3/9", () => {
    expect(notificationOf(updateWith("800e08 0002 01 03 000000 00"))).toEqual([
      3,
      9,
      "800e080002010300000000",
    ]);
  });
  it("MP_REACH for an unparsed AFI/SAFI is kept raw", () => {
    const r = decodeMessage(updateWith("800e05 0019 46 00 00"), four);
    expect(r).toMatchObject({ ok: true, message: { attributes: { other: [{ type: 14 }] } } });
  });
});

describe("encoders check widths (RangeError)", () => {
  const base = {
    type: "open",
    asn: 65000,
    holdTime: 90,
    bgpId: "10.0.0.1",
    capabilities: [],
  } as const;
  it("OPEN", () => {
    expect(() => encodeOpen({ ...base, asn: 2 ** 32 })).toThrow(RangeError);
    expect(() => encodeOpen({ ...base, asn: 70000 })).toThrow(RangeError); // needs the 4-octet capability
    expect(() => encodeOpen({ ...base, holdTime: 65536 })).toThrow(RangeError);
    expect(() => encodeOpen({ ...base, holdTime: 2 })).toThrow(RangeError);
    expect(() => encodeOpen({ ...base, bgpId: "10.0.0.256" })).toThrow(RangeError);
    expect(() => encodeCapability({ kind: "fourOctetAs", asn: 2 ** 32 })).toThrow(RangeError);
    expect(() =>
      encodeCapability({ kind: "gracefulRestart", flags: 0, restartTime: 4096, families: [] }),
    ).toThrow(RangeError);
  });
  it("UPDATE", () => {
    const u = (attributes: object, nlri: string[] = []): Uint8Array =>
      encodeUpdate({ withdrawn: [], attributes, nlri }, four);
    expect(() => community(65536, 1)).toThrow(RangeError);
    expect(() => community(1, -1)).toThrow(RangeError);
    expect(() => u({ communities: [2 ** 32] })).toThrow(RangeError);
    expect(() =>
      u({ largeCommunities: [{ globalAdmin: 1, localData1: 2 ** 32, localData2: 0 }] }),
    ).toThrow(RangeError);
    expect(() => u({ asPath: [{ type: 2, asns: [2 ** 32] }] })).toThrow(RangeError);
    expect(() => u({ localPref: -1 })).toThrow(RangeError);
    expect(() => u({}, ["10.0.0.1/24"])).toThrow(RangeError); // host bits
    expect(() => u({}, ["2001:db8::/32"])).toThrow(RangeError); // IPv6 outside MP_REACH
    const many = Array.from({ length: 1100 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    expect(() => u({ origin: 0, asPath: [], nextHop: "10.0.0.1" }, many)).toThrow(RangeError);
    expect(
      packAnnouncements(
        { attributes: { origin: 0, asPath: [], nextHop: "10.0.0.1" }, prefixes: many },
        four,
      ).length,
    ).toBe(2);
  });
  it("NOTIFICATION", () => {
    expect(() => encodeNotification({ code: 256, subcode: 0, data: new Uint8Array(0) })).toThrow(
      RangeError,
    );
    expect(() => encodeNotification({ code: 6, subcode: 0, data: new Uint8Array(5000) })).toThrow(
      RangeError,
    );
  });
});
