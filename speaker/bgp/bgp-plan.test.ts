import { describe, expect, it } from "vitest";
import type { SpeakerSnapshot, ServiceView, NodeView } from "../cluster-view.ts";
import { EMPTY_CONFIG_SET, type ConfigSet } from "../../core/validation/config-set.ts";
import { aggregatePrefix, defaultRouterId, planBgp, sessionKey } from "./bgp-plan.ts";
import { parseIp } from "../../core/net/ip-address-text.ts";

const NS = "metallb-system";
const obj = <S>(name: string, spec: S, labels: Record<string, string> = {}) => ({
  apiVersion: "metallb.io/v1beta1",
  kind: "X",
  metadata: { name, namespace: NS, labels },
  spec,
});

function node(name: string, labels: Record<string, string> = {}, extra: Partial<NodeView> = {}) {
  const i = name.slice(1);
  return {
    name,
    labels,
    ready: true,
    networkUnavailable: false,
    addresses: [`192.0.2.1${i}`, `2001:db8:1::1${i}`],
    ...extra,
  };
}

function service(name: string, ips: string[], extra: Partial<ServiceView> = {}): ServiceView {
  return {
    key: `default/${name}`,
    namespace: "default",
    name,
    uid: name,
    labels: {},
    ips,
    pool: "pool",
    externalTrafficPolicyLocal: false,
    sharingKey: undefined,
    ...extra,
  };
}

function snapshot(over: {
  config?: Partial<ConfigSet>;
  services?: ServiceView[];
  nodes?: NodeView[];
  endpoints?: Record<string, string[]>;
}): SpeakerSnapshot {
  const services = over.services ?? [service("web", ["203.0.113.10", "2001:db8:ff::10"])];
  const endpoints = new Map(
    services.map((s) => {
      const nodes = over.endpoints?.[s.name] ?? ["n1", "n2"];
      return [s.key, { anyServing: nodes.length > 0, nodes: new Set(nodes) }];
    }),
  );
  const config = {
    ...EMPTY_CONFIG_SET,
    pools: [obj("pool", { addresses: ["203.0.113.0/24"] })],
    peers: [obj("v4", { myASN: 64513, peerASN: 64512, peerAddress: "192.0.2.1" })],
    bgpAdvertisements: [obj("all", {})],
    ...over.config,
  };
  return {
    services,
    endpoints,
    nodes: over.nodes ?? [node("n1", { zone: "a" }), node("n2", { zone: "b" })],
    config,
  };
}

const plan = (s: SpeakerSnapshot, self = "n1", secrets = new Map<string, string>()) =>
  planBgp({ snapshot: s, self, secretPasswords: secrets });

describe("planBgp: sessions", () => {
  it("one session per BGPPeer whose nodeSelectors match this node, with MetalLB's defaults", () => {
    const s = snapshot({
      config: {
        peers: [
          obj("v4", { myASN: 64513, peerASN: 64512, peerAddress: "192.0.2.1" }),
          obj("only-b", {
            myASN: 64513,
            peerASN: 64512,
            peerAddress: "192.0.2.2",
            nodeSelectors: [{ matchLabels: { zone: "b" } }],
          }),
        ],
      },
    });
    const p = plan(s);
    expect([...p.peers.keys()]).toEqual(["v4"]);
    expect(p.peers.get("v4")?.config).toEqual({
      name: "v4",
      peerAddress: "192.0.2.1",
      peerPort: 179,
      myAsn: 64513,
      peerAsn: 64512,
      routerId: "192.0.2.11",
      connectRetryTime: 2,
      password: "",
      ttl: 1,
      gracefulRestart: false,
      families: ["ipv4"],
    });
    expect([...plan(s, "n2").peers.keys()]).toEqual(["v4", "only-b"]);
  });

  it("maps timers, TTL, graceful restart, dual stack and the password Secret", () => {
    const s = snapshot({
      config: {
        peers: [
          obj("p", {
            myASN: 64513,
            peerASN: 64512,
            peerAddress: "2001:db8:1::1",
            keepaliveTime: "10s",
            connectTime: "5s",
            ebgpMultiHop: true,
            enableGracefulRestart: true,
            dualStackAddressFamily: true,
            routerID: "10.0.0.1",
            sourceAddress: "2001:db8:1::11",
            passwordSecret: { name: "md5", namespace: "elsewhere" },
          }),
        ],
      },
    });
    expect(plan(s).peers.size).toBe(0);
    expect(plan(s).problems[0]).toMatch(/Secret md5 is not readable/);
    const config = plan(s, "n1", new Map([["md5", "k3y"]])).peers.get("p")?.config;
    expect(config).toMatchObject({
      holdTime: 30,
      keepaliveTime: 10,
      connectRetryTime: 5,
      ttl: 255,
      gracefulRestart: true,
      families: ["ipv4", "ipv6"],
      ipv4NextHop: "192.0.2.11",
      routerId: "10.0.0.1",
      sourceAddress: "2001:db8:1::11",
      password: "k3y",
    });
    expect(config?.ipv6NextHop).toBeUndefined();
  });

  it("iBGP gets TTL 255; the session key changes only with session parameters", () => {
    const base = { myASN: 64512, peerASN: 64512, peerAddress: "192.0.2.1", holdTime: "9s" };
    const a = plan(snapshot({ config: { peers: [obj("i", base)] } })).peers.get("i");
    expect(a?.config.ttl).toBe(255);
    expect(a?.config.holdTime).toBe(9);
    const moreAds = snapshot({
      config: {
        peers: [obj("i", base)],
        bgpAdvertisements: [obj("all", { localPref: 300, communities: ["1:1"] })],
      },
    });
    const b = plan(moreAds).peers.get("i");
    expect(a && b && sessionKey(a.config)).toBe(b && sessionKey(b.config));
    const c = plan(
      snapshot({ config: { peers: [obj("i", { ...base, holdTime: "12s" })] } }),
    ).peers.get("i");
    expect(a && c && sessionKey(a.config) !== sessionKey(c.config)).toBe(true);
  });

  it("router ID falls back to sourceAddress, then to CRC-32 of the node name", () => {
    const v6only = node("n1", {}, { addresses: ["2001:db8:1::11"] });
    expect(defaultRouterId(v6only, { myASN: 1, sourceAddress: "198.51.100.1" })).toBe(
      "198.51.100.1",
    );
    expect(defaultRouterId(v6only, { myASN: 1 })).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(defaultRouterId(v6only, { myASN: 1 })).toBe(defaultRouterId(v6only, { myASN: 1 }));
  });

  it("unknown Node: no sessions, a problem", () => {
    const p = plan(snapshot({}), "n9");
    expect(p.peers.size).toBe(0);
    expect(p.problems).toEqual(["Node n9 not found"]);
  });
});

describe("planBgp: routes", () => {
  it("every eligible node announces each IP with the ad's attributes and aliases", () => {
    const s = snapshot({
      config: {
        communities: [obj("c", { communities: [{ name: "alias", value: "65000:7" }] })],
        bgpAdvertisements: [
          obj("all", {
            localPref: 150,
            communities: ["65000:1", "alias", "no-export", "large:1:2:3"],
          }),
        ],
      },
    });
    for (const self of ["n1", "n2"]) {
      const p = plan(s, self);
      expect(p.peers.get("v4")?.routes).toEqual([
        {
          prefix: "203.0.113.10/32",
          localPref: 150,
          communities: [65000 * 65536 + 1, 65000 * 65536 + 7, 0xffffff01],
          largeCommunities: [{ globalAdmin: 1, localData1: 2, localData2: 3 }],
        },
        expect.objectContaining({ prefix: "2001:db8:ff::10/128" }),
      ]);
      expect(p.statuses.get("default/web")).toEqual({ peers: ["v4"] });
      expect(p.announced).toEqual([
        { service: "default/web", ip: "203.0.113.10" },
        { service: "default/web", ip: "2001:db8:ff::10" },
      ]);
    }
  });

  it("aggregation lengths mask the IP", () => {
    const s = snapshot({
      config: {
        bgpAdvertisements: [obj("agg", { aggregationLength: 24, aggregationLengthV6: 64 })],
      },
    });
    expect(
      plan(s)
        .peers.get("v4")
        ?.routes.map((r) => r.prefix),
    ).toEqual(["203.0.113.0/24", "2001:db8:ff::/64"]);
    const ip = parseIp("10.1.2.3");
    expect(ip && aggregatePrefix(ip, 0)).toBe("0.0.0.0/0");
  });

  it("peers, nodeSelectors, pools and serviceSelectors select what each peer hears", () => {
    const s = snapshot({
      services: [
        service("web", ["203.0.113.10"]),
        service("other", ["198.51.100.1"], { pool: "other", labels: { app: "x" } }),
      ],
      config: {
        pools: [
          obj("pool", { addresses: ["203.0.113.0/24"] }),
          obj("other", { addresses: ["198.51.100.0/24"] }, { tier: "gold" }),
        ],
        peers: [
          obj("a", { myASN: 1, peerASN: 2, peerAddress: "192.0.2.1" }),
          obj("b", { myASN: 1, peerASN: 2, peerAddress: "192.0.2.2" }),
        ],
        bgpAdvertisements: [
          obj("to-a", { ipAddressPools: ["pool"], peers: ["a"] }),
          obj("gold-on-b-zone", {
            ipAddressPoolSelectors: [{ matchLabels: { tier: "gold" } }],
            serviceSelectors: [{ matchLabels: { app: "x" } }],
            nodeSelectors: [{ matchLabels: { zone: "b" } }],
          }),
        ],
      },
    });
    const n1 = plan(s, "n1");
    expect(n1.peers.get("a")?.routes.map((r) => r.prefix)).toEqual(["203.0.113.10/32"]);
    expect(n1.peers.get("b")?.routes).toEqual([]);
    expect(n1.statuses.get("default/other")).toBeUndefined();
    expect(n1.skipped.get("default/other")).toBe("not-selected-by-advertisement");
    const n2 = plan(s, "n2");
    expect(n2.peers.get("a")?.routes.map((r) => r.prefix)).toEqual([
      "203.0.113.10/32",
      "198.51.100.1/32",
    ]);
    expect(n2.peers.get("b")?.routes.map((r) => r.prefix)).toEqual(["198.51.100.1/32"]);
    expect(n2.statuses.get("default/other")).toEqual({ peers: ["a", "b"] });
  });

  it("ETP Local: only nodes with a serving endpoint; none serving: nobody", () => {
    const s = snapshot({
      services: [
        service("local", ["203.0.113.20"], { externalTrafficPolicyLocal: true }),
        service("none", ["203.0.113.21"]),
      ],
      endpoints: { local: ["n2"], none: [] },
    });
    expect(plan(s, "n1").peers.get("v4")?.routes).toEqual([]);
    expect(plan(s, "n1").skipped.get("default/local")).toBe("no-local-endpoint");
    expect(plan(s, "n1").skipped.get("default/none")).toBe("no-serving-endpoint");
    expect(
      plan(s, "n2")
        .peers.get("v4")
        ?.routes.map((r) => r.prefix),
    ).toEqual(["203.0.113.20/32"]);
  });

  it("excluded, not ready and NetworkUnavailable nodes announce nothing but keep their sessions", () => {
    for (const extra of [
      { labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" } },
      { ready: false },
      { networkUnavailable: true },
    ]) {
      const p = plan(snapshot({ nodes: [node("n1", {}, extra), node("n2")] }));
      expect(p.peers.get("v4")?.routes).toEqual([]);
      expect(p.statuses.size).toBe(0);
    }
  });

  it("an unknown community is reported and left out", () => {
    const s = snapshot({ config: { bgpAdvertisements: [obj("all", { communities: ["nope"] })] } });
    const p = plan(s);
    expect(p.problems).toEqual(['BGPAdvertisement all: community "nope" unknown']);
    expect(p.peers.get("v4")?.routes[0]).toEqual({ prefix: "203.0.113.10/32" });
  });
});
