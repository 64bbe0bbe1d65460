// The link addon's Icmp6Socket on a real (namespaced) LAN: Neighbor
// Solicitations from the client (ndisc6, or the client's kernel) for
// 2001:db8:1::100, which no kernel owns, reach the fixture in n1 with hop
// limit, source and destination; its NA (answerNeighborSolicitation) is
// what the client sees. Needs root. Own namespaces, removed in afterAll.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fixture, inNs, lanDown, lanUp, runInNs, waitUntil } from "./link-fixtures/lan.ts";

const PREFIX = `lkn${process.pid}`;
const CLIENT = `${PREFIX}-client`;
const N1 = `${PREFIX}-n1`;
const VIP = "2001:db8:1::100";
const CLIENT_LINK_LOCAL = "fe80::ff:fe00:a"; // EUI-64 of 02:00:00:00:00:0a

function ndisc6(target: string): Promise<{ code: number; output: string }> {
  return runInNs(CLIENT, "ndisc6", "-r", "2", "-w", "700", target, "eth0");
}

async function listener(args: string[]): Promise<Fixture> {
  const fixture = new Fixture(N1, "icmp6-listener.ts", args);
  await fixture.waitFor('"event":"open"');
  return fixture;
}

describe("Icmp6Socket (raw ICMPv6, NDP)", () => {
  beforeAll(() => {
    lanUp(PREFIX, { client: 10, n1: 11 });
  });

  afterAll(() => {
    lanDown(PREFIX);
  });

  it("without joining the solicited-node group, a multicast NS for the VIP never reaches the socket", async () => {
    const fixture = await listener(["eth0", "135", VIP, "nojoin", "owned"]);
    try {
      expect((await ndisc6(VIP)).code).toBe(2);
      // The same socket does see an NS for n1's own address (its kernel joined that group).
      expect((await ndisc6("2001:db8:1::11")).code).toBe(0);
      await fixture.waitFor('"target":"2001:db8:1::11"');
      const targets = fixture.events("solicitation").map((s) => s["target"]);
      expect(targets).toContain("2001:db8:1::11");
      expect(targets).not.toContain(VIP);
    } finally {
      expect(await fixture.stop()).toBe(0);
    }
  });

  it("after joining, gets the NS with hop limit 255, source and destination, and ndisc6 prints n1's MAC", async () => {
    const fixture = await listener(["eth0", "135", VIP, "join", "owned"]);
    try {
      const result = await ndisc6(VIP);
      expect(result.code).toBe(0);
      expect(result.output).toContain("Target link-layer address: 02:00:00:00:00:0B");
      expect(result.output).toContain(`from ${VIP}`);
      await fixture.waitFor('"event":"advertised"');
      expect(fixture.events("message")[0]).toEqual({
        event: "message",
        type: 135,
        hopLimit: 255,
        source: CLIENT_LINK_LOCAL,
        destination: "ff02::1:ff00:100",
      });
      expect(fixture.events("advertised")[0]).toEqual({
        event: "advertised",
        to: CLIENT_LINK_LOCAL,
        from: "owned",
      });
    } finally {
      expect(await fixture.stop()).toBe(0);
      expect(fixture.events("closed")).toEqual([{ event: "closed", isOpen: false }]);
    }
  });

  it("an NA from the kernel-chosen link-local source fills the client kernel's neighbour table", async () => {
    const fixture = await listener(["eth0", "135", VIP, "join", "kernel"]);
    try {
      // ping makes the client's kernel solicit the VIP; nothing answers the echo itself.
      await runInNs(CLIENT, "ping", "-6", "-c", "1", "-W", "1", VIP);
      await waitUntil(
        () => inNs(CLIENT, "ip", "-6", "neigh", "show", VIP, "dev", "eth0").includes("lladdr"),
        5000,
        () => inNs(CLIENT, "ip", "-6", "neigh", "show", "dev", "eth0"),
      );
      expect(inNs(CLIENT, "ip", "-6", "neigh", "show", VIP, "dev", "eth0")).toContain(
        "lladdr 02:00:00:00:00:0b",
      );
      expect(fixture.events("advertised")[0]).toMatchObject({ from: "kernel" });
    } finally {
      expect(await fixture.stop()).toBe(0);
    }
  });

  it("passes only the ICMPv6 types asked for, with the real hop limit of each", async () => {
    // Echo requests (128) with hop limit 7: an NS-only socket never sees them, a type-128 one does.
    const nsOnly = await listener(["eth0", "135", VIP, "nojoin"]);
    const echo = await listener(["eth0", "128", VIP, "nojoin"]);
    try {
      expect(
        (await runInNs(CLIENT, "ping", "-6", "-c", "1", "-W", "2", "-t", "7", "2001:db8:1::11"))
          .code,
      ).toBe(0);
      await echo.waitFor('"type":128');
      expect(echo.events("message")[0]).toMatchObject({
        type: 128,
        hopLimit: 7,
        source: "2001:db8:1::10",
        destination: "2001:db8:1::11",
      });
      expect(nsOnly.events("message").filter((m) => m["type"] !== 135)).toEqual([]);
    } finally {
      await nsOnly.stop();
      await echo.stop();
    }
  });
});
