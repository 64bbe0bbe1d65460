// fast-check generators for every BGP message this codec speaks (test-only).
import fc from "fast-check";
import { decodePrefixes, formatIPv4, formatIPv6, type Family } from "./address.ts";
import { formatPrefixOf, type PathAttributes } from "./attributes.ts";
import type { Capability } from "./capabilities.ts";
import type { RouteRefreshMessage } from "./messages.ts";
import type { NotificationMessage } from "./notification.ts";
import type { OpenMessage } from "./open.ts";
import type { UpdateMessage } from "./update.ts";

export function prefixArb(family: Family): fc.Arbitrary<string> {
  const width = family === 4 ? 4 : 16;
  return fc
    .tuple(
      fc.uint8Array({ minLength: width, maxLength: width }),
      fc.integer({ min: 0, max: width * 8 }),
    )
    .map(([addr, len]) => {
      const wire = Uint8Array.of(len, ...addr.subarray(0, Math.ceil(len / 8)));
      const [p] = decodePrefixes(wire, family) ?? [];
      if (p === undefined) throw new Error("unreachable");
      return formatPrefixOf(p);
    });
}

export const ipv4Arb: fc.Arbitrary<string> = fc
  .uint8Array({ minLength: 4, maxLength: 4 })
  .map(formatIPv4);
export const unicastIPv4Arb: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 223 }), fc.uint8Array({ minLength: 3, maxLength: 3 }))
  .map(([a, rest]) => formatIPv4(Uint8Array.of(a, ...rest)));
export const ipv6Arb: fc.Arbitrary<string> = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map(formatIPv6);

const u32 = fc.nat({ max: 0xffff_ffff });

export function attributesArb(fourOctetAs: boolean): fc.Arbitrary<PathAttributes> {
  const asn = fourOctetAs ? u32 : fc.nat({ max: 0xffff });
  return fc.record(
    {
      origin: fc.constantFrom(0, 1, 2),
      asPath: fc.array(
        fc.record({
          type: fc.constantFrom(1, 2),
          asns: fc.array(asn, { minLength: 1, maxLength: 8 }),
        }),
        { maxLength: 3 },
      ),
      nextHop: unicastIPv4Arb,
      multiExitDisc: u32,
      localPref: u32,
      communities: fc.array(u32, { minLength: 1, maxLength: 10 }),
      largeCommunities: fc.array(
        fc.record({ globalAdmin: u32, localData1: u32, localData2: u32 }),
        {
          minLength: 1,
          maxLength: 5,
        },
      ),
      mpReach: fc.record({
        afi: fc.constant(2),
        safi: fc.constant(1),
        nextHops: fc.array(ipv6Arb, { minLength: 1, maxLength: 2 }),
        nlri: fc.array(prefixArb(6), { maxLength: 10 }),
      }),
      mpUnreach: fc.record({
        afi: fc.constant(2),
        safi: fc.constant(1),
        withdrawn: fc.array(prefixArb(6), { maxLength: 10 }),
      }),
      other: fc
        .uniqueArray(
          fc.record({
            flags: fc.constantFrom(0x80, 0xc0, 0xe0),
            type: fc.integer({ min: 100, max: 250 }),
            value: fc.uint8Array({ maxLength: 300 }),
          }),
          { minLength: 1, maxLength: 3, selector: (a) => a.type },
        )
        .map((raws) => raws.sort((a, b) => a.type - b.type)), // the encoder emits ascending type order
    },
    { requiredKeys: [] },
  );
}

export function updateArb(fourOctetAs: boolean): fc.Arbitrary<UpdateMessage> {
  return fc
    .record({
      withdrawn: fc.array(prefixArb(4), { maxLength: 20 }),
      attributes: attributesArb(fourOctetAs),
      nlri: fc.array(prefixArb(4), { maxLength: 20 }),
    })
    .map((u) => {
      const needsPath = u.nlri.length > 0 || u.attributes.mpReach !== undefined;
      const attributes = needsPath
        ? { origin: 0 as const, asPath: [], ...u.attributes }
        : u.attributes;
      const withNextHop = u.nlri.length > 0 ? { nextHop: "192.0.2.1", ...attributes } : attributes;
      return { type: "update", withdrawn: u.withdrawn, attributes: withNextHop, nlri: u.nlri };
    });
}

const capabilityArb: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({
    kind: fc.constant("multiprotocol"),
    afi: fc.nat({ max: 0xffff }),
    safi: fc.nat({ max: 255 }),
  }),
  fc.constant({ kind: "routeRefresh" } as const),
  fc.record({
    kind: fc.constant("gracefulRestart"),
    flags: fc.nat({ max: 15 }),
    restartTime: fc.nat({ max: 4095 }),
    families: fc.array(
      fc.record({
        afi: fc.nat({ max: 0xffff }),
        safi: fc.nat({ max: 255 }),
        forwardingState: fc.boolean(),
      }),
      { maxLength: 4 },
    ),
  }),
  fc.record({
    kind: fc.constant("unknown"),
    code: fc.integer({ min: 3, max: 63 }),
    value: fc.uint8Array({ maxLength: 20 }),
  }),
);

export const openArb: fc.Arbitrary<OpenMessage> = fc
  .record({
    asn: u32,
    holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
    bgpId: ipv4Arb.filter((id) => id !== "0.0.0.0"),
    capabilities: fc.array(capabilityArb, { maxLength: 12 }),
    withFour: fc.boolean(),
  })
  .map(({ withFour, ...o }) => {
    const four = withFour || o.asn > 0xffff;
    const capabilities = four
      ? [{ kind: "fourOctetAs", asn: o.asn } as const, ...o.capabilities]
      : o.capabilities;
    return { type: "open", ...o, capabilities };
  });

export const notificationArb: fc.Arbitrary<NotificationMessage> = fc.record({
  type: fc.constant("notification"),
  code: fc.nat({ max: 255 }),
  subcode: fc.nat({ max: 255 }),
  data: fc.uint8Array({ maxLength: 100 }),
});

export const routeRefreshArb: fc.Arbitrary<RouteRefreshMessage> = fc.record({
  type: fc.constant("routeRefresh"),
  afi: fc.nat({ max: 0xffff }),
  safi: fc.nat({ max: 255 }),
  subtype: fc.nat({ max: 255 }),
});
