import { describe, expect, it } from "vitest";
import { encodeArpFrame, encodeGratuitousArp } from "../../speaker/layer2/arp-codec.ts";
import { answerLine, arpAnswerMac, parseAnswerLine, whoHas } from "./arp-answer.ts";

const CLIENT_MAC = "02:00:00:00:00:0a";
const CLIENT_IP = "192.0.2.10";
const NODE_MAC = "02:00:00:00:00:0c";
const VIP = "192.0.2.100";

function reply(senderIp: string, targetIp: string): Uint8Array {
  return encodeArpFrame({
    destinationMac: CLIENT_MAC,
    sourceMac: NODE_MAC,
    op: "reply",
    senderMac: NODE_MAC,
    senderIp,
    targetMac: CLIENT_MAC,
    targetIp,
  });
}

describe("whoHas", () => {
  it("is a broadcast request for the VIP from the prober", () => {
    const frame = whoHas(CLIENT_MAC, CLIENT_IP, VIP);
    expect(Array.from(frame.subarray(0, 6))).toEqual([255, 255, 255, 255, 255, 255]);
    // A request is not an answer, even for the VIP.
    expect(arpAnswerMac(frame, VIP, CLIENT_IP)).toBeUndefined();
  });
});

describe("arpAnswerMac", () => {
  it("names the MAC of a reply from the VIP to the prober", () => {
    expect(arpAnswerMac(reply(VIP, CLIENT_IP), VIP, CLIENT_IP)).toBe(NODE_MAC);
  });

  it("ignores replies for other IPs or to other requesters, and gratuitous ARP", () => {
    expect(arpAnswerMac(reply("192.0.2.101", CLIENT_IP), VIP, CLIENT_IP)).toBeUndefined();
    expect(arpAnswerMac(reply(VIP, "192.0.2.11"), VIP, CLIENT_IP)).toBeUndefined();
    // Both forms MetalLB sends unsolicited: a request and a reply with target IP = the VIP.
    expect(arpAnswerMac(encodeGratuitousArp(NODE_MAC, VIP), VIP, CLIENT_IP)).toBeUndefined();
    expect(arpAnswerMac(reply(VIP, VIP), VIP, CLIENT_IP)).toBeUndefined();
  });

  it("ignores frames that are not ARP", () => {
    expect(arpAnswerMac(new Uint8Array(60), VIP, CLIENT_IP)).toBeUndefined();
    expect(arpAnswerMac(new Uint8Array(10), VIP, CLIENT_IP)).toBeUndefined();
  });
});

describe("answer lines", () => {
  const nodes = new Map([[NODE_MAC, "n2"]]);

  it("round-trip to an answer from the node owning the MAC", () => {
    expect(parseAnswerLine(answerLine(1234, NODE_MAC).trim(), nodes)).toEqual({
      at: 1234,
      node: "n2",
    });
  });

  it("keep an unknown responder's MAC as its name", () => {
    expect(parseAnswerLine(answerLine(5, "02:AA:00:00:00:01"), nodes)).toEqual({
      at: 5,
      node: "02:AA:00:00:00:01",
    });
  });

  it("skip lines that are not answers", () => {
    expect(parseAnswerLine("", nodes)).toBeUndefined();
    expect(parseAnswerLine("not json", nodes)).toBeUndefined();
    expect(parseAnswerLine('{"at":"x","mac":"y"}', nodes)).toBeUndefined();
    expect(parseAnswerLine("null", nodes)).toBeUndefined();
  });
});
