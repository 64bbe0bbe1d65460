// Dual-stack allocation (metallb-reference §2.6 "suitable", §2.9, §2.5 step 6).
import { describe, expect, it } from "vitest";
import type { ServiceRequest } from "./allocation-types.ts";
import { Allocator } from "./allocator.ts";
import { decision, expectCode, give, pool, svc } from "./test-kit.ts";

const require6first: Partial<ServiceRequest> = {
  families: ["IPv6", "IPv4"],
  familyPolicy: "RequireDualStack",
};
const prefer: Partial<ServiceRequest> = {
  families: ["IPv4", "IPv6"],
  familyPolicy: "PreferDualStack",
};

describe("dual-stack", () => {
  it("RequireDualStack: both families from one pool, IPv4 written first even when IPv6 is primary", () => {
    const a = new Allocator([
      pool("a-v4", ["10.0.0.0/30"]),
      pool("b-v6", ["fd00:1::/126"]),
      pool("c-dual", ["10.1.0.0/30", "fd00:2::/126"]),
    ]);
    expect(decision(a, svc("ns/x", require6first))).toEqual(["c-dual", ["10.1.0.0", "fd00:2::"]]);
  });

  it("RequireDualStack: single-family pools are not enough", () => {
    const a = new Allocator([pool("a-v4", ["10.0.0.0/30"]), pool("b-v6", ["fd00:1::/126"])]);
    const message = expectCode(
      a.allocate(svc("ns/x", require6first)),
      "POOL_FAMILY_MISMATCH",
      true,
    );
    expect(message).toContain("IPv4 and IPv6");
  });

  it("RequireDualStack: a dual pool whose IPv6 side is full gives nothing", () => {
    const a = new Allocator([pool("dual", ["10.0.0.0/30", "fd00::/128"])]);
    give(a, svc("ns/v6", { families: ["IPv6"] }));
    expectCode(a.allocate(svc("ns/x", require6first)), "NO_AVAILABLE_IPS", false);
  });

  it("PreferDualStack: both from a dual pool when there is one", () => {
    const a = new Allocator([
      pool("a-v4", ["10.0.0.0/30"]),
      pool("b-dual", ["10.1.0.0/30", "fd00::/126"]),
    ]);
    expect(decision(a, svc("ns/x", prefer))).toEqual(["b-dual", ["10.1.0.0", "fd00::"]]);
  });

  it("PreferDualStack: else the first pool with the primary family, even after one with the secondary", () => {
    const a = new Allocator([pool("a-v6", ["fd00::/126"]), pool("b-v4", ["10.0.0.0/30"])]);
    expect(decision(a, svc("ns/x", prefer))).toEqual(["b-v4", ["10.0.0.0"]]);
    expect(decision(a, svc("ns/x", { ...prefer, families: ["IPv6", "IPv4"] }))).toEqual([
      "a-v6",
      ["fd00::"],
    ]);
  });

  it("PreferDualStack: else the secondary family", () => {
    const a = new Allocator([pool("only-v6", ["fd00::/126"])]);
    expect(decision(a, svc("ns/x", prefer))).toEqual(["only-v6", ["fd00::"]]);
  });

  it("PreferDualStack: the primary family of a dual pool whose other side is full", () => {
    const a = new Allocator([pool("dual", ["10.0.0.0/30", "fd00::/128"])]);
    give(a, svc("ns/v6", { families: ["IPv6"] }));
    expect(decision(a, svc("ns/x", prefer))).toEqual(["dual", ["10.0.0.0"]]);
  });

  it("PreferDualStack holding one family: adds the other from the same pool when it appears", () => {
    const v4only = pool("p", ["10.0.0.0/30"]);
    const a = new Allocator([v4only, pool("q-dual", ["10.1.0.0/30", "fd01::/126"])]);
    expect(give(a, svc("ns/x", prefer))).toEqual(["10.1.0.0", "fd01::"]);
    const b = new Allocator([v4only]);
    expect(give(b, svc("ns/x", prefer))).toEqual(["10.0.0.0"]);
    b.setPools([
      pool("p", ["10.0.0.0/30", "fd00::/126"]),
      pool("q-dual", ["10.1.0.0/30", "fd01::/126"]),
    ]);
    // Same pool, held address first, the additional one appended (§2.3).
    expect(decision(b, svc("ns/x", prefer))).toEqual(["p", ["10.0.0.0", "fd00::"]]);
  });

  it("PreferDualStack holding one family does not jump to a dual pool (§2.9)", () => {
    const a = new Allocator([pool("z-v4", ["10.0.0.0/30"])]);
    expect(give(a, svc("ns/x", prefer))).toEqual(["10.0.0.0"]);
    a.setPools([pool("a-dual", ["10.1.0.0/30", "fd01::/126"]), pool("z-v4", ["10.0.0.0/30"])]);
    expect(decision(a, svc("ns/x", prefer))).toEqual(["z-v4", ["10.0.0.0"]]);
    expect(decision(a, svc("ns/new", prefer))).toEqual(["a-dual", ["10.1.0.0", "fd01::"]]);
  });

  it("PreferDualStack with one cluster family stays single (no flapping second address)", () => {
    const a = new Allocator([pool("dual", ["10.0.0.0/30", "fd00::/126"])]);
    const oneFamily = svc("ns/x", { families: ["IPv4"], familyPolicy: "PreferDualStack" });
    expect(give(a, oneFamily)).toEqual(["10.0.0.0"]);
    expect(decision(a, oneFamily)).toEqual(["dual", ["10.0.0.0"]]);
  });

  it("single-stack IPv6 gets an IPv6 address from a dual pool", () => {
    const a = new Allocator([pool("dual", ["10.0.0.0/30", "fd00::/126"])]);
    expect(decision(a, svc("ns/x", { families: ["IPv6"] }))).toEqual(["dual", ["fd00::"]]);
  });
});
