// Keeping what a Service holds (§2.5 steps 4–5), pool changes (§2.11),
// addresses taken by other writers, usage counts (§3.5) and determinism.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PoolDefinition } from "./allocation-types.ts";
import { Allocator } from "./allocator.ts";
import { MAX_INT64 } from "./pool-definitions.ts";
import { decision, expectCode, give, ip, pinnedTo, pool, svc, texts } from "./test-kit.ts";

describe("keeping the current allocation", () => {
  it("keeps what is held even when a lower address frees up", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/29"])]);
    give(a, svc("ns/first"));
    expect(give(a, svc("ns/x"))).toEqual(["10.0.0.1"]);
    a.releaseService("ns/first");
    expect(decision(a, svc("ns/x"))).toEqual(["p", ["10.0.0.1"]]);
    expect(decision(a, svc("ns/other"))).toEqual(["p", ["10.0.0.0"]]);
  });

  it("moves to the named pool when the annotation changes", () => {
    const a = new Allocator([pool("a", ["10.0.0.0/29"]), pool("b", ["10.1.0.0/29"])]);
    give(a, svc("ns/x"));
    expect(decision(a, svc("ns/x", { pool: "a" }))).toEqual(["a", ["10.0.0.0"]]);
    expect(decision(a, svc("ns/x", { pool: "b" }))).toEqual(["b", ["10.1.0.0"]]);
  });

  it("takes the newly requested addresses; the same ones in another order keep the allocation", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/29", "fd00::/125"])]);
    const dual = { families: ["IPv4", "IPv6"] as const, familyPolicy: "RequireDualStack" as const };
    give(a, svc("ns/x", { ...dual, requestedIPs: [ip("10.0.0.3"), ip("fd00::3")] }));
    const swapped = svc("ns/x", { ...dual, requestedIPs: [ip("fd00::3"), ip("10.0.0.3")] });
    expect(decision(a, swapped)).toEqual(["p", ["10.0.0.3", "fd00::3"]]);
    const changed = svc("ns/x", { ...dual, requestedIPs: [ip("10.0.0.4"), ip("fd00::3")] });
    expect(decision(a, changed)).toEqual(["p", ["10.0.0.4", "fd00::3"]]);
  });

  it("leaves a pool that no longer serves the Service's namespace", () => {
    const a = new Allocator([pool("a", ["10.0.0.0/29"]), pool("z", ["10.9.0.0/29"])]);
    give(a, svc("dev/x"));
    a.setPools([
      pool("a", ["10.0.0.0/29"], { serviceAllocation: pinnedTo(["prod"]) }),
      pool("z", ["10.9.0.0/29"]),
    ]);
    expect(decision(a, svc("dev/x"))).toEqual(["z", ["10.9.0.0"]]);
  });

  it("leaves an address of the wrong family", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/29", "fd00::/125"])]);
    give(a, svc("ns/x"));
    expect(decision(a, svc("ns/x", { families: ["IPv6"] }))).toEqual(["p", ["fd00::"]]);
  });
});

describe("setPools", () => {
  it("reports Services whose addresses left every pool; they then get new ones", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/29"])]);
    for (let i = 0; i < 6; i++) give(a, svc(`ns/s${i}`));
    expect(a.setPools([pool("p", ["10.0.0.0/30"])])).toEqual(["ns/s4", "ns/s5"]);
    expect(a.usage("p").assignedIPv4).toBe(4);
    // The claims still exist until the caller releases them.
    expect(a.current("ns/s4")).toEqual({ pool: "p", ips: [ip("10.0.0.4")] });
    a.releaseService("ns/s0");
    expect(decision(a, svc("ns/s4"))).toEqual(["p", ["10.0.0.0"]]);
  });

  it("reports nothing when nothing moved", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/29"])]);
    give(a, svc("ns/x"));
    expect(a.setPools([pool("p", ["10.0.0.0/29"]), pool("q", ["10.1.0.0/29"])])).toEqual([]);
  });

  it("moves addresses to the pool that owns them now (rename, split)", () => {
    const a = new Allocator([pool("old", ["10.0.0.0/29"])]);
    give(a, svc("ns/low"));
    give(a, svc("ns/mid", { requestedIPs: [ip("10.0.0.5")] }));
    expect(a.setPools([pool("new", ["10.0.0.0/30"]), pool("other", ["10.0.0.4/30"])])).toEqual([
      "ns/low",
      "ns/mid",
    ]);
    expect(a.current("ns/low")?.pool).toBe("new");
    expect(a.current("ns/mid")?.pool).toBe("other");
    expect(a.usage("other").assignedIPv4).toBe(1);
    expect(decision(a, svc("ns/mid"))).toEqual(["other", ["10.0.0.5"]]);
  });

  it("reports a held .0 when avoidBuggyIPs is turned on, and stops counting it", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/24"])]);
    expect(give(a, svc("ns/x"))).toEqual(["10.0.0.0"]);
    expect(a.setPools([pool("p", ["10.0.0.0/24"], { avoidBuggyIPs: true })])).toEqual(["ns/x"]);
    expect(a.usage("p")).toMatchObject({ assignedIPv4: 0, availableIPv4: 254 });
    expect(decision(a, svc("ns/x"))).toEqual(["p", ["10.0.0.1"]]);
  });

  it("keeps free-address search right for avoidBuggyIPs pools after a change", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/30"])]);
    give(a, svc("ns/a"));
    give(a, svc("ns/b"));
    a.setPools([pool("p", ["10.0.0.0/30"], { avoidBuggyIPs: true })]);
    expect(decision(a, svc("ns/c"))).toEqual(["p", ["10.0.0.2"]]);
  });
});

describe("markTaken", () => {
  it("skips an address another writer took, until its claim is released", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/29"])]);
    a.markTaken(ip("10.0.0.0"));
    expect(decision(a, svc("ns/x"))).toEqual(["p", ["10.0.0.1"]]);
    expect(a.usage("p").assignedIPv4).toBe(1);
    // The claim shows up: now we know the holder; then it goes away.
    a.hold(ip("10.0.0.0"), "p", { serviceKey: "ns/other", backendKey: "", ports: [] });
    expect(a.usage("p").assignedIPv4).toBe(1);
    a.releaseIP(ip("10.0.0.0"), "ns/other");
    expect(decision(a, svc("ns/x"))).toEqual(["p", ["10.0.0.0"]]);
  });

  it("forgets a taken address whose claim is deleted before we saw it", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/29"])]);
    a.markTaken(ip("10.0.0.0"));
    a.releaseIP(ip("10.0.0.0"), "ns/unseen");
    expect(a.usage("p").assignedIPv4).toBe(0);
    expect(decision(a, svc("ns/x"))).toEqual(["p", ["10.0.0.0"]]);
  });

  it("never shares a taken address", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/29"])]);
    a.markTaken(ip("10.0.0.3"));
    expectCode(
      a.allocate(svc("ns/x", { sharingKey: "k", requestedIPs: [ip("10.0.0.3")] })),
      "REQUESTED_IP_IN_USE",
      true,
    );
  });
});

describe("usage", () => {
  it("counts distinct used addresses per family; a /64 is MaxInt64, capped to MAX_SAFE_INTEGER", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/24", "fd00::/64"])]);
    give(a, svc("ns/a"));
    give(a, svc("ns/b", { families: ["IPv6"] }));
    give(a, svc("ns/c", { families: ["IPv6"] }));
    expect(a.usage("p")).toEqual({
      assignedIPv4: 1,
      assignedIPv6: 2,
      availableIPv4: 255,
      availableIPv6: Number.MAX_SAFE_INTEGER,
    });
    expect(MAX_INT64).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
    a.releaseService("ns/b");
    expect(a.usage("p").assignedIPv6).toBe(1);
    expect(a.usage("unknown")).toEqual({
      assignedIPv4: 0,
      assignedIPv6: 0,
      availableIPv4: 0,
      availableIPv6: 0,
    });
  });

  it("does not count addresses outside the pool", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/30"])]);
    a.hold(ip("192.0.2.1"), "p", { serviceKey: "ns/stale", backendKey: "", ports: [] });
    expect(a.usage("p").assignedIPv4).toBe(0);
    expect(a.current("ns/stale")).toEqual({ pool: "p", ips: [ip("192.0.2.1")] });
  });
});

describe("determinism", () => {
  const POOLS: PoolDefinition[] = [
    pool("b", ["10.0.1.0/30"]),
    pool("a", ["10.0.0.0/30"]),
    pool("c", ["10.0.2.0/30", "fd00::/126"]),
    pool("p2", ["10.0.3.0/31"], { serviceAllocation: pinnedTo(["prod"], 2) }),
    pool("p1", ["10.0.4.0/31"], { serviceAllocation: pinnedTo(["prod"], 2) }),
  ];

  it("gives the same answers whatever order the pools come in", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(POOLS, { minLength: POOLS.length }), (shuffled) => {
        const reference = new Allocator(POOLS);
        const other = new Allocator(shuffled);
        for (let i = 0; i < 20; i++) {
          const req = svc(`${i % 3 === 0 ? "prod" : "dev"}/s${i}`, {
            families: i % 4 === 0 ? ["IPv4", "IPv6"] : ["IPv4"],
            familyPolicy: i % 4 === 0 ? "PreferDualStack" : "SingleStack",
          });
          const expected = reference.allocate(req);
          expect(other.allocate(req)).toEqual(expected);
          if (expected.ok) {
            give(reference, req);
            give(other, req);
          }
        }
        expect(texts(other.current("prod/s0")?.ips ?? [])).toEqual(["10.0.4.0"]);
      }),
      { numRuns: 30 },
    );
  });
});
