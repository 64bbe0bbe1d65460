// Automatic allocation: pinned pools by priority, fallback pools, autoAssign,
// namespaces and selectors (metallb-reference §2.6), avoidBuggyIPs (§2.10),
// lowest address first in spec order (§3.2).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Allocator } from "./allocator.ts";
import { resolvePools } from "./pool-definitions.ts";
import { decision, expectCode, give, ip, pinnedTo, pool, svc, expectOk } from "./test-kit.ts";

describe("automatic allocation", () => {
  it("hands out the lowest free address, walking entries in spec order (§3.2)", () => {
    const a = new Allocator([pool("p", ["10.0.1.0/31", "10.0.0.0/31"])]);
    expect(give(a, svc("ns/a"))).toEqual(["10.0.1.0"]);
    expect(give(a, svc("ns/b"))).toEqual(["10.0.1.1"]);
    expect(give(a, svc("ns/c"))).toEqual(["10.0.0.0"]);
    a.releaseService("ns/a");
    expect(give(a, svc("ns/d"))).toEqual(["10.0.1.0"]);
  });

  it("uses fallback pools in name order, whatever order they are given in", () => {
    const a = new Allocator([pool("b", ["10.0.2.0/32"]), pool("a", ["10.0.1.0/32"])]);
    expect(decision(a, svc("ns/x"))).toEqual(["a", ["10.0.1.0"]]);
    give(a, svc("ns/x"));
    expect(decision(a, svc("ns/y"))).toEqual(["b", ["10.0.2.0"]]);
  });

  it("never uses an autoAssign=false pool automatically, but does when it is named", () => {
    const a = new Allocator([pool("manual", ["10.0.0.0/30"], { autoAssign: false })]);
    const message = expectCode(a.allocate(svc("ns/x")), "NO_POOLS", false);
    expect(message).toContain("metallb.io/address-pool");
    expect(decision(a, svc("ns/x", { pool: "manual" }))).toEqual(["manual", ["10.0.0.0"]]);
  });

  it("tries pinned pools by priority: positive ascending, then 0, ties by name, then fallback", () => {
    const a = new Allocator([
      pool("aaa-fallback", ["10.9.0.0/32"]),
      pool("p-zero", ["10.0.0.0/32"], { serviceAllocation: pinnedTo(["prod"], 0) }),
      pool("p-two", ["10.2.0.0/32"], { serviceAllocation: pinnedTo(["prod"], 2) }),
      pool("p-one-b", ["10.1.1.0/32"], { serviceAllocation: pinnedTo(["prod"], 1) }),
      pool("p-one-a", ["10.1.0.0/32"], { serviceAllocation: pinnedTo(["prod"], 1) }),
      pool("p-negative", ["10.3.0.0/32"], { serviceAllocation: pinnedTo(["prod"], -5) }),
    ]);
    const got: string[] = [];
    for (let i = 0; i < 6; i++) {
      const [poolName] = decision(a, svc(`prod/s${i}`));
      got.push(poolName);
      give(a, svc(`prod/s${i}`));
    }
    // 0 and negative priorities sort together, by name.
    expect(got).toEqual(["p-one-a", "p-one-b", "p-two", "p-negative", "p-zero", "aaa-fallback"]);
    expectCode(a.allocate(svc("prod/last")), "NO_AVAILABLE_IPS", false);
  });

  it("never uses a pool with serviceAllocation as a fallback for other namespaces", () => {
    const a = new Allocator([
      pool("prod-only", ["10.0.0.0/30"], { serviceAllocation: pinnedTo(["prod"]) }),
    ]);
    expect(decision(a, svc("prod/x"))).toEqual(["prod-only", ["10.0.0.0"]]);
    expectCode(a.allocate(svc("dev/x")), "NO_POOLS", false);
  });

  it("pins by namespaceSelectors resolved against the namespaces' labels", () => {
    const [eu, fallback] = resolvePools(
      [
        {
          apiVersion: "metallb.io/v1beta1",
          kind: "IPAddressPool",
          metadata: { name: "eu" },
          spec: {
            addresses: ["10.1.0.0/30"],
            serviceAllocation: { namespaceSelectors: [{ matchLabels: { region: "eu" } }] },
          },
        },
        {
          apiVersion: "metallb.io/v1beta1",
          kind: "IPAddressPool",
          metadata: { name: "fallback" },
          spec: { addresses: ["10.0.0.0/30"] },
        },
      ],
      [
        { name: "shop", labels: { region: "eu" } },
        { name: "blog", labels: { region: "us" } },
      ],
    );
    if (eu === undefined || fallback === undefined) throw new Error("pools did not resolve");
    const a = new Allocator([fallback, eu]);
    expect(decision(a, svc("shop/web"))).toEqual(["eu", ["10.1.0.0"]]);
    expect(decision(a, svc("blog/web"))).toEqual(["fallback", ["10.0.0.0"]]);
    expectCode(a.allocate(svc("blog/web", { pool: "eu" })), "POOL_NOT_ALLOWED", true);
  });

  it("pins by serviceSelectors: only matching Services, ahead of the fallback", () => {
    const web = pool("web", ["10.1.0.0/30"], {
      serviceAllocation: {
        priority: 0,
        namespaces: new Set(),
        restrictsNamespaces: false,
        serviceSelectors: [{ matchLabels: { app: "web" } }],
      },
    });
    const a = new Allocator([pool("fallback", ["10.0.0.0/30"]), web]);
    expect(decision(a, svc("ns/a", { labels: { app: "web" } }))).toEqual(["web", ["10.1.0.0"]]);
    expect(decision(a, svc("ns/b", { labels: { app: "db" } }))).toEqual(["fallback", ["10.0.0.0"]]);
    const message = expectCode(
      a.allocate(svc("ns/b", { requestedIPs: [ip("10.1.0.1")] })),
      "POOL_NOT_ALLOWED",
      true,
    );
    expect(message).toContain('IPAddressPool "web"');
    expect(message).toContain("serviceSelectors");
  });

  it("never picks automatically a pool that selects neither the namespace nor by label", () => {
    // Hand-built: resolvePools turns a priority-only serviceAllocation into "select all".
    const a = new Allocator([
      pool("inert", ["10.1.0.0/30"], {
        serviceAllocation: {
          priority: 1,
          namespaces: new Set(),
          restrictsNamespaces: false,
          serviceSelectors: [],
        },
      }),
    ]);
    expectCode(a.allocate(svc("ns/x")), "NO_POOLS", false);
    expect(decision(a, svc("ns/x", { pool: "inert" }))).toEqual(["inert", ["10.1.0.0"]]);
  });

  it("lets a priority-only pool (selects everything) win over fallback pools", () => {
    const a = new Allocator([
      pool("a-fallback", ["10.0.0.0/30"]),
      pool("z-priority", ["10.1.0.0/30"], {
        serviceAllocation: {
          priority: 3,
          namespaces: new Set(),
          restrictsNamespaces: false,
          serviceSelectors: [{}],
        },
      }),
    ]);
    expect(decision(a, svc("any/x"))).toEqual(["z-priority", ["10.1.0.0"]]);
  });

  it("skips full pinned pools and reports full pools by name", () => {
    const a = new Allocator([pool("tiny", ["10.0.0.0/32"])]);
    give(a, svc("ns/a"));
    const message = expectCode(a.allocate(svc("ns/b")), "NO_AVAILABLE_IPS", false);
    expect(message).toContain('"tiny"');
  });

  it("says which family is missing when no usable pool has it", () => {
    const a = new Allocator([pool("v4", ["10.0.0.0/30"])]);
    const message = expectCode(
      a.allocate(svc("ns/x", { families: ["IPv6"] })),
      "POOL_FAMILY_MISMATCH",
      true,
    );
    expect(message).toContain("IPv6");
    expect(message).toContain('"v4"');
  });

  it("fails without pools, and without a family", () => {
    expectCode(new Allocator([]).allocate(svc("ns/x")), "NO_POOLS", false);
    const a = new Allocator([pool("p", ["10.0.0.0/30"])]);
    expectCode(a.allocate(svc("ns/x", { families: [] })), "NO_AVAILABLE_IPS", false);
  });
});

describe("avoidBuggyIPs (§2.10)", () => {
  it("skips .0 and .255, across /24 boundaries too", () => {
    const a = new Allocator([pool("p", ["10.0.0.254-10.0.1.2"], { avoidBuggyIPs: true })]);
    expect(give(a, svc("ns/a"))).toEqual(["10.0.0.254"]);
    expect(give(a, svc("ns/b"))).toEqual(["10.0.1.1"]);
    expect(give(a, svc("ns/c"))).toEqual(["10.0.1.2"]);
    expectCode(a.allocate(svc("ns/d")), "NO_AVAILABLE_IPS", false);
  });

  it("gives 254 addresses of a /24, and refuses .0 and .255 when requested", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/24"], { avoidBuggyIPs: true })]);
    expect(give(a, svc("ns/first"))).toEqual(["10.0.0.1"]);
    for (let i = 2; i <= 254; i++) give(a, svc(`ns/s${i}`));
    expect(a.usage("p")).toMatchObject({ assignedIPv4: 254, availableIPv4: 0 });
    expectCode(a.allocate(svc("ns/more")), "NO_AVAILABLE_IPS", false);
    for (const text of ["10.0.0.0", "10.0.0.255"]) {
      const message = expectCode(
        a.allocate(svc("ns/x", { requestedIPs: [ip(text)] })),
        "REQUESTED_IP_NOT_IN_POOL",
        true,
      );
      expect(message).toContain(text);
      expect(message).toContain("avoidBuggyIPs");
    }
  });

  it("without the flag, a /31 at .0 yields .0 first", () => {
    const a = new Allocator([pool("p", ["1.2.3.0/31"])]);
    expect(give(a, svc("ns/a"))).toEqual(["1.2.3.0"]);
    expect(give(a, svc("ns/b"))).toEqual(["1.2.3.1"]);
  });

  it("has no effect on IPv6", () => {
    const a = new Allocator([pool("p", ["fd00::/127"], { avoidBuggyIPs: true })]);
    expect(give(a, svc("ns/a", { families: ["IPv6"] }))).toEqual(["fd00::"]);
  });

  it("matches a brute-force walk for random used sets (spec order, lowest, skip when asked)", () => {
    const blocks = ["10.0.0.250-10.0.1.10", "10.0.0.0/28"];
    const all: bigint[] = [];
    for (const [lo, hi] of [
      [0x0a0000fan, 0x0a00010an],
      [0x0a000000n, 0x0a00000fn],
    ] as const) {
      for (let v = lo; v <= hi; v++) all.push(v);
    }
    fc.assert(
      fc.property(fc.boolean(), fc.subarray(all), (avoid, used) => {
        const a = new Allocator([pool("p", blocks, { avoidBuggyIPs: avoid })]);
        used.forEach((v, i) => {
          a.hold({ family: "IPv4", value: v }, "p", {
            serviceKey: `ns/h${i}`,
            backendKey: "",
            ports: [],
          });
        });
        const usedSet = new Set(used);
        const expected = all.find(
          (v) => !usedSet.has(v) && !(avoid && (v % 256n === 0n || v % 256n === 255n)),
        );
        const result = a.allocate(svc("ns/new"));
        if (expected === undefined) {
          expect(result.ok).toBe(false);
        } else {
          expect(expectOk(result).ips).toEqual([{ family: "IPv4", value: expected }]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
