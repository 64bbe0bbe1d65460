import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildRib,
  diffRib,
  fullTable,
  type AdvertisedRoute,
  type PeerView,
} from "./adj-rib-out.ts";
import type { PathAttributes } from "./attributes.ts";
import { decodeMessage } from "./messages.ts";
import { endOfRibFamily } from "./update.ts";
import { endOfRibMarkers, packDiff } from "./update-packer.ts";

const families = [
  { afi: 1, safi: 1 },
  { afi: 2, safi: 1 },
];
const ebgp: PeerView = {
  localAsn: 64513,
  peerAsn: 64512,
  fourOctetAs: true,
  families,
  ipv4NextHop: "192.0.2.11",
  ipv6NextHops: ["2001:db8:1::11"],
};
const ibgp: PeerView = { ...ebgp, peerAsn: 64513 };

/** What a peer's RIB holds after these UPDATEs: prefix → attributes (+ IPv6 next hops). */
function apply(
  messages: readonly Uint8Array[],
  rib = new Map<string, PathAttributes>(),
): Map<string, PathAttributes> {
  for (const m of messages) {
    expect(m.length).toBeLessThanOrEqual(4096);
    const d = decodeMessage(m, { fourOctetAs: true });
    if (!d.ok || d.message.type !== "update") throw new Error("not an UPDATE");
    const { withdrawn, nlri, attributes } = d.message;
    for (const p of [...withdrawn, ...(attributes.mpUnreach?.withdrawn ?? [])]) rib.delete(p);
    const { mpReach, mpUnreach: _u, ...rest } = attributes;
    for (const p of nlri) rib.set(p, rest);
    for (const p of mpReach?.nlri ?? []) {
      rib.set(p, { ...rest, mpReach: { ...mpReach, nlri: [] } } as PathAttributes);
    }
  }
  return rib;
}

const v4 = (i: number): string => `198.18.${(i >> 8) & 255}.${i & 255}/32`;
const v6 = (i: number): string => `2001:db8:ff::${i.toString(16)}/128`;

describe("buildRib: attributes per peer (RFC 4271 §5.1)", () => {
  const route: AdvertisedRoute = {
    prefix: "203.0.113.5/32",
    localPref: 150,
    communities: [0xfde80064, 0xffffff01, 0xfde80064],
    largeCommunities: [{ globalAdmin: 64513, localData1: 1, localData2: 2 }],
  };

  it("eBGP: AS_PATH = own AS, NEXT_HOP, communities (sorted, unique), no LOCAL_PREF", () => {
    const { rib } = buildRib([route], ebgp);
    expect(rib.get("203.0.113.5/32")?.attributes).toEqual({
      origin: 0,
      asPath: [{ type: 2, asns: [64513] }],
      nextHop: "192.0.2.11",
      communities: [0xfde80064, 0xffffff01],
      largeCommunities: [{ globalAdmin: 64513, localData1: 1, localData2: 2 }],
    });
  });

  it("iBGP: empty AS_PATH and LOCAL_PREF, 100 when not configured (§5.1.5: mandatory)", () => {
    const attrs = buildRib([route], ibgp).rib.get("203.0.113.5/32")?.attributes;
    expect(attrs?.asPath).toEqual([]);
    expect(attrs?.localPref).toBe(150);
    const plain = buildRib([{ prefix: "2001:db8::1/128" }], ibgp).rib.get("2001:db8::1/128");
    expect(plain?.attributes.localPref).toBe(100);
  });

  it("IPv6: no NEXT_HOP attribute, MP next hops; canonical prefix text", () => {
    const r = buildRib([{ prefix: "2001:DB8:0:0::5/128" }], ebgp).rib.get("2001:db8::5/128");
    expect(r?.attributes.nextHop).toBeUndefined();
    expect(r?.ipv6NextHops).toEqual(["2001:db8:1::11"]);
  });

  it("4-octet local ASN on a 2-octet session: AS_TRANS in AS_PATH (RFC 6793)", () => {
    const view = { ...ebgp, localAsn: 4_200_000_000, fourOctetAs: false };
    expect(buildRib([route], view).rib.get(route.prefix)?.attributes.asPath).toEqual([
      { type: 2, asns: [23456] },
    ]);
  });

  it("skips families not negotiated or without a next hop", () => {
    const { peerAsn, localAsn, fourOctetAs } = ebgp;
    const v4only = { peerAsn, localAsn, fourOctetAs, families: [families[0] ?? families[1]] };
    const r = buildRib([{ prefix: "203.0.113.5/32" }, { prefix: "2001:db8::5/128" }], {
      ...v4only,
      ipv4NextHop: "192.0.2.11",
    } as PeerView);
    expect([...r.rib.keys()]).toEqual(["203.0.113.5/32"]);
    expect(r.skipped).toEqual(["2001:db8::5/128"]);
    const noHop = buildRib([{ prefix: "203.0.113.5/32" }], { ...v4only } as PeerView);
    expect(noHop.skipped).toEqual(["203.0.113.5/32"]);
  });

  it("two routes for one prefix merge: communities united, highest LOCAL_PREF", () => {
    const { rib } = buildRib(
      [
        { prefix: "203.0.113.5/32", localPref: 100, communities: [1] },
        { prefix: "203.0.113.5/32", localPref: 200, communities: [2] },
      ],
      ibgp,
    );
    expect(rib.size).toBe(1);
    expect(rib.get("203.0.113.5/32")?.attributes).toMatchObject({
      localPref: 200,
      communities: [1, 2],
    });
  });

  it("refuses a prefix with host bits with a coded error", () => {
    expect(() => buildRib([{ prefix: "203.0.113.5/24" }], ebgp)).toThrow(
      expect.objectContaining({ code: "BGP_BAD_PREFIX" }) as Error,
    );
  });
});

describe("diffRib + packDiff", () => {
  it("10,000 prefixes in several attribute sets pack ≤ 4096 octets and decode to exactly the input", () => {
    const routes: AdvertisedRoute[] = [];
    for (let i = 0; i < 7000; i++) routes.push({ prefix: v4(i), communities: [i % 3] });
    for (let i = 0; i < 3000; i++) {
      routes.push({
        prefix: v6(i),
        largeCommunities: [{ globalAdmin: 1, localData1: i % 2, localData2: 0 }],
      });
    }
    const { rib } = buildRib(routes, ebgp);
    expect(rib.size).toBe(10_000);
    const messages = packDiff(fullTable(rib), { fourOctetAs: true });
    // 5 attribute sets; /32 = 5 octets, so ~800 IPv4 or ~230 IPv6 prefixes per message.
    expect(messages.length).toBeLessThan(30);
    const held = apply(messages);
    expect(held.size).toBe(10_000);
    for (const r of rib.values()) {
      const got = held.get(r.prefix);
      if (r.family === 4) expect(got).toEqual(r.attributes);
      else {
        expect(got?.mpReach?.nextHops).toEqual(r.ipv6NextHops);
        const { mpReach: _m, ...rest } = got ?? {};
        expect(rest).toEqual(r.attributes);
      }
    }
  });

  it("only differences are sent: new, changed (re-announced, not withdrawn) and removed prefixes", () => {
    const before = buildRib(
      [{ prefix: v4(1) }, { prefix: v4(2) }, { prefix: v6(1) }, { prefix: v6(2) }],
      ebgp,
    ).rib;
    const after = buildRib(
      [
        { prefix: v4(1) },
        { prefix: v4(2), communities: [7] },
        { prefix: v4(3) },
        { prefix: v6(2) },
      ],
      ebgp,
    ).rib;
    const diff = diffRib(before, after);
    expect(diff.withdraw).toEqual([v6(1)]);
    expect(diff.announce.map((r) => r.prefix).sort()).toEqual([v4(2), v4(3)].sort());
    expect(diffRib(after, after)).toEqual({ announce: [], withdraw: [] });
    const held = apply(
      packDiff(diff, { fourOctetAs: true }),
      apply(packDiff(fullTable(before), { fourOctetAs: true })),
    );
    expect([...held.keys()].sort()).toEqual([...after.keys()].sort());
    expect(held.get(v4(2))?.communities).toEqual([7]);
  });

  it("property: applying diff(old, new) to a peer holding old gives exactly new", () => {
    const routeArb = fc.record({
      prefix: fc.oneof(fc.nat({ max: 400 }).map(v4), fc.nat({ max: 400 }).map(v6)),
      communities: fc.array(fc.nat({ max: 3 }), { maxLength: 2 }),
    });
    fc.assert(
      fc.property(fc.array(routeArb), fc.array(routeArb), fc.boolean(), (a, b, internal) => {
        const view = internal ? ibgp : ebgp;
        const old = buildRib(a, view).rib;
        const next = buildRib(b, view).rib;
        const opts = { fourOctetAs: true };
        const held = apply(
          packDiff(diffRib(old, next), opts),
          apply(packDiff(fullTable(old), opts)),
        );
        expect([...held.keys()].sort()).toEqual([...next.keys()].sort());
        for (const r of next.values())
          expect(held.get(r.prefix)?.communities).toEqual(r.attributes.communities);
      }),
      { numRuns: 200 },
    );
  });

  it("10,000 withdrawals pack into few messages", () => {
    const rib = buildRib(
      Array.from({ length: 10_000 }, (_, i) => ({ prefix: i % 2 === 0 ? v4(i) : v6(i) })),
      ebgp,
    ).rib;
    const messages = packDiff(diffRib(rib, new Map()), { fourOctetAs: true });
    // 5,000 × 5 octets (/32) + 5,000 × 17 octets (/128): full messages but for the last of each family.
    expect(messages.length).toBeLessThanOrEqual(Math.ceil((5000 * 5 + 5000 * 17) / 4000) + 2);
    const held = apply(messages, apply(packDiff(fullTable(rib), { fourOctetAs: true })));
    expect(held.size).toBe(0);
  });

  it("End-of-RIB per family (RFC 4724 §2)", () => {
    const markers = endOfRibMarkers(families);
    expect(
      markers.map((m) => {
        const d = decodeMessage(m, { fourOctetAs: true });
        return d.ok && d.message.type === "update" ? endOfRibFamily(d.message) : undefined;
      }),
    ).toEqual(families);
  });
});
