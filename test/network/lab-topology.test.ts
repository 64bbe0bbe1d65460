// The lab's LAN (test/lab/topology.ts) and its Layer 2 helpers (test/lab/l2.ts)
// against real tools: ping, arping, ndisc6, curl, the kernel's neighbour table.
// Everything happens inside namespaces the test creates; only PIDs it started are killed.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureAnswers } from "../lab/capture.ts";
import { run } from "../lab/exec.ts";
import { isRunning } from "../lab/processes.ts";
import {
  addVip,
  arping,
  curl,
  ndisc6,
  ndisc6All,
  neighbour,
  ping,
  startHttpListener,
} from "../lab/l2.ts";
import { createLan, destroyLanFromState, type Lan } from "../lab/topology.ts";

const netnsList = async (): Promise<string[]> =>
  (await run(["ip", "netns", "list"]))
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter(Boolean);

describe("lab LAN", () => {
  let lan: Lan;

  beforeAll(async () => {
    lan = await createLan({ prefix: "lt", nodes: 3, client: true });
  });

  afterAll(async () => {
    await lan.destroy();
  });

  it("has the planned hosts, addresses and MACs", async () => {
    expect(lan.hosts.map((h) => h.name)).toEqual(["client", "n1", "n2", "n3"]);
    const names = await netnsList();
    for (const ns of [lan.lanNs, ...lan.hosts.map((h) => h.ns)]) expect(names).toContain(ns);
    const n2 = lan.host("n2");
    expect(n2).toMatchObject({
      ipv4: "192.0.2.12",
      ipv6: "2001:db8:1::12",
      mac: "02:00:00:00:00:0c",
    });
    const link = JSON.parse(await lan.exec("n2", ["ip", "-j", "link", "show", "eth0"])) as {
      address: string;
    }[];
    expect(link[0]?.address).toBe("02:00:00:00:00:0c");
  });

  it("the client reaches every node over IPv4 and IPv6", async () => {
    for (const n of lan.nodes) {
      expect(await ping(lan, n.ipv4)).toBe(true);
      expect(await ping(lan, n.ipv6)).toBe(true);
    }
  });

  it("linkDown cuts a node off and linkUp brings it back", async () => {
    await lan.linkDown("n3");
    expect(await ping(lan, "192.0.2.13")).toBe(false);
    expect(await ping(lan, "192.0.2.12")).toBe(true);
    await lan.linkUp("n3");
    expect(await ping(lan, "192.0.2.13", { timeoutS: 2 })).toBe(true);
  });

  it("arping sees the kernel's ARP answer, and nothing for an unused address", async () => {
    await lan.exec("n1", ["ip", "addr", "add", "192.0.2.50/32", "dev", "eth0"]);
    expect(await arping(lan, "192.0.2.50")).toEqual(["02:00:00:00:00:0b"]);
    expect(await arping(lan, "192.0.2.51")).toEqual([]);
  });

  it("arping reports both MACs when two hosts answer for one address", async () => {
    // The kernel's default arp_ignore=0 answers for any local address, so a
    // second /32 of the same address on n2 makes a real duplicate.
    await lan.exec("n1", ["ip", "addr", "add", "192.0.2.60/32", "dev", "eth0"]);
    await lan.exec("n2", ["ip", "addr", "add", "192.0.2.60/32", "dev", "eth0"]);
    expect((await arping(lan, "192.0.2.60")).sort()).toEqual([
      "02:00:00:00:00:0b",
      "02:00:00:00:00:0c",
    ]);
  });

  it("a capture counts every answer: one per probe from one owner, two from two", async () => {
    expect(await captureAnswers(lan, "192.0.2.50", { count: 2 })).toEqual([
      "02:00:00:00:00:0b",
      "02:00:00:00:00:0b",
    ]);
    const dup = await captureAnswers(lan, "192.0.2.60", { count: 1 });
    expect(dup.sort()).toEqual(["02:00:00:00:00:0b", "02:00:00:00:00:0c"]);
    expect(await captureAnswers(lan, "192.0.2.51", { count: 1 })).toEqual([]);
    await lan.exec("n3", ["ip", "addr", "add", "2001:db8:1::70/128", "dev", "eth0", "nodad"]);
    expect(await captureAnswers(lan, "2001:db8:1::70", { count: 2 })).toEqual([
      "02:00:00:00:00:0d",
      "02:00:00:00:00:0d",
    ]);
    // tcpdump was a lab process and is gone again.
    expect(lan.processes.records.filter((r) => r.name.endsWith("tcpdump")).some(isRunning)).toBe(
      false,
    );
  });

  it("ndisc6 sees the kernel's NDP answer, and nothing for an unused address", async () => {
    await lan.exec("n2", ["ip", "addr", "add", "2001:db8:1::50/128", "dev", "eth0", "nodad"]);
    expect(await ndisc6(lan, "2001:db8:1::50")).toBe("02:00:00:00:00:0c");
    expect(await ndisc6All(lan, "2001:db8:1::50")).toEqual(["02:00:00:00:00:0c"]);
    expect(await ndisc6(lan, "2001:db8:1::51")).toBeUndefined();
  });

  it("neighbour reads the client's kernel entry after a ping", async () => {
    expect(await ping(lan, "192.0.2.11")).toBe(true);
    expect(await neighbour(lan, "192.0.2.11")).toMatchObject({
      dst: "192.0.2.11",
      lladdr: "02:00:00:00:00:0b",
    });
    expect(await ping(lan, "2001:db8:1::12")).toBe(true);
    expect(await neighbour(lan, "2001:db8:1::12")).toMatchObject({ lladdr: "02:00:00:00:00:0c" });
    expect(await neighbour(lan, "192.0.2.99")).toBeUndefined();
  });

  it("a VIP on lo: no kernel ARP answer, and curl names the node that served", async () => {
    await addVip(lan, "n1", "192.0.2.100");
    await addVip(lan, "n1", "2001:db8:1::100");
    await addVip(lan, "n2", "192.0.2.100");
    // arp_ignore=1: neither kernel answers for an address on lo.
    expect(await arping(lan, "192.0.2.100")).toEqual([]);
    for (const n of ["n1", "n2", "n3"]) await startHttpListener(lan, n, 8080);
    expect(await curl(lan, "192.0.2.12", 8080)).toBe("n2");
    expect(await curl(lan, "2001:db8:1::13", 8080)).toBe("n3");
    // Pin the VIP to n1's MAC on the client, as an ARP answer from n1's speaker would.
    await lan.exec("client", [
      "ip",
      "neigh",
      "replace",
      "192.0.2.100",
      "lladdr",
      "02:00:00:00:00:0b",
      "dev",
      "eth0",
    ]);
    await lan.exec("client", [
      "ip",
      "neigh",
      "replace",
      "2001:db8:1::100",
      "lladdr",
      "02:00:00:00:00:0b",
      "dev",
      "eth0",
    ]);
    expect(await curl(lan, "192.0.2.100", 8080)).toBe("n1");
    expect(await curl(lan, "2001:db8:1::100", 8080)).toBe("n1");
    // …and to n2's: now n2 serves the same VIP.
    await lan.exec("client", [
      "ip",
      "neigh",
      "replace",
      "192.0.2.100",
      "lladdr",
      "02:00:00:00:00:0c",
      "dev",
      "eth0",
    ]);
    expect(await curl(lan, "192.0.2.100", 8080)).toBe("n2");
    // Nobody listens on 8081: no answer.
    expect(await curl(lan, "192.0.2.12", 8081, { timeoutS: 1 })).toBeUndefined();
  });
});

describe("lab LAN teardown", () => {
  it("destroy() stops its processes, deletes its namespaces and is idempotent", async () => {
    const lan = await createLan({ prefix: "ltd", nodes: 1, client: false });
    await startHttpListener(lan, "n1", 8080);
    const records = [...lan.processes.records];
    expect(records.length).toBe(1);
    expect(records.every(isRunning)).toBe(true);
    await lan.destroy();
    expect(records.some(isRunning)).toBe(false);
    const names = await netnsList();
    expect(names.filter((n) => n.startsWith(lan.name))).toEqual([]);
    await lan.destroy();
  });

  it("a failed creation removes what it made and nothing it did not make", async () => {
    await expect(createLan({ prefix: "ltf", nodes: 21 })).rejects.toThrow(/nodes must be/);
    // Fail half-way: the bridge namespace gets made, then a host's namespace
    // name is already taken (made here, outside the lab).
    const name = `ltf${process.pid.toString(36)}`;
    const dir = await mkdtemp(join(tmpdir(), "lab-fail-"));
    await run(["ip", "netns", "add", `${name}-n1`]);
    try {
      await expect(createLan({ name, dir, nodes: 1, client: true })).rejects.toThrow(
        /cannot create LAN/,
      );
      const names = await netnsList();
      expect(names).not.toContain(`${name}-lan`);
      expect(names).not.toContain(`${name}-client`);
      expect(names).toContain(`${name}-n1`);
    } finally {
      await run(["ip", "netns", "del", `${name}-n1`]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("destroyLanFromState tears a LAN down from its saved state", async () => {
    const lan = await createLan({ prefix: "lts", nodes: 1, client: false });
    await startHttpListener(lan, "n1", 8080);
    const state = lan.state();
    await destroyLanFromState(state);
    expect(state.processes.some(isRunning)).toBe(false);
    expect((await netnsList()).filter((n) => n.startsWith(lan.name))).toEqual([]);
  });
});
