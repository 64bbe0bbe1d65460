import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assignOwners,
  hashString,
  ownedBy,
  ownerOf,
  rankNodes,
  rendezvousScore,
  type IpCandidates,
} from "./ownership.ts";

const nodeName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const nodeSet = (min: number, max: number): fc.Arbitrary<string[]> =>
  fc.uniqueArray(nodeName, { minLength: min, maxLength: max });
const ipv4 = fc.ipV4();
const anyIp = fc.oneof(fc.ipV4(), fc.ipV6());

const ipsOf = (count: number, offset = 0): string[] =>
  Array.from({ length: count }, (_, i) => {
    const n = i + offset;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  });

function counts(ips: readonly string[], nodes: readonly string[]): Map<string, number> {
  const out = new Map(nodes.map((n) => [n, 0]));
  for (const ip of ips) {
    const owner = ownerOf(ip, nodes);
    if (owner !== undefined) out.set(owner, (out.get(owner) ?? 0) + 1);
  }
  return out;
}

const claim = (ip: string, service: string, eligible: Record<string, string[]>): IpCandidates => ({
  ip,
  service,
  eligible: new Map(Object.entries(eligible)),
});

describe("rendezvous ranking", () => {
  it("pinned vectors: a change here moves IPs in a cluster running two versions", () => {
    expect(hashString("")).toBe(0);
    expect(hashString("node-a")).toBe(746872352);
    expect(rankNodes("10.0.0.1", ["node-a", "node-b", "node-c"])).toEqual(PINNED["10.0.0.1"]);
    expect(rankNodes("10.0.0.2", ["node-a", "node-b", "node-c"])).toEqual(PINNED["10.0.0.2"]);
    expect(rankNodes("2001:db8::1", ["node-a", "node-b", "node-c"])).toEqual(PINNED["2001:db8::1"]);
    expect(rendezvousScore("node-a", "10.0.0.1")).toBe(PINNED.score);
  });

  it("exactly one owner, always one of the eligible nodes, independent of their order", () => {
    fc.assert(
      fc.property(anyIp, nodeSet(1, 30), (ip, nodes) => {
        const owner = ownerOf(ip, nodes);
        expect(owner).toBeDefined();
        expect(nodes).toContain(owner);
        expect(ownerOf(ip, [...nodes].reverse())).toBe(owner);
        expect(rankNodes(ip, nodes)[0]).toBe(owner);
      }),
    );
    expect(ownerOf("10.0.0.1", [])).toBeUndefined();
  });

  it("removing a node that is not the owner never changes the owner", () => {
    fc.assert(
      fc.property(anyIp, nodeSet(2, 30), fc.nat(), (ip, nodes, pick) => {
        const owner = ownerOf(ip, nodes);
        const others = nodes.filter((n) => n !== owner);
        const removed = others[pick % others.length];
        expect(
          ownerOf(
            ip,
            nodes.filter((n) => n !== removed),
          ),
        ).toBe(owner);
      }),
    );
  });

  it("removing the owner hands the IP to the next in rank; adding a node moves IPs only to it", () => {
    fc.assert(
      fc.property(anyIp, nodeSet(2, 30), nodeName, (ip, nodes, joiner) => {
        const [first, second] = rankNodes(ip, nodes);
        expect(
          ownerOf(
            ip,
            nodes.filter((n) => n !== first),
          ),
        ).toBe(second);
        fc.pre(!nodes.includes(joiner));
        const after = ownerOf(ip, [...nodes, joiner]);
        expect([first, joiner]).toContain(after);
      }),
    );
  });

  it("a dead owner's IPs spread over all survivors", () => {
    const nodes = Array.from({ length: 10 }, (_, i) => `worker-${i}`);
    const ips = ipsOf(10_000);
    const victim = "worker-3";
    const heirs = new Map<string, number>();
    for (const ip of ips) {
      if (ownerOf(ip, nodes) !== victim) continue;
      const heir = ownerOf(
        ip,
        nodes.filter((n) => n !== victim),
      );
      heirs.set(heir ?? "", (heirs.get(heir ?? "") ?? 0) + 1);
    }
    expect(heirs.size).toBe(9);
    for (const n of heirs.values()) expect(n).toBeGreaterThan(60); // ≈ 111 each
  });

  it("spreads 10,000 IPs evenly over 3 and over 10 nodes (±10 % and ±15 %)", () => {
    fc.assert(
      fc.property(nodeSet(3, 3), nodeSet(10, 10), fc.nat(1 << 20), (three, ten, offset) => {
        const ips = ipsOf(10_000, offset);
        for (const n of counts(ips, three).values()) {
          expect(Math.abs(n - 10_000 / 3)).toBeLessThan(10_000 / 3 / 10);
        }
        for (const n of counts(ips, ten).values()) {
          expect(Math.abs(n - 1000)).toBeLessThan(150);
        }
      }),
      { numRuns: 10 },
    );
  });

  it("evenness holds for IPv6 and for node names that differ in one character", () => {
    const nodes = ["node1", "node2", "node3", "node4", "node5"];
    const ips = Array.from({ length: 10_000 }, (_, i) => `2001:db8::${i.toString(16)}`);
    for (const n of counts(ips, nodes).values()) expect(Math.abs(n - 2000)).toBeLessThan(200);
  });

  it("speed: 10,000 IPs × 100 nodes (printed, not asserted)", () => {
    const nodes = Array.from({ length: 100 }, (_, i) => `node-${i}.example.internal`);
    const all = new Map(nodes.map((n) => [n, [] as string[]]));
    const claims = ipsOf(10_000).map((ip) => claim(ip, `ns/${ip}`, {}));
    const withNodes = claims.map((c) => ({ ...c, eligible: all }));
    const started = performance.now();
    const owners = assignOwners(withNodes);
    const ms = performance.now() - started;
    console.log(`assignOwners: 10,000 IPs × 100 nodes in ${ms.toFixed(1)} ms`);
    expect(owners.size).toBe(10_000);
  });
});

describe("assignOwners", () => {
  it("one owner per IP; Services sharing an IP with equal sets share the owner", () => {
    const nodes = { a: [], b: ["eth1"], c: [] };
    const owners = assignOwners([
      claim("192.0.2.1", "ns/one", nodes),
      claim("192.0.2.1", "ns/two", nodes),
      claim("192.0.2.2", "ns/three", nodes),
    ]);
    expect(owners.size).toBe(2);
    const shared = owners.get("192.0.2.1");
    expect(shared?.owner).toBe(ownerOf("192.0.2.1", ["a", "b", "c"]));
    expect(shared?.basis).toBe("intersection");
    expect(shared?.services).toEqual(["ns/one", "ns/two"]);
    expect(owners.get("192.0.2.2")?.basis).toBe("single");
  });

  it("different eligible sets: the intersection when it is not empty", () => {
    fc.assert(
      fc.property(ipv4, nodeSet(3, 12), fc.nat(), (ip, nodes, cut) => {
        const split = 1 + (cut % (nodes.length - 1));
        const left = Object.fromEntries(nodes.slice(0, split + 1).map((n) => [n, []]));
        const right = Object.fromEntries(nodes.slice(split).map((n) => [n, []]));
        const owner = assignOwners([claim(ip, "ns/l", left), claim(ip, "ns/r", right)]).get(ip);
        expect(owner?.basis).toBe("intersection");
        expect(owner?.owner).toBe(nodes[split]); // the only node in both
      }),
    );
  });

  it("disjoint eligible sets: the union, and the owner's interfaces come from the Services it serves", () => {
    const owners = assignOwners([
      claim("192.0.2.9", "ns/x", { a: ["eth-x"] }),
      claim("192.0.2.9", "ns/y", { b: ["eth-y"] }),
    ]);
    const o = owners.get("192.0.2.9");
    expect(o?.basis).toBe("union");
    expect(o?.owner).toBe(ownerOf("192.0.2.9", ["a", "b"]));
    expect(o?.interfaces).toEqual(o?.owner === "a" ? ["eth-x"] : ["eth-y"]);
  });

  it("interfaces: union over shared Services, [] (all) wins", () => {
    const o1 = assignOwners([
      claim("192.0.2.3", "ns/p", { a: ["eth2"] }),
      claim("192.0.2.3", "ns/q", { a: ["eth1", "eth2"] }),
    ]).get("192.0.2.3");
    expect(o1?.interfaces).toEqual(["eth1", "eth2"]);
    const o2 = assignOwners([
      claim("192.0.2.3", "ns/p", { a: ["eth2"] }),
      claim("192.0.2.3", "ns/q", { a: [] }),
    ]).get("192.0.2.3");
    expect(o2?.interfaces).toEqual([]);
  });

  it("no eligible node: owner undefined, and ownedBy lists what a node announces", () => {
    const owners = assignOwners([
      claim("192.0.2.4", "ns/none", {}),
      claim("192.0.2.5", "ns/one", { a: [] }),
    ]);
    expect(owners.get("192.0.2.4")?.owner).toBeUndefined();
    expect(ownedBy("a", owners).map((o) => o.ip)).toEqual(["192.0.2.5"]);
    expect(ownedBy("b", owners)).toEqual([]);
  });
});

const PINNED = {
  "10.0.0.1": ["node-c", "node-a", "node-b"],
  "10.0.0.2": ["node-b", "node-a", "node-c"],
  "2001:db8::1": ["node-b", "node-a", "node-c"],
  score: 2180606589,
};
