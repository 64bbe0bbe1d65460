import { describe, expect, it } from "vitest";
import { negotiate } from "./negotiate.ts";
import type { OpenMessage } from "./open.ts";

const base: OpenMessage = {
  type: "open",
  asn: 65000,
  holdTime: 90,
  bgpId: "10.0.0.1",
  capabilities: [],
};

describe("negotiate", () => {
  it("takes the smaller hold time and a third of it for keepalives", () => {
    expect(negotiate(base, { ...base, holdTime: 9 })).toMatchObject({
      holdTime: 9,
      keepaliveInterval: 3,
    });
    expect(negotiate(base, { ...base, holdTime: 0 })).toMatchObject({
      holdTime: 0,
      keepaliveInterval: 0,
    });
  });

  it("needs both sides for 4-octet AS and route refresh; families intersect", () => {
    const local: OpenMessage = {
      ...base,
      capabilities: [
        { kind: "multiprotocol", afi: 1, safi: 1 },
        { kind: "multiprotocol", afi: 2, safi: 1 },
        { kind: "fourOctetAs", asn: 65000 },
        { kind: "routeRefresh" },
      ],
    };
    const gr = { kind: "gracefulRestart", flags: 0, restartTime: 120, families: [] } as const;
    const peer: OpenMessage = {
      ...base,
      capabilities: [
        { kind: "multiprotocol", afi: 2, safi: 1 },
        { kind: "fourOctetAs", asn: 65000 },
        gr,
      ],
    };
    expect(negotiate(local, peer)).toEqual({
      holdTime: 90,
      keepaliveInterval: 30,
      fourOctetAs: true,
      routeRefresh: false,
      families: [{ afi: 2, safi: 1 }],
      peerGracefulRestart: gr,
    });
    expect(negotiate(local, base)).toMatchObject({
      fourOctetAs: false,
      families: [{ afi: 1, safi: 1 }],
    });
  });
});
