import { describe, expect, it } from "vitest";
import type { BFDProfileSpec } from "../api/bfd-profile.ts";
import type { BGPAdvertisementSpec } from "../api/bgp-advertisement.ts";
import type { BGPPeerSpecV1beta2 } from "../api/bgp-peer.ts";
import type { CommunitySpec } from "../api/community.ts";
import type { IPAddressPoolSpec } from "../api/ip-address-pool.ts";
import type { L2AdvertisementSpec } from "../api/l2-advertisement.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import { EMPTY_CONFIG_SET, type ConfigSet } from "./config-set.ts";
import { formatProblem, type Problem } from "./problem.ts";
import { validateConfigSet } from "./validate-config-set.ts";

const NS = "metallb-system";
const meta = (name: string, labels?: Record<string, string>) =>
  labels === undefined ? { name, namespace: NS } : { name, namespace: NS, labels };

function pool(
  name: string,
  addresses: string[],
  extra: Partial<IPAddressPoolSpec> = {},
  labels?: Record<string, string>,
): KubeObject<IPAddressPoolSpec> {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: meta(name, labels),
    spec: { addresses, ...extra },
  };
}

function l2(name: string, spec: L2AdvertisementSpec = {}): KubeObject<L2AdvertisementSpec> {
  return { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: meta(name), spec };
}

function bgpAd(name: string, spec: BGPAdvertisementSpec = {}): KubeObject<BGPAdvertisementSpec> {
  return { apiVersion: "metallb.io/v1beta1", kind: "BGPAdvertisement", metadata: meta(name), spec };
}

function peer(
  name: string,
  spec: Partial<BGPPeerSpecV1beta2> = {},
): KubeObject<BGPPeerSpecV1beta2> {
  return {
    apiVersion: "metallb.io/v1beta2",
    kind: "BGPPeer",
    metadata: meta(name),
    spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", ...spec },
  };
}

function community(
  name: string,
  entries: { name?: string; value?: string }[],
): KubeObject<CommunitySpec> {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "Community",
    metadata: meta(name),
    spec: { communities: entries },
  };
}

function bfd(name: string, spec: BFDProfileSpec = {}): KubeObject<BFDProfileSpec> {
  return { apiVersion: "metallb.io/v1beta1", kind: "BFDProfile", metadata: meta(name), spec };
}

function run(partial: Partial<ConfigSet>): Problem[] {
  return validateConfigSet({ ...EMPTY_CONFIG_SET, ...partial });
}

const errors = (ps: Problem[]) => ps.filter((p) => p.severity === "error");
const warnings = (ps: Problem[]) => ps.filter((p) => p.severity === "warning");
const codes = (ps: Problem[]) => ps.map((p) => p.code);

/** The one problem with this code; fails the test unless there is exactly one. */
function only(ps: Problem[], code: Problem["code"]): Problem {
  const found = ps.filter((p) => p.code === code);
  expect(found.map(formatProblem)).toHaveLength(1);
  const [p] = found;
  if (p === undefined) throw new Error(`no ${code}`);
  return p;
}

describe("validateConfigSet", () => {
  it("finds nothing wrong in an empty set or a plain valid one", () => {
    expect(run({})).toEqual([]);
    expect(
      run({
        pools: [pool("a", ["192.0.2.0/25", "2001:db8::/64"]), pool("b", ["192.0.2.128/25"])],
        l2Advertisements: [l2("l2", { ipAddressPools: ["a"] })],
        bgpAdvertisements: [bgpAd("bgp", { ipAddressPools: ["b"], peers: ["p"] })],
        peers: [peer("p")],
      }),
    ).toEqual([]);
  });
});

describe("pool rules", () => {
  it("POOL_EMPTY: a pool without addresses", () => {
    const p = only(run({ pools: [pool("empty", [])] }), "POOL_EMPTY");
    expect(p).toMatchObject({
      severity: "error",
      object: { kind: "IPAddressPool", name: "empty" },
      field: "spec.addresses",
      message: "pool has no prefixes defined",
    });
  });

  it.each([
    ["192.0.2.0/33", "POOL_INVALID_CIDR", /invalid CIDR "192\.0\.2\.0\/33"/],
    ["192.0.2.1", "POOL_INVALID_CIDR", /invalid CIDR "192\.0\.2\.1".*no prefix length/],
    ["192.0.2.x-192.0.2.9", "POOL_INVALID_RANGE", /invalid start IP/],
    ["192.0.2.1-192.0.2.x", "POOL_INVALID_RANGE", /invalid end IP/],
    ["192.0.2.9-192.0.2.1", "POOL_RANGE_REVERSED", /start IP is after the end IP/],
    ["192.0.2.1-2001:db8::1", "POOL_RANGE_MIXED_FAMILY", /different families/],
  ] as const)("%j → %s", (text, code, message) => {
    const problems = run({ pools: [pool("p", ["198.51.100.0/24", text])] });
    const p = only(problems, code);
    expect(p.severity).toBe("error");
    expect(p.field).toBe("spec.addresses[1]");
    expect(p.message).toMatch(message);
    expect(p.message).toContain(`"${text}"`);
    expect(errors(problems)).toHaveLength(1);
  });

  it("POOL_HOST_BITS: warns that 10.20.30.40/24 is used as 10.20.30.0/24", () => {
    const problems = run({ pools: [pool("p", ["10.20.30.40/24"])] });
    expect(errors(problems)).toEqual([]);
    const p = only(problems, "POOL_HOST_BITS");
    expect(p.severity).toBe("warning");
    expect(p.field).toBe("spec.addresses[0]");
    expect(p.message).toContain('"10.20.30.40/24"');
    expect(p.message).toContain("10.20.30.0/24");
  });

  describe("POOL_OVERLAP (MetalLB's examples, §1.1)", () => {
    it("1.1.1.1-1.1.1.100 and 1.1.1.15-1.1.1.20 in two pools: denied on the later pool by name", () => {
      // Given in reverse name order: the rule still reports on "b".
      const problems = run({
        pools: [pool("b", ["1.1.1.15-1.1.1.20"]), pool("a", ["1.1.1.1-1.1.1.100"])],
      });
      const p = only(problems, "POOL_OVERLAP");
      expect(p).toMatchObject({
        severity: "error",
        object: { kind: "IPAddressPool", name: "b" },
        field: "spec.addresses[0]",
        related: { kind: "IPAddressPool", name: "a" },
      });
      expect(p.message).toContain('"1.1.1.15-1.1.1.20"');
      expect(p.message).toContain('"1.1.1.1-1.1.1.100"');
      expect(p.message).toContain('IPAddressPool "a"');
      expect(p.message).toContain("1.1.1.15-1.1.1.20"); // the shared addresses
    });

    it("1.1.1.101-1.1.1.200 beside 1.1.1.1-1.1.1.100 is accepted", () => {
      expect(
        run({ pools: [pool("a", ["1.1.1.1-1.1.1.100"]), pool("b", ["1.1.1.101-1.1.1.200"])] }),
      ).toEqual([]);
    });

    it("1.1.1.0/24 over 1.1.1.1-1.1.1.100 is denied, naming the shared addresses", () => {
      const p = only(
        run({
          pools: [pool("a", ["1.1.1.1-1.1.1.100"]), pool("b", ["192.0.2.0/24", "1.1.1.0/24"])],
        }),
        "POOL_OVERLAP",
      );
      expect(p.object.name).toBe("b");
      expect(p.field).toBe("spec.addresses[1]");
      expect(p.message).toContain("at 1.1.1.1-1.1.1.100");
      expect(p.message).toContain("(spec.addresses[0])");
    });

    it("a single shared address is printed without a dash", () => {
      const p = only(
        run({ pools: [pool("a", ["192.0.2.0/28"]), pool("b", ["192.0.2.15-192.0.2.20"])] }),
        "POOL_OVERLAP",
      );
      expect(p.message).toMatch(/at 192\.0\.2\.15$/);
    });

    it("an overlap inside one pool names the other entry of the same pool, with no related object", () => {
      const p = only(
        run({ pools: [pool("p", ["192.0.2.0/24", "192.0.2.128/25"])] }),
        "POOL_OVERLAP",
      );
      expect(p.object.name).toBe("p");
      expect(p.related).toBeUndefined();
      expect(p.field).toBe("spec.addresses[1]");
      expect(p.message).toContain("of the same pool");
      expect(p.message).toContain('"192.0.2.0/24" (spec.addresses[0])');
    });

    it("IPv6 overlaps, compared as addresses not text", () => {
      const p = only(
        run({
          pools: [pool("a", ["2001:db8::/64"]), pool("b", ["2001:DB8:0:0::10-2001:db8::20"])],
        }),
        "POOL_OVERLAP",
      );
      expect(p.message).toContain("at 2001:db8::10-2001:db8::20");
    });

    it("an IPv4 and an IPv6 entry never overlap, even at equal numbers", () => {
      expect(run({ pools: [pool("a", ["0.0.0.0/0"]), pool("b", ["::/96"])] })).toEqual([]);
    });

    it("one error per overlapping pair, with three pools on one range", () => {
      const problems = run({
        pools: [
          pool("c", ["192.0.2.5/32"]),
          pool("a", ["192.0.2.0/24"]),
          pool("b", ["192.0.2.0/25"]),
        ],
      });
      const pairs = problems
        .filter((p) => p.code === "POOL_OVERLAP")
        .map((p) => `${p.related?.name ?? ""}<${p.object.name}`)
        .sort();
      expect(pairs).toEqual(["a<b", "a<c", "b<c"]);
    });

    it("entries that do not parse take part in no overlap", () => {
      const problems = run({ pools: [pool("a", ["192.0.2.0/24"]), pool("b", ["192.0.2.0/33"])] });
      expect(codes(problems)).toEqual(["POOL_INVALID_CIDR"]);
    });
  });

  it("serviceAllocation: duplicate namespaces, invalid and duplicate selectors", () => {
    const problems = run({
      pools: [
        pool("p", ["192.0.2.0/24"], {
          serviceAllocation: {
            priority: 1,
            namespaces: ["red", "blue", "red"],
            namespaceSelectors: [{ matchExpressions: [{ key: "team", operator: "Is" }] }],
            serviceSelectors: [
              { matchLabels: { app: "web", tier: "front" } },
              { matchLabels: { tier: "front", app: "web" } },
            ],
          },
        }),
      ],
    });
    expect(problems.map((p) => [p.code, p.field])).toEqual([
      ["DUPLICATE_ENTRY", "spec.serviceAllocation.namespaces[2]"],
      [
        "SELECTOR_INVALID",
        "spec.serviceAllocation.namespaceSelectors[0].matchExpressions[0].operator",
      ],
      ["DUPLICATE_ENTRY", "spec.serviceAllocation.serviceSelectors[1]"],
    ]);
    expect(problems[0]?.message).toContain('"red"');
    expect(problems[0]?.message).toContain("spec.serviceAllocation.namespaces[0]");
    expect(problems[1]?.message).toContain('"Is"');
    expect(problems[2]?.message).toContain("spec.serviceAllocation.serviceSelectors[0]");
  });
});

describe("advertisement rules", () => {
  describe("L2Advertisement", () => {
    it("duplicates, missing pools, invalid selectors; interfaces are not checked (as MetalLB)", () => {
      const problems = run({
        pools: [pool("a", ["192.0.2.0/24"])],
        l2Advertisements: [
          l2("l2", {
            ipAddressPools: ["a", "ghost", "a"],
            interfaces: ["eth0", "eth0"],
            nodeSelectors: [{ matchExpressions: [{ key: "zone", operator: "In" }] }],
            serviceSelectors: [{ matchLabels: { app: "x" } }, { matchLabels: { app: "x" } }],
          }),
        ],
      });
      expect(problems.map((p) => [p.severity, p.code, p.field])).toEqual(
        expect.arrayContaining([
          ["error", "DUPLICATE_ENTRY", "spec.ipAddressPools[2]"],
          ["warning", "POOL_REFERENCE_MISSING", "spec.ipAddressPools[1]"],
          ["error", "SELECTOR_INVALID", "spec.nodeSelectors[0].matchExpressions[0].values"],
          ["error", "DUPLICATE_ENTRY", "spec.serviceSelectors[1]"],
        ]),
      );
      expect(problems).toHaveLength(4);
      const missing = only(problems, "POOL_REFERENCE_MISSING");
      expect(missing.message).toContain('IPAddressPool "ghost"');
      const dup = problems.find((p) => p.field === "spec.ipAddressPools[2]");
      expect(dup?.message).toContain('"a"');
    });
  });

  describe("BGPAdvertisement references and communities", () => {
    it("a missing peer is a warning naming it", () => {
      const p = only(
        run({ peers: [peer("p1")], bgpAdvertisements: [bgpAd("ad", { peers: ["p1", "p2"] })] }),
        "PEER_REFERENCE_MISSING",
      );
      expect(p).toMatchObject({ severity: "warning", field: "spec.peers[1]" });
      expect(p.message).toContain('BGPPeer "p2"');
    });

    it("duplicate peers and communities", () => {
      const problems = run({
        peers: [peer("p1")],
        bgpAdvertisements: [bgpAd("ad", { peers: ["p1", "p1"], communities: ["1:2", "1:2"] })],
      });
      expect(problems.map((p) => [p.code, p.field])).toEqual([
        ["DUPLICATE_ENTRY", "spec.peers[1]"],
        ["DUPLICATE_ENTRY", "spec.communities[1]"],
      ]);
    });

    it.each([
      ["99999999:1", "error", "COMMUNITY_INVALID"],
      ["1:99999999", "error", "COMMUNITY_INVALID"],
      ["large:1:x:2", "error", "COMMUNITY_INVALID"],
      ["lar:1:2:3", "error", "COMMUNITY_INVALID"],
      ["1234", "warning", "COMMUNITY_ALIAS_UNKNOWN"],
      ["unknown-alias", "warning", "COMMUNITY_ALIAS_UNKNOWN"],
      ["constructor", "warning", "COMMUNITY_ALIAS_UNKNOWN"],
    ] as const)("community %j → %s %s", (value, severity, code) => {
      const problems = run({
        bgpAdvertisements: [bgpAd("ad", { communities: ["65000:1", value] })],
      });
      const p = only(problems, code);
      expect(p.severity).toBe(severity);
      expect(p.field).toBe("spec.communities[1]");
      expect(p.message).toContain(`"${value}"`);
      expect(problems).toHaveLength(1);
    });

    it.each(["65535:65535", "large:4294967295:1:2", "no-export", "my-alias"])(
      "community %j is accepted when an alias or value",
      (value) => {
        expect(
          run({
            communities: [community("c", [{ name: "my-alias", value: "64512:7" }])],
            bgpAdvertisements: [bgpAd("ad", { communities: [value] })],
          }),
        ).toEqual([]);
      },
    );

    it("aggregation lengths beyond the family's width", () => {
      const problems = run({
        bgpAdvertisements: [bgpAd("ad", { aggregationLength: 33, aggregationLengthV6: 129 })],
      });
      expect(problems.map((p) => [p.code, p.field])).toEqual([
        ["BGPADV_AGGREGATION_RANGE", "spec.aggregationLength"],
        ["BGPADV_AGGREGATION_RANGE", "spec.aggregationLengthV6"],
      ]);
      expect(problems[0]?.message).toContain("33");
      expect(problems[1]?.message).toContain("129");
    });
  });

  describe("aggregation length vs pool (MetalLB's examples, §1.3)", () => {
    const aggregate = (addresses: string[], spec: BGPAdvertisementSpec) =>
      run({ pools: [pool("p", addresses)], bgpAdvertisements: [bgpAd("ad", spec)] });

    it("pool 1.1.1.0/28 with length 26 is denied, naming prefix, CIDR and pool", () => {
      const p = only(
        aggregate(["1.1.1.0/28"], { aggregationLength: 26 }),
        "BGPADV_AGGREGATION_SHORTER_THAN_POOL",
      );
      expect(p).toMatchObject({
        severity: "error",
        object: { kind: "BGPAdvertisement", name: "ad" },
        field: "spec.aggregationLength",
        related: { kind: "IPAddressPool", name: "p" },
      });
      expect(p.message).toContain("invalid aggregation length 26");
      expect(p.message).toContain("prefix 28");
      expect(p.message).toContain("1.1.1.0/28");
      expect(p.message).toContain('IPAddressPool "p" spec.addresses[0]');
    });

    it("10.20.30.40/24 + 1.2.3.0/28 with length 26 is denied for the /28 only", () => {
      const problems = aggregate(["10.20.30.40/24", "1.2.3.0/28"], { aggregationLength: 26 });
      const p = only(problems, "BGPADV_AGGREGATION_SHORTER_THAN_POOL");
      expect(p.message).toContain('spec.addresses[1] "1.2.3.0/28"');
      expect(codes(problems).sort()).toEqual([
        "BGPADV_AGGREGATION_SHORTER_THAN_POOL",
        "POOL_HOST_BITS",
      ]);
    });

    it("range 3.3.3.2-3.3.3.254: 26 is accepted, 24 is denied (widest CIDR is a /26)", () => {
      expect(aggregate(["3.3.3.2-3.3.3.254"], { aggregationLength: 26 })).toEqual([]);
      const p = only(
        aggregate(["3.3.3.2-3.3.3.254"], { aggregationLength: 24 }),
        "BGPADV_AGGREGATION_SHORTER_THAN_POOL",
      );
      expect(p.message).toContain("prefix 26");
      expect(p.message).toContain("3.3.3.64/26");
    });

    it("equal and longer lengths are accepted", () => {
      expect(aggregate(["1.1.1.0/28"], { aggregationLength: 28 })).toEqual([]);
      expect(aggregate(["1.1.1.0/28"], { aggregationLength: 30 })).toEqual([]);
      expect(aggregate(["1.1.1.0/28"], {})).toEqual([]);
    });

    it("IPv6 entries are held to aggregationLengthV6, IPv4 ones to aggregationLength", () => {
      const problems = aggregate(["2001:db8::/64", "192.0.2.0/24"], {
        aggregationLength: 24,
        aggregationLengthV6: 48,
      });
      const p = only(problems, "BGPADV_AGGREGATION_SHORTER_THAN_POOL");
      expect(p.field).toBe("spec.aggregationLengthV6");
      expect(p.message).toContain("invalid aggregation length 48");
      expect(p.message).toContain("2001:db8::/64");
      expect(
        aggregate(["2001:db8::/64"], { aggregationLength: 8, aggregationLengthV6: 64 }),
      ).toEqual([]);
    });

    it("only pools the advertisement selects are checked (by name, by label, or all)", () => {
      const pools = [
        pool("small", ["1.1.1.0/28"], {}, { size: "small" }),
        pool("big", ["198.51.100.0/24"], {}, { size: "big" }),
      ];
      const check = (spec: BGPAdvertisementSpec) =>
        run({ pools, bgpAdvertisements: [bgpAd("ad", { aggregationLength: 24, ...spec })] })
          .filter((p) => p.code === "BGPADV_AGGREGATION_SHORTER_THAN_POOL")
          .map((p) => p.related?.name);
      expect(check({ ipAddressPools: ["big"] })).toEqual([]);
      expect(check({ ipAddressPools: ["small"] })).toEqual(["small"]);
      expect(check({ ipAddressPoolSelectors: [{ matchLabels: { size: "big" } }] })).toEqual([]);
      expect(check({ ipAddressPoolSelectors: [{ matchLabels: { size: "small" } }] })).toEqual([
        "small",
      ]);
      expect(check({})).toEqual(["small"]);
      // Selectors that match nothing select nothing, not everything.
      expect(check({ ipAddressPoolSelectors: [{ matchLabels: { size: "huge" } }] })).toEqual([]);
    });
  });

  describe("LOCAL_PREF conflicts (§1.3)", () => {
    const dual = pool("dual", ["192.0.2.0/24", "2001:db8::/64"]);
    const v4 = pool("v4", ["192.0.2.0/24"]);
    const v6 = pool("v6", ["2001:db8::/64"]);
    const conflicts = (
      pools: KubeObject<IPAddressPoolSpec>[],
      a: BGPAdvertisementSpec,
      b: BGPAdvertisementSpec,
    ) =>
      run({ pools, bgpAdvertisements: [bgpAd("b-ad", b), bgpAd("a-ad", a)] }).filter(
        (p) => p.code === "BGPADV_LOCALPREF_CONFLICT",
      );

    it("two advertisements of one pool with different localPref: denied, naming both values and the pool", () => {
      const [p, ...rest] = conflicts([v4], { localPref: 100 }, { localPref: 200 });
      expect(rest).toEqual([]);
      expect(p).toMatchObject({
        severity: "error",
        object: { kind: "BGPAdvertisement", name: "b-ad" },
        field: "spec.localPref",
        related: { kind: "BGPAdvertisement", name: "a-ad" },
      });
      expect(p?.message).toContain("invalid local preference 200");
      expect(p?.message).toContain('BGPAdvertisement "a-ad"');
      expect(p?.message).toContain("local preference 100");
      expect(p?.message).toContain('IPAddressPool "v4"');
    });

    it.each<
      [string, KubeObject<IPAddressPoolSpec>[], BGPAdvertisementSpec, BGPAdvertisementSpec, boolean]
    >([
      ["same localPref", [v4], { localPref: 100 }, { localPref: 100 }, false],
      ["unset is 0", [v4], { localPref: 0 }, {}, false],
      ["unset vs 100", [v4], {}, { localPref: 100 }, true],
      [
        "different pools",
        [v4, v6],
        { localPref: 1, ipAddressPools: ["v4"] },
        { localPref: 2, ipAddressPools: ["v6"] },
        false,
      ],
      [
        "one selects the other's pool by label",
        [v4, v6],
        { localPref: 1, ipAddressPools: ["v4"] },
        { localPref: 2 },
        true,
      ],
      [
        "serviceSelectors on one skips the check",
        [v4],
        { localPref: 1, serviceSelectors: [{ matchLabels: { a: "b" } }] },
        { localPref: 2 },
        false,
      ],
      [
        "disjoint non-empty peers",
        [v4],
        { localPref: 1, peers: ["p1"] },
        { localPref: 2, peers: ["p2"] },
        false,
      ],
      [
        "a shared peer",
        [v4],
        { localPref: 1, peers: ["p1", "p2"] },
        { localPref: 2, peers: ["p2"] },
        true,
      ],
      [
        "peers on one side only (the other means all)",
        [v4],
        { localPref: 1, peers: ["p1"] },
        { localPref: 2 },
        true,
      ],
      [
        "different node selectors",
        [v4],
        { localPref: 1, nodeSelectors: [{ matchLabels: { r: "1" } }] },
        { localPref: 2, nodeSelectors: [{ matchLabels: { r: "2" } }] },
        false,
      ],
      [
        "the same node selectors",
        [v4],
        { localPref: 1, nodeSelectors: [{ matchLabels: { r: "1", s: "2" } }] },
        { localPref: 2, nodeSelectors: [{ matchLabels: { s: "2", r: "1" } }] },
        true,
      ],
      [
        "node selectors on one side only (the other means all nodes)",
        [v4],
        { localPref: 1, nodeSelectors: [{ matchLabels: { r: "1" } }] },
        { localPref: 2 },
        true,
      ],
      [
        "v4 pool, v4 aggregation differs",
        [v4],
        { localPref: 1, aggregationLength: 24 },
        { localPref: 2 },
        false,
      ],
      [
        "v4 pool, only v6 aggregation differs",
        [v4],
        { localPref: 1, aggregationLengthV6: 64 },
        { localPref: 2 },
        true,
      ],
      [
        "v6 pool, v6 aggregation differs",
        [v6],
        { localPref: 1, aggregationLengthV6: 64 },
        { localPref: 2 },
        false,
      ],
      [
        "v6 pool, only v4 aggregation differs",
        [v6],
        { localPref: 1, aggregationLength: 24 },
        { localPref: 2 },
        true,
      ],
      [
        "dual pool, both aggregations differ",
        [dual],
        { localPref: 1, aggregationLength: 24, aggregationLengthV6: 64 },
        { localPref: 2 },
        false,
      ],
      [
        "dual pool, only v4 aggregation differs",
        [dual],
        { localPref: 1, aggregationLength: 24 },
        { localPref: 2 },
        true,
      ],
      [
        "dual pool, only v6 aggregation differs",
        [dual],
        { localPref: 1, aggregationLengthV6: 64 },
        { localPref: 2 },
        true,
      ],
    ])("%s → conflict: %s", (_name, pools, a, b, conflict) => {
      expect(conflicts(pools, a, b)).toHaveLength(conflict ? 1 : 0);
    });

    it("reports one conflict per pair of advertisements, even over several shared pools", () => {
      expect(conflicts([v4, v6], { localPref: 1 }, { localPref: 2 })).toHaveLength(1);
    });
  });
});

describe("peer rules", () => {
  it.each([
    ["peerAddress", "192.0.2.300", "BGPPEER_INVALID_ADDRESS"],
    ["peerAddress", "010.0.0.1", "BGPPEER_INVALID_ADDRESS"],
    ["sourceAddress", "fe80::1%eth0", "BGPPEER_INVALID_ADDRESS"],
    ["routerID", "router-1", "BGPPEER_INVALID_ADDRESS"],
    ["routerID", "2001:db8::1", "BGPPEER_ROUTER_ID_NOT_IPV4"],
    ["holdTime", "90", "BGPPEER_INVALID_DURATION"],
    ["keepaliveTime", "1 m", "BGPPEER_INVALID_DURATION"],
    ["connectTime", "10sec", "BGPPEER_INVALID_DURATION"],
  ] as const)("%s %j → %s", (field, value, code) => {
    const problems = run({ peers: [peer("p", { [field]: value })] });
    const p = only(problems, code);
    expect(p).toMatchObject({
      severity: "error",
      field: `spec.${field}`,
      object: { kind: "BGPPeer", name: "p" },
    });
    expect(p.message).toContain(`"${value}"`);
    expect(problems).toHaveLength(1);
  });

  it("valid addresses and durations of both families pass", () => {
    expect(
      run({
        peers: [
          peer("p", {
            peerAddress: "2001:db8::1",
            sourceAddress: "2001:db8::2",
            routerID: "192.0.2.9",
            holdTime: "1m30s",
            keepaliveTime: "30s",
            connectTime: "10s",
          }),
        ],
      }),
    ).toEqual([]);
  });

  it("invalid node selectors", () => {
    const p = only(
      run({
        peers: [
          peer("p", {
            nodeSelectors: [
              { matchExpressions: [{ key: "k", operator: "Exists", values: ["v"] }] },
            ],
          }),
        ],
      }),
      "SELECTOR_INVALID",
    );
    expect(p.field).toBe("spec.nodeSelectors[0].matchExpressions[0].values");
  });

  it("a missing BFDProfile is a warning naming it; an existing one is fine", () => {
    const p = only(
      run({ peers: [peer("p", { bfdProfile: "fast" })] }),
      "BGPPEER_BFD_PROFILE_MISSING",
    );
    expect(p.severity).toBe("warning");
    expect(p.message).toContain('BFDProfile "fast"');
    expect(run({ peers: [peer("p", { bfdProfile: "fast" })], bfdProfiles: [bfd("fast")] })).toEqual(
      [],
    );
  });

  it("disableMP: MetalLB's deprecation warning", () => {
    const p = only(run({ peers: [peer("p", { disableMP: true })] }), "BGPPEER_DEPRECATED_FIELD");
    expect(p).toMatchObject({ severity: "warning", field: "spec.disableMP" });
    expect(p.message).toBe(
      "disable mp is deprecated and has no effect since it's the default behavior now",
    );
    expect(run({ peers: [peer("p", { disableMP: false })] })).toEqual([]);
  });

  it("FRR-only fields are warned about, not denied", () => {
    const problems = run({ peers: [peer("p", { vrf: "red", localASN: 65000 })] });
    expect(problems.map((p) => [p.severity, p.code, p.field])).toEqual([
      ["warning", "BGPPEER_UNSUPPORTED_FIELD", "spec.vrf"],
      ["warning", "BGPPEER_UNSUPPORTED_FIELD", "spec.localASN"],
    ]);
  });

  describe("duplicate sessions", () => {
    const dupes = (peers: KubeObject<BGPPeerSpecV1beta2>[]) =>
      run({ peers }).filter((p) => p.code === "BGPPEER_DUPLICATE_SESSION");

    it("two peers on every node with one address and port: a warning on the later name", () => {
      const [p, ...rest] = dupes([peer("z"), peer("m")]);
      expect(rest).toEqual([]);
      expect(p).toMatchObject({
        severity: "warning",
        object: { name: "z" },
        related: { name: "m" },
        field: "spec.peerAddress",
      });
      expect(p?.message).toContain('"192.0.2.1" port 179');
      expect(p?.message).toContain('BGPPeer "m"');
    });

    it("addresses are compared as addresses", () => {
      expect(
        dupes([
          peer("a", { peerAddress: "2001:db8::1" }),
          peer("b", { peerAddress: "2001:DB8:0::1" }),
        ]),
      ).toHaveLength(1);
    });

    it("an explicit 179 is the default port", () => {
      expect(dupes([peer("a", { peerPort: 179 }), peer("b")])).toHaveLength(1);
    });

    it.each<[string, Partial<BGPPeerSpecV1beta2>]>([
      ["another port", { peerPort: 1179 }],
      ["another address", { peerAddress: "192.0.2.2" }],
      ["another VRF", { vrf: "red" }],
      ["node selectors", { nodeSelectors: [{ matchLabels: { rack: "a" } }] }],
    ])("none with %s", (_name, spec) => {
      expect(dupes([peer("a"), peer("b", spec)])).toEqual([]);
    });

    it("two peers on every node are reported even when a third, node-selected one sorts first", () => {
      const problems = dupes([
        peer("a-selected", { nodeSelectors: [{ matchLabels: { rack: "a" } }] }),
        peer("b"),
        peer("c"),
      ]);
      expect(problems.map((p) => [p.object.name, p.related?.name])).toEqual([["c", "b"]]);
    });
  });
});

describe("community rules", () => {
  it("an alias defined twice in two objects: denied on the later object, naming the first", () => {
    const problems = run({
      communities: [
        community("z-comm", [{ name: "gold", value: "64512:2" }]),
        community("a-comm", [
          { name: "silver", value: "64512:3" },
          { name: "gold", value: "64512:1" },
        ]),
      ],
    });
    const p = only(problems, "COMMUNITY_ALIAS_DUPLICATE");
    expect(p).toMatchObject({
      severity: "error",
      object: { kind: "Community", name: "z-comm" },
      field: "spec.communities[0].name",
      related: { kind: "Community", name: "a-comm" },
    });
    expect(p.message).toContain('duplicate definition of community "gold"');
    expect(p.message).toContain('Community "a-comm" spec.communities[1]');
  });

  it("an alias defined twice in one object", () => {
    const p = only(
      run({
        communities: [
          community("c", [
            { name: "gold", value: "1:1" },
            { name: "gold", value: "1:2" },
          ]),
        ],
      }),
      "COMMUNITY_ALIAS_DUPLICATE",
    );
    expect(p.field).toBe("spec.communities[1].name");
    expect(p.related).toBeUndefined();
    expect(p.message).toContain("spec.communities[0] of the same object");
  });

  it.each([
    ["99999999:1", /parsing community "bad": invalid community value "99999999:1"/],
    ["large:1:x:2", /parsing community "bad": invalid large community value/],
    ["1234", /parsing community "bad": invalid community format "1234"/],
    ["", /invalid community format ""/],
  ])("value %j is denied", (value, message) => {
    const p = only(
      run({ communities: [community("c", [{ name: "bad", value }])] }),
      "COMMUNITY_INVALID",
    );
    expect(p.field).toBe("spec.communities[0].value");
    expect(p.message).toMatch(message);
  });

  it("standard, large and well-known values are fine", () => {
    expect(
      run({
        communities: [
          community("c", [
            { name: "a", value: "65535:0" },
            { name: "b", value: "large:64512:1:4294967295" },
            { name: "c", value: "no-advertise" },
          ]),
        ],
      }),
    ).toEqual([]);
  });
});

describe("problems are well-formed", () => {
  it("every problem names a kind, an object and a field, and formats with its code", () => {
    const problems = run({
      pools: [pool("a", ["192.0.2.0/24", "bad"]), pool("b", ["192.0.2.0/25"]), pool("c", [])],
      bgpAdvertisements: [
        bgpAd("ad", { aggregationLength: 20, communities: ["x:y"], peers: ["nobody"] }),
      ],
      peers: [peer("p", { routerID: "::1", disableMP: true })],
      communities: [community("c", [{ name: "n", value: "1" }])],
    });
    expect(warnings(problems).length).toBeGreaterThan(0);
    expect(errors(problems).length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p.object.kind).not.toBe("");
      expect(p.object.name).not.toBe("");
      expect(p.field).toMatch(/^(spec|metadata)\b/);
      expect(formatProblem(p)).toContain(`[${p.code}]`);
      expect(formatProblem(p)).toContain(`${p.object.kind}/${p.object.name}: ${p.field}: `);
    }
  });
});
