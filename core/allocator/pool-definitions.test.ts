import { describe, expect, it } from "vitest";
import type { IPAddressPoolSpec } from "../api/ip-address-pool.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import { selectorMatches } from "../label-selector.ts";
import {
  compatibilityProblem,
  MAX_INT64,
  poolCapacity,
  resolvePools,
  type NamespaceInfo,
} from "./pool-definitions.ts";

function poolObject(
  name: string | undefined,
  spec?: IPAddressPoolSpec,
): KubeObject<IPAddressPoolSpec> {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: name === undefined ? {} : { name, namespace: "metallb-system" },
    ...(spec === undefined ? {} : { spec }),
  };
}

const NAMESPACES: NamespaceInfo[] = [
  { name: "prod", labels: { tier: "prod" } },
  { name: "prod-eu", labels: { tier: "prod", region: "eu" } },
  { name: "dev", labels: { tier: "dev" } },
];

function capacityOf(addresses: string[], avoidBuggyIPs = false): { ipv4: bigint; ipv6: bigint } {
  const [pool] = resolvePools([poolObject("p", { addresses, avoidBuggyIPs })], []);
  if (pool === undefined) throw new Error("pool did not resolve");
  return poolCapacity(pool);
}

describe("resolvePools", () => {
  it("applies the defaults and keeps the entries in spec order", () => {
    const [p] = resolvePools([poolObject("p", { addresses: ["10.0.1.0/24", "10.0.0.0/24"] })], []);
    expect(p?.autoAssign).toBe(true);
    expect(p?.avoidBuggyIPs).toBe(false);
    expect(p?.serviceAllocation).toBeUndefined();
    expect(p?.blocks.map((b) => b.text)).toEqual(["10.0.1.0/24", "10.0.0.0/24"]);
  });

  it("skips entries and objects that do not parse, and later duplicates of a name", () => {
    const pools = resolvePools(
      [
        poolObject("b", { addresses: ["10.0.0.0/33", "10.0.1.0/24", "10.0.2.9-10.0.2.1"] }),
        poolObject(undefined, { addresses: ["10.9.0.0/24"] }),
        poolObject("nospec"),
        poolObject("a", { addresses: ["10.0.3.0/24"] }),
        poolObject("a", { addresses: ["10.0.4.0/24"] }),
      ],
      [],
    );
    expect(pools.map((p) => p.name)).toEqual(["a", "b"]);
    expect(pools[0]?.blocks.map((b) => b.text)).toEqual(["10.0.3.0/24"]);
    expect(pools[1]?.blocks.map((b) => b.text)).toEqual(["10.0.1.0/24"]);
  });

  it("resolves namespaces plus namespaceSelectors into namespace names", () => {
    const [p] = resolvePools(
      [
        poolObject("p", {
          addresses: ["10.0.0.0/24"],
          serviceAllocation: {
            namespaces: ["dev"],
            namespaceSelectors: [{ matchLabels: { region: "eu" } }],
          },
        }),
      ],
      NAMESPACES,
    );
    expect([...(p?.serviceAllocation?.namespaces ?? [])].sort()).toEqual(["dev", "prod-eu"]);
    expect(p?.serviceAllocation?.restrictsNamespaces).toBe(true);
    expect(p?.serviceAllocation?.serviceSelectors).toEqual([]);
    expect(p?.serviceAllocation?.priority).toBe(0);
  });

  it("makes a priority-only serviceAllocation select every Service (§1.1)", () => {
    const [p] = resolvePools(
      [poolObject("p", { addresses: ["10.0.0.0/24"], serviceAllocation: { priority: 5 } })],
      NAMESPACES,
    );
    const alloc = p?.serviceAllocation;
    expect(alloc?.priority).toBe(5);
    expect(alloc?.restrictsNamespaces).toBe(false);
    expect(alloc?.serviceSelectors).toHaveLength(1);
    const [selector] = alloc?.serviceSelectors ?? [];
    expect(selector && selectorMatches(selector, { any: "thing" })).toBe(true);
  });

  it("restricts namespaces when namespaceSelectors match none (no namespace allowed yet)", () => {
    const [p] = resolvePools(
      [
        poolObject("p", {
          addresses: ["10.0.0.0/24"],
          serviceAllocation: { namespaceSelectors: [{ matchLabels: { tier: "staging" } }] },
        }),
      ],
      NAMESPACES,
    );
    if (p === undefined) throw new Error("no pool");
    expect(p.serviceAllocation?.namespaces.size).toBe(0);
    expect(compatibilityProblem(p, { namespace: "dev", labels: {} })).toContain(
      'does not select namespace "dev"',
    );
  });
});

describe("poolCapacity (MetalLB TestPoolCount, §3.5)", () => {
  it.each([
    [["1.2.3.0/24"], false, 256n, 0n],
    [["1.2.3.0/24", "2.3.4.128/25"], false, 384n, 0n],
    [["1.2.3.0/24", "2.3.4.128/25"], true, 381n, 0n],
    [["1.2.3.0/24", "2.3.4.128/25", "1000::/64"], true, 381n, MAX_INT64],
    [["1.2.3.0/31", "1000::/127"], true, 1n, 2n],
  ])("%j avoidBuggyIPs=%s → ipv4 %s, ipv6 %s", (addresses, avoid, ipv4, ipv6) => {
    expect(capacityOf(addresses, avoid)).toEqual({ ipv4, ipv6 });
  });

  it("counts ranges like their CIDR cover, minus .0/.255 under avoidBuggyIPs", () => {
    expect(capacityOf(["3.3.3.2-3.3.3.254"]).ipv4).toBe(253n);
    expect(capacityOf(["10.0.0.250-10.0.1.5"], true).ipv4).toBe(10n); // .250–.254, .1–.5
    expect(capacityOf(["10.0.0.0/32"], true).ipv4).toBe(0n); // MetalLB's Go code says -1
  });

  it("saturates IPv6 at MaxInt64 instead of overflowing", () => {
    expect(capacityOf(["1000::/64", "2000::/64", "3000::/120"]).ipv6).toBe(MAX_INT64);
    expect(capacityOf(["1000::/66"]).ipv6).toBe(MAX_INT64); // 62 host bits
    expect(capacityOf(["1000::/67"]).ipv6).toBe(1n << 61n);
  });
});
