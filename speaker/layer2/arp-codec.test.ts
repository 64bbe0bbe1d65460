import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  answerArpRequest,
  type ArpAnswer,
  type ArpFrame,
  BROADCAST_MAC,
  decodeArpFrame,
  encodeArpFrame,
  encodeArpReply,
  encodeGratuitousArp,
  ZERO_MAC,
} from "./arp-codec.ts";
import { parseMac } from "./bytes.ts";

// Captured on this machine, 2026-11-21 (re-run: speaker/layer2/capture-fixtures.sh, as root), in two network namespaces joined by one
// veth pair (ns A: eth0 02:00:00:00:00:0a 192.0.2.10/24; ns B: eth0
// 02:00:00:00:00:0b 192.0.2.11/24), with
//   ip netns exec A tcpdump -U -n -i eth0 -w a.pcap 'arp or icmp6'
// and the frames read back from the pcap as hex. veth does not pad, so the
// kernel's frames are 42 bytes; our encoder pads to 60 with zeros.
const CAPTURED = {
  // ip netns exec A arping -c 1 -w 2 -I eth0 192.0.2.11   (iputils-arping 20221126)
  arpingRequest:
    "ffffffffffff02000000000a0806000108000604000102000000000ac000020affffffffffffc000020b",
  // B's kernel answering that request
  kernelReply:
    "02000000000a02000000000b0806000108000604000202000000000bc000020b02000000000ac000020a",
  // ip netns exec B arping -U -c 1 -w 1 -I eth0 -s 192.0.2.11 192.0.2.11
  arpingUnsolicited:
    "ffffffffffff02000000000b0806000108000604000102000000000bc000020bffffffffffffc000020b",
  // ip netns exec B arping -A -c 1 -w 1 -I eth0 -s 192.0.2.11 192.0.2.11
  arpingAnswerMode:
    "ffffffffffff02000000000b0806000108000604000202000000000bc000020b02000000000bc000020b",
} as const;

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "hex"));
const padded = (text: string): Uint8Array => {
  const out = new Uint8Array(60);
  out.set(hex(text));
  return out;
};

describe("decodeArpFrame on captured frames", () => {
  it("reads arping's broadcast who-has", () => {
    expect(decodeArpFrame(hex(CAPTURED.arpingRequest))).toEqual({
      ok: true,
      frame: {
        destinationMac: "ff:ff:ff:ff:ff:ff",
        sourceMac: "02:00:00:00:00:0a",
        op: "request",
        senderMac: "02:00:00:00:00:0a",
        senderIp: "192.0.2.10",
        targetMac: "ff:ff:ff:ff:ff:ff",
        targetIp: "192.0.2.11",
      },
    });
  });

  it("reads the kernel's reply, and ignores Ethernet padding after the ARP body", () => {
    const expected = {
      ok: true,
      frame: {
        destinationMac: "02:00:00:00:00:0a",
        sourceMac: "02:00:00:00:00:0b",
        op: "reply",
        senderMac: "02:00:00:00:00:0b",
        senderIp: "192.0.2.11",
        targetMac: "02:00:00:00:00:0a",
        targetIp: "192.0.2.10",
      },
    };
    expect(decodeArpFrame(hex(CAPTURED.kernelReply))).toEqual(expected);
    expect(decodeArpFrame(padded(CAPTURED.kernelReply))).toEqual(expected);
    expect(decodeArpFrame(Buffer.from(CAPTURED.kernelReply, "hex"))).toEqual(expected);
  });

  it("reads a gratuitous request: sender IP = target IP", () => {
    const r = decodeArpFrame(hex(CAPTURED.arpingUnsolicited));
    expect(r.ok && r.frame.op === "request" && r.frame.senderIp === r.frame.targetIp).toBe(true);
  });
});

describe("encoders reproduce what the kernel and arping sent (first 42 bytes, then zero padding)", () => {
  it("encodeArpReply = the kernel's reply to arping's request", () => {
    const request = decodeArpFrame(hex(CAPTURED.arpingRequest));
    if (!request.ok) throw new Error(request.reason);
    const reply = encodeArpReply({
      interfaceMac: "02:00:00:00:00:0b",
      ownedIp: "192.0.2.11",
      request: request.frame,
    });
    expect(reply).toEqual(padded(CAPTURED.kernelReply));
  });

  it("encodeGratuitousArp with a broadcast target MAC = arping -U", () => {
    const garp = encodeGratuitousArp("02:00:00:00:00:0b", "192.0.2.11", "ff:ff:ff:ff:ff:ff");
    expect(garp).toEqual(padded(CAPTURED.arpingUnsolicited));
  });

  it("encodeGratuitousArp defaults to the RFC 5227 form: target MAC zero", () => {
    const garp = encodeGratuitousArp("02:00:00:00:00:0b", "192.0.2.11");
    expect(garp.length).toBe(60);
    expect(Buffer.from(garp.subarray(0, 42)).toString("hex")).toBe(
      "ffffffffffff02000000000b0806000108000604000102000000000bc000020b000000000000c000020b",
    );
  });

  it("encodeArpFrame reproduces arping -A (reply form, target MAC = own)", () => {
    const r = decodeArpFrame(hex(CAPTURED.arpingAnswerMode));
    if (!r.ok) throw new Error(r.reason);
    expect(encodeArpFrame(r.frame)).toEqual(padded(CAPTURED.arpingAnswerMode));
  });
});

describe("decodeArpFrame drop reasons", () => {
  const base = CAPTURED.arpingRequest;
  const patch = (offset: number, bytes: string): Uint8Array => {
    const out = hex(base);
    out.set(hex(bytes), offset);
    return out;
  };
  it.each([
    ["empty", new Uint8Array(0), "truncated"],
    ["header only", hex(base).subarray(0, 14), "truncated"],
    ["one byte short", hex(base).subarray(0, 41), "truncated"],
    ["IPv4 ethertype", patch(12, "0800"), "not-arp"],
    ["IPv6 ethertype", patch(12, "86dd"), "not-arp"],
    ["802.1Q tag", patch(12, "8100"), "vlan-tagged"],
    ["802.1ad tag", patch(12, "88a8"), "vlan-tagged"],
    ["htype 6 (IEEE 802)", patch(14, "0006"), "bad-hardware-type"],
    ["ptype IPv6", patch(16, "86dd"), "bad-protocol-type"],
    ["hlen 8", patch(18, "08"), "bad-address-length"],
    ["plen 16", patch(19, "10"), "bad-address-length"],
    ["op 3 (RARP request)", patch(20, "0003"), "unknown-op"],
    ["op 0", patch(20, "0000"), "unknown-op"],
  ])("%s → %s", (_name, bytes, reason) => {
    expect(decodeArpFrame(bytes)).toEqual({ ok: false, reason });
  });

  it("a frame the kernel untagged is dropped when the auxdata TCI names a VLAN", () => {
    // ns B injected a VLAN 100 tagged who-has on its AF_PACKET socket (python3,
    // bytes ff..ff 02..0b 81000064 0806 ...); ns A's AF_PACKET socket on the
    // veth peer read these 42 bytes, untagged, with PACKET_AUXDATA tp_status
    // 0x51 and tp_vlan_tci 100.
    const readOnParent =
      "ffffffffffff02000000000b0806000108000604000102000000000bc000026f000000000000c000020a";
    expect(decodeArpFrame(hex(readOnParent), { vlanTci: 100 })).toEqual({
      ok: false,
      reason: "vlan-tagged",
    });
    // priority-tagged (VID 0, PCP 5) is the untagged LAN
    expect(decodeArpFrame(hex(readOnParent), { vlanTci: 0xa000 }).ok).toBe(true);
    const plain = decodeArpFrame(hex(readOnParent));
    expect(plain.ok && plain.frame.senderIp).toBe("192.0.2.111");
  });

  it("a tagged ARP frame (tag inserted into a captured one) is dropped, not decoded", () => {
    const frame = hex(CAPTURED.arpingRequest);
    const tagged = new Uint8Array(frame.length + 4);
    tagged.set(frame.subarray(0, 12));
    tagged.set(hex("81000064"), 12); // VLAN 100
    tagged.set(frame.subarray(12), 16);
    expect(decodeArpFrame(tagged)).toEqual({ ok: false, reason: "vlan-tagged" });
  });
});

describe("encoders check their inputs", () => {
  const good: ArpFrame = {
    destinationMac: "ff:ff:ff:ff:ff:ff",
    sourceMac: "02:00:00:00:00:0b",
    op: "request",
    senderMac: "02:00:00:00:00:0b",
    senderIp: "192.0.2.11",
    targetMac: "00:00:00:00:00:00",
    targetIp: "192.0.2.11",
  };
  it.each([
    { sourceMac: "02:00:00:00:00" },
    { senderMac: "02:00:00:00:00:0b:0c" },
    { targetMac: "zz:00:00:00:00:00" },
    { senderIp: "2001:db8::1" },
    { targetIp: "192.0.2.256" },
    { targetIp: "192.0.2.011" },
  ])("throws RangeError for %o", (bad) => {
    expect(() => encodeArpFrame({ ...good, ...bad })).toThrow(RangeError);
  });
});

const macArb = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":"));
const ipv4Arb = fc.ipV4();
const frameArb: fc.Arbitrary<ArpFrame> = fc.record({
  destinationMac: macArb,
  sourceMac: macArb,
  op: fc.constantFrom("request" as const, "reply" as const),
  senderMac: macArb,
  senderIp: ipv4Arb,
  targetMac: macArb,
  targetIp: ipv4Arb,
});

describe("properties", () => {
  it("decodeArpFrame never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const r = decodeArpFrame(bytes);
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 2000 },
    );
  });

  it("decodeArpFrame never throws on mutations of a valid frame", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(59), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.integer({ min: 0, max: 60 }),
        fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
        (edits, length, vlanTci) => {
          const frame = padded(CAPTURED.arpingRequest);
          for (const [i, v] of edits) frame[i] = v;
          const info = vlanTci === undefined ? {} : { vlanTci };
          const r = decodeArpFrame(frame.subarray(0, length), info);
          expect(typeof r.ok).toBe("boolean");
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("encode → decode round-trips, always 60 bytes", () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const bytes = encodeArpFrame(frame);
        expect(bytes.length).toBe(60);
        expect(decodeArpFrame(bytes)).toEqual({ ok: true, frame });
      }),
      { numRuns: 1000 },
    );
  });
});

describe("answerArpRequest (the flood fast path)", () => {
  const mac = "02:00:00:00:00:0b";
  const macBytes = parseMac(mac);
  const owned = new Set(["192.0.2.100", "10.0.0.1"]);
  const owns = (ip: string): boolean => owned.has(ip);

  /** The slow path the fast one must equal: decode, filter as the driver did, encode. */
  function slow(bytes: Uint8Array, vlanTci?: number): ArpAnswer {
    const d = decodeArpFrame(bytes, vlanTci === undefined ? {} : { vlanTci });
    if (!d.ok) return { kind: "malformed" };
    const f = d.frame;
    if (f.op !== "request") return { kind: "ignored" };
    if (f.destinationMac !== BROADCAST_MAC && f.destinationMac !== mac) return { kind: "ignored" };
    if (!owns(f.targetIp)) return { kind: "ignored" };
    return {
      kind: "reply",
      ip: f.targetIp,
      frame: encodeArpReply({ interfaceMac: mac, ownedIp: f.targetIp, request: f }),
    };
  }

  const requestFor = fc.record({
    destinationMac: fc.constantFrom(BROADCAST_MAC, mac, "02:00:00:00:00:0c"),
    sourceMac: fc.constantFrom("02:00:00:00:00:0a", "52:54:00:12:34:56"),
    op: fc.constantFrom<"request" | "reply">("request", "reply"),
    senderMac: fc.constantFrom("02:00:00:00:00:0a", "00:00:00:00:00:00"),
    senderIp: fc.constantFrom("192.0.2.10", "0.0.0.0"),
    targetMac: fc.constantFrom(ZERO_MAC, BROADCAST_MAC),
    targetIp: fc.constantFrom("192.0.2.100", "192.0.2.101", "10.0.0.1"),
  });

  it("gives the same answer as decode + encode for well-formed frames", () => {
    fc.assert(
      fc.property(requestFor, (frame) => {
        const bytes = encodeArpFrame(frame);
        expect(answerArpRequest(bytes, macBytes, owns)).toEqual(slow(bytes));
      }),
    );
  });

  it("gives the same answer for any bytes, and never throws", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          requestFor.map((f) => encodeArpFrame(f)),
        ),
        fc.nat({ max: 60 }),
        fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
        (bytes, flip, vlanTci) => {
          const mutated = Uint8Array.from(bytes);
          if (flip < mutated.length) mutated[flip] = (mutated[flip] ?? 0) ^ 0x01;
          const info = vlanTci === undefined ? {} : { vlanTci };
          expect(answerArpRequest(mutated, macBytes, owns, info)).toEqual(slow(mutated, vlanTci));
        },
      ),
    );
  });
});
