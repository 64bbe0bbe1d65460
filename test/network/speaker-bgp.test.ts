// Issue 6 end to end: three `metallb-ts speaker` processes, one per node
// namespace, read a real control plane (through the lab's API relay) and
// announce Services over BGP to FRR — ECMP in FRR's RIB and kernel FIB,
// traffic spread over the nodes, attributes exactly as configured, MD5,
// withdraws, hold-timer expiry of a killed speaker, ETP Local, and no
// session reset on advertisement edits or 100 new Services.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../lab/exec.ts";
import { startFrr, type Frr } from "../lab/frr.ts";
import { addVip, curl, startHttpListener } from "../lab/l2.ts";
import type { Lan } from "../lab/topology.ts";
import { metallb, NS, SpeakerCluster, type Json } from "./bgp-fixtures/speaker-cluster.ts";

const NODES = ["n1", "n2", "n3"] as const;
const V4 = "203.0.113.10";
const V6 = "2001:db8:ff::10";
const SPEAKER_ASN = 64513;
const ROUTER_ASN = 64512;

describe("metallb-ts speaker over BGP (FRR, three nodes)", () => {
  const cluster = new SpeakerCluster();
  const { kubectl: k, apply, setStatus } = cluster;
  let lan: Lan | undefined;
  let rtr: Frr | undefined;
  let md5Router: Frr | undefined;
  const speakers = new Map<string, number>();
  const speakerLogs = new Map<string, string>();

  const host = (n: string): { ipv4: string; ipv6: string } => {
    if (!lan) throw new Error("no lan");
    return lan.host(n);
  };

  async function createService(
    name: string,
    ips: string[],
    opts: { pool?: string; local?: boolean; endpointNodes?: readonly string[] } = {},
  ): Promise<void> {
    const endpointNodes = opts.endpointNodes ?? NODES;
    await apply(
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name,
          namespace: "default",
          annotations: { "metallb.io/ip-allocated-from-pool": opts.pool ?? "pool" },
        },
        spec: {
          type: "LoadBalancer",
          ports: [{ port: 8080, targetPort: 8080, protocol: "TCP" }],
          ...(opts.local === true ? { externalTrafficPolicy: "Local" } : {}),
        },
      },
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: `${name}-1`,
          namespace: "default",
          labels: {
            "kubernetes.io/service-name": name,
            "endpointslice.kubernetes.io/managed-by": "speaker-bgp-test",
          },
        },
        addressType: "IPv4",
        endpoints: endpointNodes.map((n) => ({
          addresses: [host(n).ipv4],
          nodeName: n,
          conditions: { ready: true, serving: true },
        })),
        ports: [{ port: 8080, protocol: "TCP" }],
      },
    );
    await setStatus(
      "service",
      name,
      { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
      "default",
    );
  }

  function startSpeaker(node: string): void {
    const { child, log } = cluster.startSpeaker(node);
    speakerLogs.set(node, log);
    if (child.pid !== undefined) speakers.set(node, child.pid);
  }

  const nodeAddress = (paths: { nexthop: string | undefined; peer: string }[]): string[] =>
    paths.map((p) => p.peer).sort();

  async function waitPaths(prefix: string, count: number, frr = rtr): Promise<Json[]> {
    if (!frr) throw new Error("no frr");
    return waitFor(
      `${String(count)} paths for ${prefix} at FRR`,
      async () => {
        const paths = await frr.paths(prefix);
        return paths.length === count ? paths.map((p) => p.raw) : undefined;
      },
      { timeoutMs: 20_000, stepMs: 200 },
    );
  }

  /** The speakers' session log lines, to say why a session reset when one did. */
  async function sessionEvents(): Promise<string> {
    const lines: string[] = [];
    for (const [node, file] of speakerLogs) {
      const text = await readFile(file, "utf8").catch(() => "");
      for (const l of text.split("\n"))
        if (/BGP session|hold|NOTIFICATION/i.test(l)) lines.push(`${node}: ${l}`);
    }
    const frr =
      await rtr?.json<Record<string, { lastResetDueTo?: string } | undefined>>(
        "show bgp neighbors json",
      );
    for (const [addr, v] of Object.entries(frr ?? {})) {
      if (typeof v === "object" && v.lastResetDueTo !== undefined)
        lines.push(`FRR ${addr}: last reset due to ${v.lastResetDueTo}`);
    }
    return lines.join("\n");
  }

  async function established(): Promise<Record<string, number>> {
    if (!rtr) throw new Error("no frr");
    const j =
      await rtr.json<Record<string, { connectionsEstablished?: number } | undefined>>(
        "show bgp neighbors json",
      );
    const out: Record<string, number> = {};
    for (const [addr, v] of Object.entries(j)) {
      if (typeof v === "object") out[addr] = v.connectionsEstablished ?? 0;
    }
    return out;
  }

  beforeAll(async () => {
    lan = await cluster.start({
      tmpPrefix: "speaker-bgp-",
      lan: { prefix: "sbg", nodes: 3, client: true, router: true, extra: ["bird"] },
      apiHosts: NODES,
    });

    const v4Peers = NODES.map((n) => ({
      address: host(n).ipv4,
      asn: SPEAKER_ASN,
      passive: true,
      password: "s3cret",
    }));
    const v6Peers = NODES.map((n) => ({ address: host(n).ipv6, asn: ROUTER_ASN, passive: true }));
    [rtr, md5Router] = await Promise.all([
      startFrr(lan, {
        asn: ROUTER_ASN,
        routerId: "192.0.2.1",
        peers: [...v4Peers, ...v6Peers],
        zebra: true,
      }),
      startFrr(lan, {
        host: "bird",
        asn: ROUTER_ASN,
        routerId: "192.0.2.2",
        peers: [{ address: host("n1").ipv4, asn: SPEAKER_ASN, passive: true, password: "right" }],
        zebra: false,
      }),
    ]);

    for (const n of NODES) {
      await apply({ apiVersion: "v1", kind: "Node", metadata: { name: n, labels: { node: n } } });
      await setStatus("node", n, {
        conditions: [{ type: "Ready", status: "True", reason: "Test", message: "test" }],
        addresses: [
          { type: "InternalIP", address: host(n).ipv4 },
          { type: "InternalIP", address: host(n).ipv6 },
        ],
      });
      await addVip(lan, n, V4);
      await addVip(lan, n, V6);
      await startHttpListener(lan, n, 8080);
    }
    await apply(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "rtr-md5", namespace: NS },
        type: "kubernetes.io/basic-auth",
        stringData: { password: "s3cret" },
      },
      metallb("IPAddressPool", "pool", { addresses: ["203.0.113.0/24", "2001:db8:ff::/64"] }),
      metallb("IPAddressPool", "agg", { addresses: ["198.51.100.0/24", "2001:db8:ee::/64"] }),
      metallb("Community", "aliases", { communities: [{ name: "myalias", value: "65000:200" }] }),
      peer("rtr-v4", {
        peerAddress: "192.0.2.1",
        myASN: SPEAKER_ASN,
        peerASN: ROUTER_ASN,
        passwordSecret: { name: "rtr-md5", namespace: NS },
      }),
      peer("rtr-v6", { peerAddress: "2001:db8:1::1", myASN: ROUTER_ASN, peerASN: ROUTER_ASN }),
      peer("md5-wrong", {
        peerAddress: "192.0.2.2",
        myASN: SPEAKER_ASN,
        peerASN: ROUTER_ASN,
        password: "wrong",
        nodeSelectors: [{ matchLabels: { node: "n1" } }],
      }),
      metallb("BGPAdvertisement", "ad-all", {
        ipAddressPools: ["pool"],
        communities: ["65000:100", "large:65000:1:2", "myalias"],
      }),
      metallb("BGPAdvertisement", "ad-v6pref", {
        ipAddressPools: ["pool"],
        localPref: 150,
        peers: ["rtr-v6"],
      }),
      metallb("BGPAdvertisement", "ad-agg", {
        ipAddressPools: ["agg"],
        aggregationLength: 24,
        peers: ["rtr-v4"],
      }),
    );
    await createService("web", [V4, V6]);
    for (const n of NODES) startSpeaker(n);
  }, 110_000);

  afterAll(() => cluster.stop());

  it("FRR holds three paths per prefix, its FIB a multipath route, and traffic reaches all three nodes", async () => {
    if (!lan || !rtr) throw new Error("setup failed");
    await waitPaths(`${V4}/32`, 3);
    await waitPaths(`${V6}/128`, 3);
    expect(nodeAddress(await rtr.paths(`${V4}/32`))).toEqual(NODES.map((n) => host(n).ipv4));
    expect(nodeAddress(await rtr.paths(`${V6}/128`))).toEqual(NODES.map((n) => host(n).ipv6));
    const fib = await waitFor(
      "kernel multipath route",
      async () => {
        const v4 = await rtr?.kernelNexthops(`${V4}/32`);
        return v4?.length === 3 ? v4 : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(fib).toEqual(NODES.map((n) => host(n).ipv4));
    expect((await rtr.kernelNexthops(`${V6}/128`)).length).toBe(3);
    // Different source ports hash to different next hops (fib_multipath_hash_policy=1).
    const served = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const who = await curl(lan, V4, 8080);
      if (who !== undefined) served.add(who);
    }
    expect([...served].sort()).toEqual([...NODES]);
  }, 60_000);

  it("communities, large communities, local-pref, aggregation and per-peer selection are as configured", async () => {
    if (!rtr) throw new Error("setup failed");
    const [v4] = await waitPaths(`${V4}/32`, 3);
    expect((v4?.community as { string?: string } | undefined)?.string).toBe("65000:100 65000:200");
    expect((v4?.largeCommunity as { string?: string } | undefined)?.string).toBe("65000:1:2");
    // eBGP: no LOCAL_PREF on the wire; the iBGP IPv6 session carries ad-v6pref's 150.
    const [v6] = await waitPaths(`${V6}/128`, 3);
    expect(v6?.locPrf ?? v6?.localpref).toBe(150);
    expect((v6?.community as { string?: string } | undefined)?.string).toBe("65000:100 65000:200");
    // ad-agg: /24 to rtr-v4 only, so the IPv6 address of the same Service goes nowhere.
    await createService("agg", ["198.51.100.77", "2001:db8:ee::77"], { pool: "agg" });
    await waitPaths("198.51.100.0/24", 3);
    expect(await rtr.paths("198.51.100.77/32")).toEqual([]);
    expect(await rtr.paths("2001:db8:ee::77/128")).toEqual([]);
    const statuses = await waitFor("ServiceBGPStatus for agg on 3 nodes", async () => {
      const list = JSON.parse(
        await k([
          "get",
          "servicebgpstatuses",
          "-n",
          NS,
          "-l",
          "metallb.io/service-name=agg",
          "-o",
          "json",
        ]),
      ) as { items: { status?: { node?: string; peers?: string[] } }[] };
      return list.items.length === 3 ? list.items : undefined;
    });
    expect(statuses.map((s) => s.status?.peers)).toEqual([["rtr-v4"], ["rtr-v4"], ["rtr-v4"]]);
    const web = JSON.parse(
      await k([
        "get",
        "servicebgpstatuses",
        "-n",
        NS,
        "-l",
        "metallb.io/service-name=web,metallb.io/node=n1",
        "-o",
        "json",
      ]),
    ) as { items: { status?: { peers?: string[] } }[] };
    expect(web.items.map((s) => s.status?.peers)).toEqual([["md5-wrong", "rtr-v4", "rtr-v6"]]);
  }, 60_000);

  it("MD5: the right key (from a Secret) establishes, a wrong one never does", async () => {
    if (!rtr || !md5Router) throw new Error("setup failed");
    for (const n of NODES) expect(await rtr.neighborState(host(n).ipv4)).toBe("Established");
    const states = new Set<string | undefined>();
    for (let i = 0; i < 10; i++) {
      states.add(await md5Router.neighborState(host("n1").ipv4));
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(states.has("Established")).toBe(false);
  }, 30_000);

  it("editing an advertisement and adding 100 Services send UPDATEs without resetting a session", async () => {
    if (!rtr) throw new Error("setup failed");
    const before = await established();
    expect(Object.keys(before).length).toBe(6);
    await apply(
      metallb("BGPAdvertisement", "ad-all", {
        ipAddressPools: ["pool"],
        communities: ["65000:100", "large:65000:1:2", "myalias", "65000:300"],
      }),
    );
    await waitFor("the new community at FRR", async () => {
      const paths = await rtr?.paths(`${V4}/32`);
      return (
        paths?.length === 3 &&
        paths.every((p) => (p.raw.community as { string?: string }).string?.includes("65000:300"))
      );
    });
    const items: Json[] = [];
    for (let i = 0; i < 100; i++) {
      items.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: `bulk-${String(i)}`,
          namespace: "default",
          annotations: { "metallb.io/ip-allocated-from-pool": "pool" },
        },
        spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }] },
      });
      items.push({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: `bulk-${String(i)}-1`,
          namespace: "default",
          labels: {
            "kubernetes.io/service-name": `bulk-${String(i)}`,
            "endpointslice.kubernetes.io/managed-by": "speaker-bgp-test",
          },
        },
        addressType: "IPv4",
        endpoints: [{ addresses: [host("n1").ipv4], nodeName: "n1" }],
        ports: [{ port: 80, protocol: "TCP" }],
      });
    }
    await apply(...items);
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        setStatus(
          "service",
          `bulk-${String(i)}`,
          { loadBalancer: { ingress: [{ ip: `203.0.113.${String(100 + i)}` }] } },
          "default",
        ),
      ),
    );
    await waitFor(
      "100 more IPv4 prefixes with 3 paths each at FRR",
      async () => {
        const j = await rtr?.json<{ routes?: Record<string, unknown[]> }>(
          "show bgp ipv4 unicast json",
        );
        const routes = Object.entries(j?.routes ?? {}).filter(([p]) => p.startsWith("203.0.113."));
        return routes.length === 101 && routes.every(([, paths]) => paths.length === 3);
      },
      { timeoutMs: 30_000, stepMs: 500 },
    );
    expect(await established(), await sessionEvents()).toEqual(before);
    await k([
      "delete",
      "service",
      "-n",
      "default",
      ...Array.from({ length: 100 }, (_, i) => `bulk-${String(i)}`),
      "--wait=false",
    ]);
  }, 90_000);

  it("ETP Local: only the nodes with a serving endpoint announce", async () => {
    if (!rtr) throw new Error("setup failed");
    await createService("local", ["203.0.113.20"], { local: true, endpointNodes: ["n2"] });
    await waitPaths("203.0.113.20/32", 1);
    expect(nodeAddress(await rtr.paths("203.0.113.20/32"))).toEqual([host("n2").ipv4]);
  }, 30_000);

  it("a deleted Service is withdrawn at FRR", async () => {
    if (!rtr) throw new Error("setup failed");
    await waitPaths("203.0.113.20/32", 1);
    await k(["delete", "service", "-n", "default", "local"]);
    await waitPaths("203.0.113.20/32", 0);
  }, 30_000);

  it("a killed speaker's paths go by hold-timer expiry", async () => {
    if (!lan || !rtr) throw new Error("setup failed");
    const pid = speakers.get("n3");
    if (pid === undefined) throw new Error("n3 speaker not started");
    // Cut n3's link first so no FIN reaches FRR: only the hold timer (3 s) can tell.
    await lan.linkDown("n3");
    process.kill(pid, "SIGKILL");
    const started = Date.now();
    await waitPaths(`${V4}/32`, 2);
    const paths = await rtr.paths(`${V4}/32`);
    expect(nodeAddress(paths)).toEqual([host("n1").ipv4, host("n2").ipv4]);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);

  it("graceful restart: FRR keeps a crashed speaker's path as stale until it is back", async () => {
    if (!lan || !rtr) throw new Error("setup failed");
    await apply(
      peer("rtr-v4", {
        peerAddress: "192.0.2.1",
        myASN: SPEAKER_ASN,
        peerASN: ROUTER_ASN,
        passwordSecret: { name: "rtr-md5", namespace: NS },
        enableGracefulRestart: true,
      }),
    );
    const n2 = host("n2").ipv4;
    await waitFor("n2's session with graceful restart", async () => {
      const j = await rtr?.json<Record<string, { neighborCapabilities?: Record<string, unknown> }>>(
        `show bgp neighbors ${n2} json`,
      );
      const gr = j?.[n2]?.neighborCapabilities?.gracefulRestart;
      return typeof gr === "string" && /received/i.test(gr);
    });
    await waitPaths(`${V4}/32`, 2);
    const pid = speakers.get("n2");
    if (pid === undefined) throw new Error("n2 speaker not started");
    process.kill(pid, "SIGKILL");
    await waitFor("n2's path marked stale", async () => {
      const paths = await rtr?.paths(`${V4}/32`);
      return paths?.some((p) => p.peer === n2 && p.raw.stale === true);
    });
    // Well past the 3 s hold time the stale path is still there.
    await new Promise((r) => setTimeout(r, 4000));
    expect(nodeAddress(await rtr.paths(`${V4}/32`))).toEqual([host("n1").ipv4, n2]);
    startSpeaker("n2");
    await waitFor(
      "n2's path fresh again",
      async () => {
        const paths = await rtr?.paths(`${V4}/32`);
        return paths?.some((p) => p.peer === n2 && p.raw.stale !== true);
      },
      { timeoutMs: 20_000 },
    );
  }, 45_000);
});

function peer(name: string, spec: Json): Json {
  return metallb("BGPPeer", name, { holdTime: "90s", ...spec });
}
