import { describe, expect, it } from "vitest";
import { formatIp } from "../net/ip-address-text.ts";
import { Allocator } from "./allocator.ts";
import { PoolIndex } from "./pool-index.ts";
import { decision, ip, pool, svc } from "./test-kit.ts";

function rangesOf(index: PoolIndex, name: string): string[] {
  return index
    .ranges(name, "IPv4")
    .map(
      (r) =>
        `${formatIp({ family: "IPv4", value: r.first })}-${formatIp({ family: "IPv4", value: r.last })}`,
    );
}

describe("PoolIndex", () => {
  it("finds the owning pool by address, honouring avoidBuggyIPs", () => {
    const index = new PoolIndex([
      pool("a", ["10.0.0.0/24"], { avoidBuggyIPs: true }),
      pool("b", ["10.0.1.0/24", "fd00::/64"]),
    ]);
    expect(index.poolOf(ip("10.0.0.7"))?.name).toBe("a");
    expect(index.poolOf(ip("10.0.0.0"))).toBeUndefined();
    expect(index.poolSpanning(ip("10.0.0.0"))?.name).toBe("a");
    expect(index.poolOf(ip("10.0.1.0"))?.name).toBe("b");
    expect(index.poolOf(ip("fd00::ffff"))?.name).toBe("b");
    expect(index.poolOf(ip("10.0.2.0"))).toBeUndefined();
  });

  it("keeps spec order and splits entries around addresses an earlier-named pool owns", () => {
    // Overlaps are invalid (the webhook refuses them); if one slips through,
    // the first pool by name owns the shared addresses and nobody hands them out twice.
    const index = new PoolIndex([
      pool("b", ["10.0.1.0/24", "10.0.0.0/24"]),
      pool("a", ["10.0.0.64/26", "10.0.1.128/25"]),
    ]);
    expect(rangesOf(index, "a")).toEqual(["10.0.0.64-10.0.0.127", "10.0.1.128-10.0.1.255"]);
    expect(rangesOf(index, "b")).toEqual([
      "10.0.1.0-10.0.1.127",
      "10.0.0.0-10.0.0.63",
      "10.0.0.128-10.0.0.255",
    ]);
    expect(index.poolOf(ip("10.0.0.100"))?.name).toBe("a");
  });

  it("lets an allocator over overlapping pools never give one address twice", () => {
    const a = new Allocator([pool("b", ["10.0.0.0/30"]), pool("a", ["10.0.0.0/31"])]);
    a.hold(ip("10.0.0.0"), "a", { serviceKey: "ns/x", backendKey: "", ports: [] });
    a.hold(ip("10.0.0.1"), "a", { serviceKey: "ns/y", backendKey: "", ports: [] });
    expect(decision(a, svc("ns/z", { pool: "b" }))).toEqual(["b", ["10.0.0.2"]]);
  });
});
