import { describe, expect, it } from "vitest";
import {
  EXCLUDE_LABEL,
  advertisementCoversPool,
  allocatedPool,
  eligibleNodes,
  endpointCanServe,
  type EligibilityInput,
  type NodeInfo,
} from "./node-eligibility.ts";

const node = (name: string, labels: Record<string, string> = {}, ready = true): NodeInfo => ({
  name,
  labels: { "kubernetes.io/hostname": name, ...labels },
  ready,
});

const base = (over: Partial<EligibilityInput> = {}): EligibilityInput => ({
  nodes: [node("a", { zone: "x" }), node("b", { zone: "y" }), node("c", { zone: "x" })],
  liveSpeakers: new Set(["a", "b", "c"]),
  advertisements: [{ name: "all" }],
  pools: [
    { name: "web", labels: { tier: "front" } },
    { name: "db", labels: { tier: "back" } },
  ],
  service: {
    labels: { app: "web" },
    ips: ["192.0.2.10"],
    pool: "web",
    externalTrafficPolicy: "Cluster",
  },
  endpoints: [{ nodeName: "b", serving: true }],
  ...over,
});

function eligible(input: EligibilityInput): Record<string, readonly string[]> {
  const result = eligibleNodes(input);
  if (!result.ok) throw new Error(`not ok: ${result.reason}`);
  return Object.fromEntries(result.eligible);
}

function reasons(input: EligibilityInput): Record<string, string> {
  const result = eligibleNodes(input);
  if (!result.ok) throw new Error(`not ok: ${result.reason}`);
  return Object.fromEntries(result.ineligible);
}

describe("eligibleNodes", () => {
  it("an advertisement without pools, selectors or interfaces: every node, every interface", () => {
    expect(eligible(base())).toEqual({ a: [], b: [], c: [] });
  });

  it("the Service-level reasons", () => {
    const svc = base().service;
    expect(eligibleNodes(base({ service: { ...svc, ips: [] } }))).toEqual({
      ok: false,
      reason: "no-ip",
    });
    expect(eligibleNodes(base({ service: { ...svc, pool: undefined } }))).toEqual({
      ok: false,
      reason: "no-pool",
    });
    expect(eligibleNodes(base({ service: { ...svc, pool: "gone" } }))).toEqual({
      ok: false,
      reason: "unknown-pool",
    });
    expect(eligibleNodes(base({ advertisements: [] }))).toEqual({
      ok: false,
      reason: "no-advertisement",
    });
    expect(
      eligibleNodes(base({ advertisements: [{ name: "db", ipAddressPools: ["db"] }] })),
    ).toEqual({
      ok: false,
      reason: "no-advertisement",
    });
  });

  it("no serving endpoint anywhere: nobody announces, under either policy (MetalLB §4.2 step 1)", () => {
    for (const externalTrafficPolicy of ["Cluster", "Local"] as const) {
      const service = { ...base().service, externalTrafficPolicy };
      for (const endpoints of [
        [],
        [{ nodeName: "a", serving: false }],
        [{ nodeName: "a", ready: false }],
      ]) {
        expect(eligibleNodes(base({ service, endpoints }))).toEqual({
          ok: false,
          reason: "no-serving-endpoint",
        });
      }
    }
  });

  it("externalTrafficPolicy Local keeps only nodes with a serving endpoint", () => {
    const service = { ...base().service, externalTrafficPolicy: "Local" as const };
    const endpoints = [
      { nodeName: "a", serving: false, ready: false },
      { nodeName: "c", ready: true },
      { nodeName: "b", serving: true, ready: false }, // terminating but still serving
    ];
    expect(eligible(base({ service, endpoints }))).toEqual({ b: [], c: [] });
    expect(reasons(base({ service, endpoints }))).toEqual({ a: "no-local-endpoint" });
  });

  it("the exclude label, Ready, NetworkUnavailable and liveness each take a node out, with a reason", () => {
    const input = base({
      nodes: [
        node("a", { [EXCLUDE_LABEL]: "" }),
        node("b", {}, false),
        { ...node("c"), networkUnavailable: true },
        node("d"),
        node("e"),
      ],
      liveSpeakers: new Set(["a", "b", "c", "e"]),
    });
    expect(eligible(input)).toEqual({ e: [] });
    expect(reasons(input)).toEqual({
      a: "excluded-by-label",
      b: "not-ready",
      c: "network-unavailable",
      d: "speaker-not-alive",
    });
  });

  it("nodeSelectors are an OR over selectors and a hard filter", () => {
    const advertisements = [
      { name: "x", nodeSelectors: [{ matchLabels: { zone: "x" } }], interfaces: ["eth1"] },
    ];
    expect(eligible(base({ advertisements }))).toEqual({ a: ["eth1"], c: ["eth1"] });
    expect(reasons(base({ advertisements }))).toEqual({ b: "not-selected-by-advertisement" });
    const either = [
      {
        name: "xy",
        nodeSelectors: [
          { matchLabels: { zone: "y" } },
          { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["a"] }] },
        ],
      },
    ];
    expect(Object.keys(eligible(base({ advertisements: either })))).toEqual(["a", "b"]);
  });

  it("interfaces: the union over the ads selecting a node; one ad without interfaces means all", () => {
    const advertisements = [
      { name: "one", interfaces: ["eth1"] },
      {
        name: "two",
        interfaces: ["eth2", "eth1"],
        nodeSelectors: [{ matchLabels: { zone: "x" } }],
      },
      { name: "three", nodeSelectors: [{ matchLabels: { zone: "y" } }] },
    ];
    expect(eligible(base({ advertisements }))).toEqual({
      a: ["eth1", "eth2"],
      b: [],
      c: ["eth1", "eth2"],
    });
  });

  it("pool matching: by name, by selector, and selectors that match nothing select nothing", () => {
    const svc = base().service;
    const byName = [{ name: "n", ipAddressPools: ["web"], interfaces: ["n0"] }];
    expect(eligible(base({ advertisements: byName })).a).toEqual(["n0"]);
    const bySelector = [{ name: "s", ipAddressPoolSelectors: [{ matchLabels: { tier: "back" } }] }];
    expect(eligibleNodes(base({ advertisements: bySelector })).ok).toBe(false);
    expect(
      eligibleNodes(base({ advertisements: bySelector, service: { ...svc, pool: "db" } })).ok,
    ).toBe(true);
  });

  it("serviceSelectors decide which advertisements apply", () => {
    const advertisements = [
      { name: "api", serviceSelectors: [{ matchLabels: { app: "api" } }], interfaces: ["e-api"] },
      { name: "web", serviceSelectors: [{ matchLabels: { app: "web" } }], interfaces: ["e-web"] },
    ];
    expect(eligible(base({ advertisements })).a).toEqual(["e-web"]);
  });
});

describe("helpers", () => {
  it("allocatedPool: the stable key wins even when empty", () => {
    expect(allocatedPool({ "metallb.io/ip-allocated-from-pool": "p" })).toBe("p");
    expect(allocatedPool({ "metallb.universe.tf/ip-allocated-from-pool": "old" })).toBe("old");
    expect(
      allocatedPool({
        "metallb.io/ip-allocated-from-pool": "",
        "metallb.universe.tf/ip-allocated-from-pool": "old",
      }),
    ).toBe("");
    expect(allocatedPool({})).toBeUndefined();
  });

  it("advertisementCoversPool", () => {
    const pool = { name: "p", labels: { a: "1" } };
    expect(advertisementCoversPool({ name: "x" }, pool)).toBe(true);
    expect(advertisementCoversPool({ name: "x", ipAddressPools: ["q"] }, pool)).toBe(false);
    expect(
      advertisementCoversPool(
        { name: "x", ipAddressPools: ["q"], ipAddressPoolSelectors: [{ matchLabels: { a: "1" } }] },
        pool,
      ),
    ).toBe(true);
  });

  it("endpointCanServe: serving first, then ready, absent means ready", () => {
    expect(endpointCanServe({})).toBe(true);
    expect(endpointCanServe({ ready: false })).toBe(false);
    expect(endpointCanServe({ serving: true, ready: false })).toBe(true);
    expect(endpointCanServe({ serving: false, ready: true })).toBe(false);
  });
});
