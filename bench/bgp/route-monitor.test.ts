import { describe, expect, it } from "vitest";
import { parseRouteMessage } from "./route-monitor.ts";

describe("parseRouteMessage (ip monitor route output)", () => {
  it("counts the nexthop lines of a multipath route (zebra with nexthop groups)", () => {
    const text = [
      "100.64.0.5 nhid 17 proto bgp metric 20 ",
      "\tnexthop via 192.0.2.11 dev eth0 weight 1 ",
      "\tnexthop via 192.0.2.12 dev eth0 weight 1 ",
      "\tnexthop via 192.0.2.13 dev eth0 weight 1 ",
    ].join("\n");
    expect(parseRouteMessage(text)).toEqual({
      prefix: "100.64.0.5/32",
      deleted: false,
      nexthops: 3,
    });
  });

  it("reads a single-path route and a deletion", () => {
    expect(
      parseRouteMessage("100.64.0.5 nhid 20 via 192.0.2.11 dev eth0 proto bgp metric 20"),
    ).toEqual({ prefix: "100.64.0.5/32", deleted: false, nexthops: 1 });
    expect(
      parseRouteMessage("Deleted 100.64.0.5 nhid 20 via 192.0.2.11 dev eth0 proto bgp metric 20"),
    ).toEqual({
      prefix: "100.64.0.5/32",
      deleted: true,
      nexthops: 1,
    });
  });

  it("keeps a prefix length and knows IPv6 host routes", () => {
    expect(parseRouteMessage("100.64.0.0/24 via 192.0.2.11 dev eth0 proto bgp")?.prefix).toBe(
      "100.64.0.0/24",
    );
    expect(parseRouteMessage("2001:db8:ff::1 proto bgp metric 20 pref medium")?.prefix).toBe(
      "2001:db8:ff::1/128",
    );
  });

  it("ignores local, broadcast and other typed routes", () => {
    expect(parseRouteMessage("local 192.0.2.1 dev eth0 table local proto kernel")).toBeUndefined();
    expect(parseRouteMessage("broadcast 192.0.2.255 dev eth0 table local")).toBeUndefined();
    expect(parseRouteMessage("")).toBeUndefined();
  });
});
