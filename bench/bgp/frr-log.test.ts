import { describe, expect, it } from "vitest";
import { lastAdjacencyUp } from "./frr-log.ts";

const BGPD_LOG = [
  "2026/11/21 18:40:12.120 BGP: [N9HHH-F8H1M] %ADJCHANGE: neighbor 192.0.2.11(Unknown) in vrf default Up",
  "2026/11/21 18:40:19.004 BGP: [PXVXG-TFNNT] %ADJCHANGE: neighbor 192.0.2.11(Unknown) in vrf default Down BGP Notification received",
  "2026/11/21 18:40:52.5 BGP: [N9HHH-F8H1M] %ADJCHANGE: neighbor 192.0.2.11(Unknown) in vrf default Up",
  "2026/11/21 18:40:53.000 BGP: [N9HHH-F8H1M] %ADJCHANGE: neighbor 192.0.2.12(Unknown) in vrf default Up",
].join("\n");

describe("lastAdjacencyUp (bgpd log)", () => {
  it("takes the neighbour's last Up line, milliseconds and all, as local time", () => {
    const expected = new Date(2026, 10, 21, 18, 40, 52, 500).getTime();
    expect(lastAdjacencyUp(BGPD_LOG, "192.0.2.11")).toBe(expected);
  });

  it("reads a log without milliseconds and knows no Up for an unknown neighbour", () => {
    expect(
      lastAdjacencyUp(
        "2026/11/21 18:40:12 BGP: [N9HHH-F8H1M] %ADJCHANGE: neighbor 192.0.2.13(n3) in vrf default Up",
        "192.0.2.13",
      ),
    ).toBe(new Date(2026, 10, 21, 18, 40, 12, 0).getTime());
    expect(lastAdjacencyUp(BGPD_LOG, "192.0.2.14")).toBeUndefined();
  });
});
