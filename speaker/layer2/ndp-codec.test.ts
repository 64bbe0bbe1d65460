import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIpv6 } from "./bytes.ts";
import {
  type NeighborAdvertisement,
  type NeighborSolicitation,
  answerNeighborSolicitation,
  decodeNeighborAdvertisement,
  decodeNeighborSolicitation,
  encodeNeighborAdvertisement,
  encodeNeighborSolicitation,
  encodeUnsolicitedNeighborAdvertisement,
  icmpv6Checksum,
  ipv6MulticastMac,
  solicitedNodeMulticast,
  solicitedNodeMulticastMac,
} from "./ndp-codec.ts";

// Captured on this machine, 2026-11-21 (re-run: speaker/layer2/capture-fixtures.sh, as root) (kernel 6.x, ndisc6 1.0.5), in two
// network namespaces joined by one veth pair (ns A: eth0 02:00:00:00:00:0a,
// 2001:db8:1::10/64, fe80::ff:fe00:a; ns B: eth0 02:00:00:00:00:0b,
// 2001:db8:1::11/64, fe80::ff:fe00:b), with
//   ip netns exec A tcpdump -U -n -i eth0 -w a.pcap 'arp or icmp6'
// Whole Ethernet frames; a raw ICMPv6 socket would see bytes 54.. as the
// message, the hop limit (byte 21) as ancillary data, and the addresses
// (bytes 22..53) in the sockaddr / IPV6_PKTINFO. tcpdump -vv said "icmp6 sum
// ok" for every one.
const CAPTURED = {
  // ip netns exec A ndisc6 -1 -r 1 -w 500 2001:db8:1::11 eth0
  ndisc6Solicitation:
    "3333ff00001102000000000a86dd600d3d3400203afffe80000000000000000000fffe00000aff0200000000000000000001ff00001187004c2e0000000020010db8000100000000000000000011010102000000000a",
  // B's kernel answering it: Solicited + Override, target link-layer option
  kernelAdvertisement:
    "02000000000a02000000000b86dd6000000000203aff20010db8000100000000000000000011fe80000000000000000000fffe00000a8800ba776000000020010db8000100000000000000000011020102000000000b",
  // ip -n B addr add 2001:db8:1::200/64 dev eth0   (accept_dad=1): the DAD probe
  // from ::, with a nonce option (type 14, RFC 7527) and no link-layer option
  dadSolicitation:
    "3333ff00020002000000000b86dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ff0002008700aee80000000020010db80001000000000000000002000e01d75ddea3d5fa",
  // ...and once DAD succeeded (net.ipv6.conf.eth0.ndisc_notify=1): the kernel's
  // unsolicited NA to ff02::1, Override only
  kernelUnsolicited:
    "33330000000102000000000b86dd6000000000203aff20010db8000100000000000000000200ff0200000000000000000000000000018800f5202000000020010db8000100000000000000000200020102000000000b",
  // B's kernel probing A's link-local address (unicast NS), and A's NA without options
  kernelUnicastSolicitation:
    "02000000000a02000000000b86dd6000000000203afffe80000000000000000000fffe00000bfe80000000000000000000fffe00000a87007cf700000000fe80000000000000000000fffe00000a010102000000000b",
  kernelAdvertisementNoOptions:
    "02000000000b02000000000a86dd6000000000183afffe80000000000000000000fffe00000afe80000000000000000000fffe00000b88003f0b40000000fe80000000000000000000fffe00000a",
} as const;

interface Packet {
  readonly hopLimit: number;
  readonly source: string;
  readonly destination: string;
  readonly body: Uint8Array;
}
function packet(frameHex: string): Packet {
  const f = Uint8Array.from(Buffer.from(frameHex, "hex"));
  return {
    hopLimit: f[21] ?? 0,
    source: formatIpv6(f, 22),
    destination: formatIpv6(f, 38),
    body: f.subarray(54),
  };
}
const withZeroChecksum = (body: Uint8Array): Uint8Array => {
  const out = Uint8Array.from(body);
  out[2] = 0;
  out[3] = 0;
  return out;
};
const checksumOf = (body: Uint8Array): number => ((body[2] ?? 0) << 8) | (body[3] ?? 0);

describe("icmpv6Checksum against captured packets", () => {
  it.each(Object.entries(CAPTURED))("%s", (_name, frame) => {
    const p = packet(frame);
    expect(icmpv6Checksum(p.source, p.destination, withZeroChecksum(p.body))).toBe(
      checksumOf(p.body),
    );
    expect(icmpv6Checksum(p.source, p.destination, p.body)).toBe(0);
  });

  it("a changed byte or a wrong pseudo-header address breaks it", () => {
    const p = packet(CAPTURED.kernelAdvertisement);
    const changed = Uint8Array.from(p.body);
    changed[10] = (changed[10] ?? 0) ^ 1;
    expect(icmpv6Checksum(p.source, p.destination, changed)).not.toBe(0);
    expect(icmpv6Checksum("2001:db8:1::12", p.destination, p.body)).not.toBe(0);
  });

  it("pads an odd-length message with a zero byte", () => {
    const odd = Uint8Array.of(0x80, 0, 0, 0, 0, 1, 0, 1, 0xab);
    const even = Uint8Array.of(0x80, 0, 0, 0, 0, 1, 0, 1, 0xab, 0);
    // same sum of 16-bit words (the odd byte is padded with a zero), but the
    // pseudo-header's upper-layer length is one less, so the checksum is one more
    expect(icmpv6Checksum("::1", "::1", odd) - icmpv6Checksum("::1", "::1", even)).toBe(1);
  });
});

// What a raw ICMPv6 socket (python3: socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6),
// IPV6_RECVHOPLIMIT and IPV6_RECVPKTINFO on, IPV6_JOIN_GROUP ff02::1:ff00:100
// on eth0) in ns B returned from recvmsg while ns A ran
//   ndisc6 -1 -r 1 -w 300 2001:db8:1::100 eth0
// for an address B does not have: hop limit 255 (IPV6_HOPLIMIT), source
// fe80::ff:fe00:a, destination ff02::1:ff00:100 (IPV6_PKTINFO). Without the
// join the same socket received nothing for this target.
const RAW_SOCKET_NS = {
  body: "87004a500000000020010db8000100000000000000000100010102000000000a",
  hopLimit: 255,
  source: "fe80::ff:fe00:a",
  destination: "ff02::1:ff00:100",
} as const;

describe("decodeNeighborSolicitation on captured packets", () => {
  it("the body a raw ICMPv6 socket returned, for a target the host does not own", () => {
    const body = Uint8Array.from(Buffer.from(RAW_SOCKET_NS.body, "hex"));
    expect(icmpv6Checksum(RAW_SOCKET_NS.source, RAW_SOCKET_NS.destination, body)).toBe(0);
    expect(solicitedNodeMulticast("2001:db8:1::100")).toBe(RAW_SOCKET_NS.destination);
    expect(decodeNeighborSolicitation(body, RAW_SOCKET_NS.hopLimit, RAW_SOCKET_NS.source)).toEqual({
      ok: true,
      message: { target: "2001:db8:1::100", sourceLinkLayerAddress: "02:00:00:00:00:0a" },
    });
  });

  it("ndisc6's NS: target and source link-layer address", () => {
    const p = packet(CAPTURED.ndisc6Solicitation);
    expect(p.hopLimit).toBe(255);
    expect(decodeNeighborSolicitation(p.body, p.hopLimit, p.source)).toEqual({
      ok: true,
      message: { target: "2001:db8:1::11", sourceLinkLayerAddress: "02:00:00:00:00:0a" },
    });
  });

  it("the kernel's DAD probe: no link-layer option, the nonce option is skipped", () => {
    const p = packet(CAPTURED.dadSolicitation);
    expect(p.source).toBe("::");
    expect(decodeNeighborSolicitation(p.body, p.hopLimit, p.source)).toEqual({
      ok: true,
      message: { target: "2001:db8:1::200" },
    });
  });

  it("an NA is not an NS", () => {
    const p = packet(CAPTURED.kernelAdvertisement);
    expect(decodeNeighborSolicitation(p.body, 255)).toEqual({ ok: false, reason: "wrong-type" });
  });
});

describe("decodeNeighborAdvertisement on captured packets", () => {
  it.each([
    [
      "kernelAdvertisement",
      {
        target: "2001:db8:1::11",
        router: false,
        solicited: true,
        override: true,
        targetLinkLayerAddress: "02:00:00:00:00:0b",
      },
    ],
    [
      "kernelUnsolicited",
      {
        target: "2001:db8:1::200",
        router: false,
        solicited: false,
        override: true,
        targetLinkLayerAddress: "02:00:00:00:00:0b",
      },
    ],
    [
      "kernelAdvertisementNoOptions",
      { target: "fe80::ff:fe00:a", router: false, solicited: true, override: false },
    ],
  ] as const)("%s", (name, message) => {
    const p = packet(CAPTURED[name]);
    expect(decodeNeighborAdvertisement(p.body, p.hopLimit)).toEqual({ ok: true, message });
  });
});

describe("encoders reproduce the kernel's bytes, checksum included", () => {
  it("the solicited NA answering ndisc6", () => {
    const ns = packet(CAPTURED.ndisc6Solicitation);
    const na = packet(CAPTURED.kernelAdvertisement);
    const reply = answerNeighborSolicitation(ns.source, "2001:db8:1::11", "02:00:00:00:00:0b");
    expect(reply.destination).toBe(na.destination);
    expect(reply.body).toEqual(withZeroChecksum(na.body));
    const withSum = encodeNeighborAdvertisement(
      {
        target: "2001:db8:1::11",
        solicited: true,
        override: true,
        targetLinkLayerAddress: "02:00:00:00:00:0b",
      },
      { source: na.source, destination: na.destination },
    );
    expect(withSum).toEqual(na.body);
  });

  it("the unsolicited NA (takeover form)", () => {
    const na = packet(CAPTURED.kernelUnsolicited);
    expect(
      encodeUnsolicitedNeighborAdvertisement("2001:db8:1::200", "02:00:00:00:00:0b", na.source),
    ).toEqual(na.body);
    expect(encodeUnsolicitedNeighborAdvertisement("2001:db8:1::200", "02:00:00:00:00:0b")).toEqual(
      withZeroChecksum(na.body),
    );
  });

  it("ndisc6's NS and the kernel's unicast NS", () => {
    for (const [frame, sll] of [
      [CAPTURED.ndisc6Solicitation, "02:00:00:00:00:0a"],
      [CAPTURED.kernelUnicastSolicitation, "02:00:00:00:00:0b"],
    ] as const) {
      const p = packet(frame);
      const r = decodeNeighborSolicitation(p.body, p.hopLimit);
      if (!r.ok) throw new Error(r.reason);
      expect(r.message.sourceLinkLayerAddress).toBe(sll);
      expect(encodeNeighborSolicitation(r.message, p)).toEqual(p.body);
    }
  });

  it("an NA without options", () => {
    const p = packet(CAPTURED.kernelAdvertisementNoOptions);
    expect(
      encodeNeighborAdvertisement(
        { target: "fe80::ff:fe00:a", solicited: true, override: false },
        p,
      ),
    ).toEqual(p.body);
  });

  it("answering a DAD probe: to all-nodes, Solicited clear", () => {
    const reply = answerNeighborSolicitation("::", "2001:db8:1::200", "02:00:00:00:00:0b");
    expect(reply.destination).toBe("ff02::1");
    const decoded = decodeNeighborAdvertisement(reply.body, 255);
    expect(decoded.ok && decoded.message.solicited).toBe(false);
    expect(decoded.ok && decoded.message.override).toBe(true);
  });
});

describe("multicast addresses", () => {
  it("matches where ndisc6 sent its NS (IPv6 destination and Ethernet destination)", () => {
    const frame = Buffer.from(CAPTURED.ndisc6Solicitation, "hex");
    expect(solicitedNodeMulticast("2001:db8:1::11")).toBe(
      packet(CAPTURED.ndisc6Solicitation).destination,
    );
    expect(solicitedNodeMulticastMac("2001:db8:1::11")).toBe("33:33:ff:00:00:11");
    expect(frame.subarray(0, 6).toString("hex")).toBe("3333ff000011");
    expect(solicitedNodeMulticast("2001:db8:1::200")).toBe("ff02::1:ff00:200");
  });

  it.each([
    ["2001:db8::abcd:ef12:3456", "ff02::1:ff12:3456", "33:33:ff:12:34:56"],
    ["fe80::ff:fe00:a", "ff02::1:ff00:a", "33:33:ff:00:00:0a"],
    ["::", "ff02::1:ff00:0", "33:33:ff:00:00:00"],
  ])("%s → %s, %s", (ip, group, mac) => {
    expect(solicitedNodeMulticast(ip)).toBe(group);
    expect(solicitedNodeMulticastMac(ip)).toBe(mac);
  });

  it("all-nodes maps to 33:33:00:00:00:01; non-multicast and IPv4 are refused", () => {
    expect(ipv6MulticastMac("ff02::1")).toBe("33:33:00:00:00:01");
    expect(() => ipv6MulticastMac("2001:db8::1")).toThrow(RangeError);
    expect(() => solicitedNodeMulticast("192.0.2.1")).toThrow(RangeError);
  });
});

describe("drop reasons", () => {
  const ns = packet(CAPTURED.ndisc6Solicitation).body;
  const patched = (offset: number, ...bytes: number[]): Uint8Array => {
    const out = Uint8Array.from(ns);
    out.set(bytes, offset);
    return out;
  };
  const withOption = (...option: number[]): Uint8Array => Uint8Array.from([...ns, ...option]);
  it.each([
    ["empty", new Uint8Array(0), 255, "wrong-type"],
    ["echo request", patched(0, 128), 255, "wrong-type"],
    ["hop limit 254 (forwarded)", ns, 254, "bad-hop-limit"],
    ["hop limit 64", ns, 64, "bad-hop-limit"],
    ["code 1", patched(1, 1), 255, "bad-code"],
    ["23 bytes", ns.subarray(0, 23), 255, "truncated"],
    ["2 bytes", ns.subarray(0, 2), 255, "truncated"],
    ["multicast target", patched(8, 0xff, 0x02), 255, "multicast-target"],
    ["zero-length option", patched(25, 0), 255, "zero-length-option"],
    ["zero-length option after a good one", withOption(14, 0, 1, 2), 255, "zero-length-option"],
    ["option length past the end", patched(25, 2), 255, "truncated-option"],
    ["one dangling option byte", withOption(1), 255, "truncated-option"],
  ] as const)("%s → %s", (_name, body, hopLimit, reason) => {
    expect(decodeNeighborSolicitation(body, hopLimit)).toEqual({ ok: false, reason });
  });

  it("a link-layer option from :: is dropped (RFC 4861 §7.1.1)", () => {
    expect(decodeNeighborSolicitation(ns, 255, "::")).toEqual({
      ok: false,
      reason: "link-layer-option-from-unspecified",
    });
  });

  it("NA decoding checks the same fixed part", () => {
    const na = packet(CAPTURED.kernelAdvertisement).body;
    expect(decodeNeighborAdvertisement(na, 1)).toEqual({ ok: false, reason: "bad-hop-limit" });
    expect(decodeNeighborAdvertisement(na.subarray(0, 30), 255)).toEqual({
      ok: false,
      reason: "truncated-option",
    });
  });
});

describe("encoders check their inputs", () => {
  it.each([
    [{ target: "ff02::1", solicited: false, override: true }],
    [{ target: "192.0.2.1", solicited: false, override: true }],
    [{ target: "2001:db8::1", solicited: false, override: true, targetLinkLayerAddress: "02:00" }],
  ])("throws RangeError for %o", (na) => {
    expect(() => encodeNeighborAdvertisement(na)).toThrow(RangeError);
  });
  it("throws RangeError for a bad pseudo-header address", () => {
    expect(() => icmpv6Checksum("192.0.2.1", "ff02::1", new Uint8Array(24))).toThrow(RangeError);
  });
});

const macArb = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":"));
const unicastV6Arb = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .filter((b) => b[0] !== 0xff)
  .map((b) => formatIpv6(b));
const nsArb: fc.Arbitrary<NeighborSolicitation> = fc.record(
  { target: unicastV6Arb, sourceLinkLayerAddress: macArb },
  { requiredKeys: ["target"] },
);
const naArb: fc.Arbitrary<NeighborAdvertisement> = fc.record(
  {
    target: unicastV6Arb,
    router: fc.boolean(),
    solicited: fc.boolean(),
    override: fc.boolean(),
    targetLinkLayerAddress: macArb,
  },
  { requiredKeys: ["target", "router", "solicited", "override"] },
);

describe("properties", () => {
  it("the decoders never throw on arbitrary bytes and hop limits", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (bytes, hopLimit, ns) => {
          if (ns) bytes[0] = 135;
          const a = decodeNeighborSolicitation(bytes, ns ? 255 : hopLimit);
          const b = decodeNeighborAdvertisement(bytes, hopLimit);
          expect(typeof a.ok).toBe("boolean");
          expect(typeof b.ok).toBe("boolean");
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("the NS decoder never throws on mutations of a captured NS", () => {
    const base = packet(CAPTURED.ndisc6Solicitation).body;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
          maxLength: 4,
        }),
        fc.integer({ min: 0, max: base.length + 8 }),
        (edits, length) => {
          const bytes = new Uint8Array(base.length + 8);
          bytes.set(base);
          for (const [i, v] of edits) bytes[i] = v;
          const r = decodeNeighborSolicitation(bytes.subarray(0, length), 255, "::");
          expect(typeof r.ok).toBe("boolean");
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("NS and NA round-trip; the checksum of an encoded message verifies", () => {
    fc.assert(
      fc.property(nsArb, naArb, unicastV6Arb, (ns, na, source) => {
        const addresses = { source, destination: solicitedNodeMulticast(ns.target) };
        const nsBody = encodeNeighborSolicitation(ns, addresses);
        expect(decodeNeighborSolicitation(nsBody, 255, source)).toEqual({ ok: true, message: ns });
        expect(icmpv6Checksum(source, addresses.destination, nsBody)).toBe(0);
        expect(decodeNeighborAdvertisement(encodeNeighborAdvertisement(na), 255)).toEqual({
          ok: true,
          message: na,
        });
      }),
      { numRuns: 1000 },
    );
  });
});
