// Issue 6 "same sessions established with BIRD and GoBGP, routes present":
// two `metallb-ts speaker` processes (the whole speaker: cluster view,
// bgp-plan, sessions through the native addon) peer with BIRD 2 and GoBGP
// over IPv4 and IPv6, one BGPPeer per router and family (as MetalLB users
// configure it). A dual-stack Service must reach both routers' RIBs from both
// nodes, each path with that node's own address as next hop, its community
// intact, and leave them when the Service is deleted. FRR is covered by
// speaker-bgp.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../lab/exec.ts";
import { startBird, type Bird, type BirdRoute } from "../lab/bird.ts";
import { startGobgp, type Gobgp, type GobgpPath } from "../lab/gobgp.ts";
import { createSpeakerLab, NAMESPACE, type SpeakerLab } from "../lab/speaker-lab.ts";

const NODES = ["n1", "n2"] as const;
const SPEAKER_ASN = 64513;
const ROUTER_ASN = 64512;
const V4 = "203.0.113.10";
const V6 = "2001:db8:ff::10";
/** 65000:100 as the 32-bit value GoBGP prints. */
const COMMUNITY = 65000 * 65536 + 100;

type Json = Record<string, unknown>;

function metallb(kind: string, name: string, spec: Json): Json {
  return {
    apiVersion: kind === "BGPPeer" ? "metallb.io/v1beta2" : "metallb.io/v1beta1",
    kind,
    metadata: { name, namespace: NAMESPACE },
    spec,
  };
}

describe("metallb-ts speaker with BIRD and GoBGP (IPv4 and IPv6)", () => {
  let lab: SpeakerLab | undefined;
  let bird: Bird | undefined;
  let gobgp: Gobgp | undefined;

  const setup = (): { lab: SpeakerLab; bird: Bird; gobgp: Gobgp } => {
    if (!lab || !bird || !gobgp) throw new Error("setup failed");
    return { lab, bird, gobgp };
  };
  const addresses = (family: "ipv4" | "ipv6"): string[] =>
    NODES.map((n) => setup().lab.lan.host(n)[family]).sort();

  async function birdPaths(prefix: string, count: number): Promise<BirdRoute[]> {
    return waitFor(
      `${String(count)} paths for ${prefix} at BIRD`,
      async () => {
        const paths = (await setup().bird.routes())[prefix] ?? [];
        return paths.length === count ? paths : undefined;
      },
      { timeoutMs: 20_000, stepMs: 200 },
    );
  }

  async function gobgpPaths(
    family: "ipv4" | "ipv6",
    prefix: string,
    count: number,
  ): Promise<GobgpPath[]> {
    return waitFor(
      `${String(count)} paths for ${prefix} at GoBGP`,
      async () => {
        const paths = (await setup().gobgp.rib(family))[prefix] ?? [];
        return paths.length === count ? paths : undefined;
      },
      { timeoutMs: 20_000, stepMs: 200 },
    );
  }

  beforeAll(async () => {
    lab = await createSpeakerLab({
      prefix: "sbi",
      nodes: NODES.length,
      client: false,
      extra: ["bird", "gobgp"],
    });
    const l = lab;
    const neighbors = NODES.flatMap((n) => [
      { address: l.lan.host(n).ipv4, asn: SPEAKER_ASN },
      { address: l.lan.host(n).ipv6, asn: SPEAKER_ASN },
    ]);
    [bird, gobgp] = await Promise.all([
      startBird(l.lan, { asn: ROUTER_ASN, routerId: "192.0.2.2", neighbors, kernel: false }),
      startGobgp(l.lan, {
        host: "gobgp",
        asn: ROUTER_ASN,
        routerId: "192.0.2.3",
        neighbors: neighbors.map((n) => ({ ...n, passive: true })),
        multipath: true,
      }),
    ]);
    const peers = (["bird", "gobgp"] as const).flatMap((router) => {
      const h = l.lan.host(router);
      return [
        metallb("BGPPeer", `${router}-v4`, {
          peerAddress: h.ipv4,
          myASN: SPEAKER_ASN,
          peerASN: ROUTER_ASN,
        }),
        metallb("BGPPeer", `${router}-v6`, {
          peerAddress: h.ipv6,
          myASN: SPEAKER_ASN,
          peerASN: ROUTER_ASN,
        }),
      ];
    });
    await l.apply([
      metallb("IPAddressPool", "pool", { addresses: ["203.0.113.0/24", "2001:db8:ff::/64"] }),
      ...peers,
      metallb("BGPAdvertisement", "all", { ipAddressPools: ["pool"], communities: ["65000:100"] }),
    ]);
    await l.createService({ name: "web", ips: [V4, V6], pool: "pool" });
    await Promise.all(NODES.map((n) => l.startSpeaker(n)));
  }, 80_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it("BIRD: every session Established, each node's path with its own next hop, both families", async () => {
    const { bird } = setup();
    await waitFor(
      "4 BIRD sessions Established",
      async () => {
        const states = Object.values(await bird.protocols());
        return states.length === 4 && states.every((s) => s.includes("Established"));
      },
      { timeoutMs: 20_000, stepMs: 200 },
    );
    const v4 = await birdPaths(`${V4}/32`, 2);
    expect(v4.map((p) => p.via).sort()).toEqual(addresses("ipv4"));
    expect(v4.map((p) => p.asPath)).toEqual([String(SPEAKER_ASN), String(SPEAKER_ASN)]);
    expect(v4.every((p) => p.text.includes("(65000,100)"))).toBe(true);
    const v6 = await birdPaths(`${V6}/128`, 2);
    expect(v6.map((p) => p.via).sort()).toEqual(addresses("ipv6"));
  }, 30_000);

  it("GoBGP: every session Established, each node's path with its own next hop, both families", async () => {
    const { gobgp } = setup();
    await waitFor(
      "4 GoBGP sessions Established",
      async () => {
        const up = Object.values(await gobgp.established());
        return up.length === 4 && up.every(Boolean);
      },
      { timeoutMs: 20_000, stepMs: 200 },
    );
    const v4 = await gobgpPaths("ipv4", `${V4}/32`, 2);
    expect(v4.map((p) => p.nexthop).sort()).toEqual(addresses("ipv4"));
    expect(v4.map((p) => p.neighbor).sort()).toEqual(addresses("ipv4"));
    for (const p of v4) {
      const attrs = (p.raw.attrs ?? []) as { type: number; communities?: number[] }[];
      expect(attrs.find((a) => a.type === 8)?.communities).toEqual([COMMUNITY]);
    }
    const v6 = await gobgpPaths("ipv6", `${V6}/128`, 2);
    expect(v6.map((p) => p.nexthop).sort()).toEqual(addresses("ipv6"));
    expect(v6.map((p) => p.neighbor).sort()).toEqual(addresses("ipv6"));
  }, 30_000);

  it("a deleted Service is withdrawn at both routers, in both families", async () => {
    const { lab } = setup();
    await lab.deleteService("web");
    await Promise.all([
      birdPaths(`${V4}/32`, 0),
      birdPaths(`${V6}/128`, 0),
      gobgpPaths("ipv4", `${V4}/32`, 0),
      gobgpPaths("ipv6", `${V6}/128`, 0),
    ]);
  }, 30_000);
});
