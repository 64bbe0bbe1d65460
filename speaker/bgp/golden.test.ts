// Golden bytes written by hand from the RFC field layouts.
import { describe, expect, it } from "vitest";
import { community } from "./attributes.ts";
import { CeaseSubcode } from "./constants.ts";
import { decodeMessage, encodeKeepalive, encodeRouteRefresh } from "./messages.ts";
import { encodeNotification, shutdownNotification } from "./notification.ts";
import { encodeOpen } from "./open.ts";
import { encodeEndOfRib, encodeUpdate } from "./update.ts";

const MARKER = "ff".repeat(16);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ""), "hex"));
const four = { fourOctetAs: true };

describe("golden messages", () => {
  it("KEEPALIVE is the bare 19-octet header", () => {
    expect(hex(encodeKeepalive())).toBe(`${MARKER}001304`);
  });

  it("OPEN as MetalLB's native speaker sends it (49 octets)", () => {
    const open = {
      type: "open",
      asn: 64512,
      holdTime: 90,
      bgpId: "10.0.0.1",
      capabilities: [
        { kind: "multiprotocol", afi: 1, safi: 1 },
        { kind: "multiprotocol", afi: 2, safi: 1 },
        { kind: "fourOctetAs", asn: 64512 },
      ],
    } as const;
    const expected = `${MARKER}0031 01 04 fc00 005a 0a000001 14 02 12 010400010001 010400020001 41040000fc00`;
    expect(hex(encodeOpen(open))).toBe(expected.replace(/\s+/g, ""));
    expect(decodeMessage(bytes(expected), four)).toEqual({ ok: true, message: open });
  });

  it("OPEN with a 4-octet ASN puts AS_TRANS in My AS; route refresh and graceful restart", () => {
    const open = {
      type: "open",
      asn: 4_200_000_000,
      holdTime: 0,
      bgpId: "192.0.2.7",
      capabilities: [
        { kind: "fourOctetAs", asn: 4_200_000_000 },
        { kind: "routeRefresh" },
        {
          kind: "gracefulRestart",
          flags: 0x8,
          restartTime: 120,
          families: [{ afi: 1, safi: 1, forwardingState: true }],
        },
      ],
    } as const;
    const body = "04 5ba0 0000 c0000207 12 02 10 4104fa56ea00 0200 4006 8078 00010180";
    const expected = `${MARKER}002f 01 ${body}`.replace(/\s+/g, "");
    expect(hex(encodeOpen(open))).toBe(expected);
    expect(decodeMessage(bytes(expected), four)).toEqual({ ok: true, message: open });
  });

  it("IPv4 UPDATE with 4-octet AS_PATH and a community", () => {
    const update = {
      withdrawn: [],
      attributes: {
        origin: 0,
        asPath: [{ type: 2, asns: [64512] }],
        nextHop: "10.0.0.1",
        communities: [community(64512, 100)],
      },
      nlri: ["192.168.1.0/24"],
    } as const;
    const attrs = "40010100 4002060201 0000fc00 4003040a000001 c00804fc000064";
    const expected = `${MARKER}0036 02 0000 001b ${attrs} 18c0a801`.replace(/\s+/g, "");
    expect(hex(encodeUpdate(update, four))).toBe(expected);
    expect(decodeMessage(bytes(expected), four)).toEqual({
      ok: true,
      message: { type: "update", ...update },
    });
  });

  it("2-octet AS_PATH when 4-octet AS was not negotiated", () => {
    const update = {
      withdrawn: [],
      attributes: { asPath: [{ type: 2, asns: [64512, 65000] }] },
      nlri: [],
    } as const;
    const encoded = encodeUpdate(update, { fourOctetAs: false });
    expect(hex(encoded)).toBe(
      `${MARKER}0020 02 0000 0009 400206 0202 fc00 fde8`.replace(/\s+/g, ""),
    );
    expect(() =>
      encodeUpdate(
        { ...update, attributes: { asPath: [{ type: 2, asns: [70000] }] } },
        { fourOctetAs: false },
      ),
    ).toThrow(RangeError);
  });

  it("IPv6 UPDATE in MP_REACH_NLRI, large community, LOCAL_PREF", () => {
    const update = {
      withdrawn: [],
      attributes: {
        origin: 0,
        asPath: [],
        localPref: 100,
        largeCommunities: [{ globalAdmin: 64512, localData1: 1, localData2: 2 }],
        mpReach: { afi: 2, safi: 1, nextHops: ["2001:db8::1"], nlri: ["2001:db8:0:1::/64"] },
      },
      nlri: [],
    } as const;
    const mp = "800e1e 0002 01 10 20010db8000000000000000000000001 00 40 20010db800000001";
    const attrs = `40010100 400200 40050400000064 ${mp} c0200c 0000fc00 00000001 00000002`;
    const len = (19 + 4 + 4 + 3 + 7 + 33 + 15).toString(16).padStart(4, "0");
    const expected = `${MARKER}${len} 02 0000 003e ${attrs}`.replace(/\s+/g, "");
    expect(hex(encodeUpdate(update, four))).toBe(expected);
    expect(decodeMessage(bytes(expected), four)).toEqual({
      ok: true,
      message: { type: "update", ...update },
    });
  });

  it("IPv6 next hop with link-local (32 octets) and MP_UNREACH_NLRI", () => {
    const reach = encodeUpdate(
      {
        withdrawn: [],
        attributes: {
          origin: 0,
          asPath: [],
          mpReach: { afi: 2, safi: 1, nextHops: ["2001:db8::1", "fe80::1"], nlri: ["::/0"] },
        },
        nlri: [],
      },
      four,
    );
    expect(hex(reach)).toContain(
      "800e26000201" +
        "20" +
        "20010db8000000000000000000000001" +
        "fe800000000000000000000000000001" +
        "00" +
        "00",
    );
    const unreach = encodeUpdate(
      {
        withdrawn: ["10.1.0.0/16"],
        attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: ["2001:db8::/32"] } },
        nlri: [],
      },
      four,
    );
    expect(hex(unreach)).toBe(
      `${MARKER}0025 02 0003 100a01 000b 800f08 000201 2020010db8`.replace(/\s+/g, ""),
    );
  });

  it("End-of-RIB: 23 octets for IPv4, 29 for IPv6 (RFC 4724 §2)", () => {
    expect(hex(encodeEndOfRib(1))).toBe(`${MARKER}00170200000000`);
    expect(hex(encodeEndOfRib(2))).toBe(`${MARKER}001d0200000006800f03000201`);
  });

  it("NOTIFICATION Cease/administrative shutdown with an RFC 9003 message", () => {
    const n = shutdownNotification(CeaseSubcode.administrativeShutdown, "bye");
    expect(hex(encodeNotification(n))).toBe(`${MARKER}0019030602 03627965`.replace(/\s+/g, ""));
    expect(decodeMessage(encodeNotification(n), four)).toEqual({
      ok: true,
      message: { type: "notification", code: 6, subcode: 2, data: bytes("03627965") },
    });
  });

  it("ROUTE-REFRESH for IPv4 unicast", () => {
    expect(hex(encodeRouteRefresh({ afi: 1, safi: 1, subtype: 0 }))).toBe(
      `${MARKER}00170500010001`,
    );
  });
});
