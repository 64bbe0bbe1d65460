import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatIpv4,
  formatIpv6,
  formatMac,
  ipv4ToBytes,
  ipv6ToBytes,
  parseMac,
  writeUint16,
  writeUint32,
  writeUint8,
} from "./bytes.ts";

describe("MAC addresses", () => {
  it("parses colon and dash forms, any case, and prints lower-case colons", () => {
    expect(formatMac(parseMac("02:00:00:00:00:0A"))).toBe("02:00:00:00:00:0a");
    expect(formatMac(parseMac("02-00-00-00-00-0b"))).toBe("02:00:00:00:00:0b");
  });
  it.each([
    "",
    "02:00:00:00:00",
    "02:00:00:00:00:0a:0b",
    "02:00-00:00:00:0a",
    "2:0:0:0:0:a",
    "0g:00:00:00:00:00",
  ])("refuses %j", (text) => {
    expect(() => parseMac(text)).toThrow(RangeError);
  });
  it("formatMac refuses a span that does not fit", () => {
    expect(() => formatMac(new Uint8Array(5))).toThrow(RangeError);
    expect(() => formatMac(new Uint8Array(8), 3)).toThrow(RangeError);
  });
});

describe("IP addresses", () => {
  it("IPv4 both ways", () => {
    expect(ipv4ToBytes("192.0.2.11")).toEqual(Uint8Array.of(192, 0, 2, 11));
    expect(formatIpv4(Uint8Array.of(9, 192, 0, 2, 11), 1)).toBe("192.0.2.11");
  });
  it("IPv6 both ways, RFC 5952 text", () => {
    const b = ipv6ToBytes("2001:DB8:1:0:0:0:0:11");
    expect(Buffer.from(b).toString("hex")).toBe("20010db8000100000000000000000011");
    expect(formatIpv6(b)).toBe("2001:db8:1::11");
  });
  it.each(["192.0.2.011", "192.0.2", "2001:db8::1"])("ipv4ToBytes refuses %j", (t) => {
    expect(() => ipv4ToBytes(t)).toThrow(RangeError);
  });
  it.each(["192.0.2.1", "fe80::1%eth0", "2001:db8::/64", "::g"])("ipv6ToBytes refuses %j", (t) => {
    expect(() => ipv6ToBytes(t)).toThrow(RangeError);
  });
  it("round-trips arbitrary addresses", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect(ipv6ToBytes(formatIpv6(b))).toEqual(b);
        expect(ipv4ToBytes(formatIpv4(b))).toEqual(b.subarray(0, 4));
      }),
    );
  });
});

describe("integer writers check widths before writing", () => {
  it.each([
    [writeUint8, 256],
    [writeUint8, -1],
    [writeUint8, 1.5],
    [writeUint16, 0x10000],
    [writeUint16, Number.NaN],
    [writeUint32, 2 ** 32],
    [writeUint32, -1],
  ] as const)("%o refuses %d and leaves the buffer alone", (write, value) => {
    const buf = new Uint8Array(4);
    expect(() => {
      write(buf, 0, value, "field");
    }).toThrow(RangeError);
    expect(buf).toEqual(new Uint8Array(4));
  });
  it("refuses offsets that do not fit", () => {
    expect(() => {
      writeUint16(new Uint8Array(2), 1, 1, "field");
    }).toThrow(RangeError);
    expect(() => {
      writeUint8(new Uint8Array(2), -1, 1, "field");
    }).toThrow(RangeError);
  });
  it("writes big-endian", () => {
    const buf = new Uint8Array(7);
    writeUint8(buf, 0, 0xff, "a");
    writeUint16(buf, 1, 0x0806, "b");
    writeUint32(buf, 3, 0xa0000001, "c");
    expect(Buffer.from(buf).toString("hex")).toBe("ff0806a0000001");
  });
});
