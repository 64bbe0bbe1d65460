// Bytes captured on the wire from gobgpd 3.10.0 (Debian 12) in a session with
// this codec, 2026-11-21: what a real peer sends decodes, and the OPEN this
// codec sent was accepted (session reached Established).
import { describe, expect, it } from "vitest";
import { decodeMessage } from "./messages.ts";
import { encodeOpen } from "./open.ts";

const M = "ff".repeat(16);
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, "hex"));
const four = { fourOctetAs: true };

describe("gobgpd 3.10.0 captures", () => {
  it("decodes gobgpd's OPEN (FQDN and extended-next-hop capabilities kept raw)", () => {
    const open = `${M}00410104fde8001e0a0000012402220200490402766d0001040001000101040002000141040000fde80506000100010002`;
    expect(decodeMessage(bytes(open), four)).toEqual({
      ok: true,
      message: {
        type: "open",
        asn: 65000,
        holdTime: 30,
        bgpId: "10.0.0.1",
        capabilities: [
          { kind: "routeRefresh" },
          { kind: "unknown", code: 73, value: bytes("02766d00") },
          { kind: "multiprotocol", afi: 1, safi: 1 },
          { kind: "multiprotocol", afi: 2, safi: 1 },
          { kind: "fourOctetAs", asn: 65000 },
          { kind: "unknown", code: 5, value: bytes("000100010002") },
        ],
      },
    });
  });

  it("decodes gobgpd's IPv4 and IPv6 UPDATEs", () => {
    const v4 = `${M}0036020000001b4001010240020602010000fde84003040a000001c00804fde8000718c00002`;
    expect(decodeMessage(bytes(v4), four)).toEqual({
      ok: true,
      message: {
        type: "update",
        withdrawn: [],
        attributes: {
          origin: 2,
          asPath: [{ type: 2, asns: [65000] }],
          nextHop: "10.0.0.1",
          communities: [0xfde80007],
        },
        nlri: ["192.0.2.0/24"],
      },
    });
    const v6 = `${M}0043020000002c4001010240020602010000fde8800e1c0002011000000000000000000000ffff0a000001003020010db800ff`;
    expect(decodeMessage(bytes(v6), four)).toMatchObject({
      ok: true,
      message: {
        attributes: {
          mpReach: { afi: 2, safi: 1, nextHops: ["::ffff:a00:1"], nlri: ["2001:db8:ff::/48"] },
        },
      },
    });
  });

  it("encodes the OPEN gobgpd accepted, byte for byte", () => {
    const sent = encodeOpen({
      type: "open",
      asn: 65001,
      holdTime: 90,
      bgpId: "10.0.0.2",
      capabilities: [
        { kind: "multiprotocol", afi: 1, safi: 1 },
        { kind: "multiprotocol", afi: 2, safi: 1 },
        { kind: "fourOctetAs", asn: 65001 },
        { kind: "routeRefresh" },
        {
          kind: "gracefulRestart",
          flags: 0,
          restartTime: 120,
          families: [
            { afi: 1, safi: 1, forwardingState: false },
            { afi: 2, safi: 1, forwardingState: false },
          ],
        },
      ],
    });
    expect(Buffer.from(sent).toString("hex")).toBe(
      `${M}003f0104fde9005a0a00000222022001040001000101040002000141040000fde90200400a00780001010000020100`,
    );
  });
});
