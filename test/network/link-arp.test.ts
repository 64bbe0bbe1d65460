// The link addon's PacketSocket on a real (namespaced) LAN: iputils arping
// in the client namespace asks for 192.0.2.100, which no kernel owns; the
// fixture in n1 reads the request through the PacketSocket and answers with
// encodeArpReply. Needs root. Own namespaces, removed in afterAll.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Fixture,
  inNs,
  lanDown,
  lanUp,
  runInNs,
  waitUntil,
  type LanHost,
} from "./link-fixtures/lan.ts";

const PREFIX = `lka${process.pid}`;

function arping(host: LanHost, ip: string): Promise<{ code: number; output: string }> {
  return runInNs(host.ns, "arping", "-c", "1", "-w", "2", "-I", "eth0", ip);
}

describe("PacketSocket (AF_PACKET, ARP)", () => {
  let hosts: Record<string, LanHost> = {};
  let responder: Fixture | undefined;

  beforeAll(async () => {
    hosts = lanUp(PREFIX, { client: 10, n1: 11 });
    responder = new Fixture(`${PREFIX}-n1`, "arp-responder.ts", ["eth0", "192.0.2.100"]);
    await responder.waitFor('"event":"open"');
  });

  afterAll(async () => {
    await responder?.stop();
    lanDown(PREFIX);
  });

  it("reports the interface's index and MAC, and interfaceInfo agrees", () => {
    const [open] = responder?.events("open") ?? [];
    const ifindex = Number(inNs(`${PREFIX}-n1`, "cat", "/sys/class/net/eth0/ifindex").trim());
    expect(open).toMatchObject({ ifname: "eth0", ifindex, mac: "02:00:00:00:00:0b" });
    expect(open?.["info"]).toMatchObject({
      ifindex,
      mac: "02:00:00:00:00:0b",
      hardwareType: 1,
      up: true,
      running: true,
      loopback: false,
      bondSlave: false,
    });
  });

  it("receives a who-has and its reply makes arping succeed with n1's MAC", async () => {
    const client = hosts["client"];
    if (client === undefined) throw new Error("no client");
    const result = await arping(client, "192.0.2.100");
    expect(result.code).toBe(0);
    expect(result.output).toContain("Unicast reply from 192.0.2.100 [02:00:00:00:00:0B]");
    await responder?.waitFor('"event":"replied"');
    expect(responder?.events("frame")).toContainEqual({
      event: "frame",
      op: "request",
      sourceMac: "02:00:00:00:00:0a",
      senderIp: "192.0.2.10",
      targetIp: "192.0.2.100",
    });
    expect(responder?.events("replied")).toEqual([{ event: "replied", to: "192.0.2.10" }]);
  });

  it("does not answer for an address it does not own (the reply above was the fixture's)", async () => {
    const client = hosts["client"];
    if (client === undefined) throw new Error("no client");
    const result = await arping(client, "192.0.2.101");
    expect(result.code).toBe(1);
    expect(result.output).toContain("Received 0 response(s)");
  });

  it("does not deliver frames the host sent itself (PACKET_OUTGOING), only incoming ones", async () => {
    const n1 = hosts["n1"];
    if (n1 === undefined) throw new Error("no n1");
    // n1's kernel sends a who-has for .10 (outgoing) and gets the client's reply (incoming).
    const result = await arping(n1, "192.0.2.10");
    expect(result.code).toBe(0);
    await responder?.waitFor('"op":"reply"');
    const frames = responder?.events("frame") ?? [];
    expect(frames.filter((f) => f["sourceMac"] === "02:00:00:00:00:0b")).toEqual([]);
    expect(frames).toContainEqual(
      expect.objectContaining({
        op: "reply",
        sourceMac: "02:00:00:00:00:0a",
        targetIp: "192.0.2.11",
      }),
    );
  });

  it("reports ENETDOWN when the interface goes down and answers again once it is back up", async () => {
    const client = hosts["client"];
    if (client === undefined) throw new Error("no client");
    inNs(`${PREFIX}-n1`, "ip", "link", "set", "eth0", "down");
    await responder?.waitFor('"event":"error"');
    expect(responder?.events("error")[0]).toMatchObject({ code: "LINK_RECEIVE_FAILED" });
    expect(String(responder?.events("error")[0]?.["message"])).toContain("(ENETDOWN)");
    inNs(`${PREFIX}-n1`, "ip", "link", "set", "eth0", "up");
    const replies = responder?.events("replied").length ?? 0;
    const result = await arping(client, "192.0.2.100");
    expect(result.output).toContain("Unicast reply from 192.0.2.100 [02:00:00:00:00:0B]");
    await waitUntil(
      () => (responder?.events("replied").length ?? 0) > replies,
      5000,
      () => responder?.output ?? "",
    );
  });

  it("closes idempotently and the script exits cleanly with nothing pending", async () => {
    expect(await responder?.stop()).toBe(0);
    expect(responder?.events("closed")).toEqual([{ event: "closed", isOpen: false }]);
    expect(responder?.events("error")).toHaveLength(1); // the ENETDOWN above
  });
});
