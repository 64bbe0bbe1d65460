// Round-trip properties for every message type, the splitter, and the packer.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIPv6, parseIPv6, parsePrefix, prefixWireSize } from "./address.ts";
import { decodeMessage, encodeKeepalive, encodeRouteRefresh, type BgpMessage } from "./messages.ts";
import { encodeNotification } from "./notification.ts";
import { encodeOpen } from "./open.ts";
import { MessageSplitter } from "./splitter.ts";
import {
  notificationArb,
  openArb,
  prefixArb,
  routeRefreshArb,
  unicastIPv4Arb,
  updateArb,
} from "./test-arbitraries.ts";
import {
  encodeUpdate,
  endOfRibFamily,
  encodeEndOfRib,
  packAnnouncements,
  packWithdrawals,
  type UpdateMessage,
} from "./update.ts";

function encodeAny(m: BgpMessage, fourOctetAs: boolean): Uint8Array {
  switch (m.type) {
    case "open":
      return encodeOpen(m);
    case "update":
      return encodeUpdate(m, { fourOctetAs });
    case "notification":
      return encodeNotification(m);
    case "keepalive":
      return encodeKeepalive();
    case "routeRefresh":
      return encodeRouteRefresh(m);
  }
}

const messageArb = (four: boolean): fc.Arbitrary<BgpMessage> =>
  fc.oneof(
    openArb,
    updateArb(four),
    notificationArb,
    routeRefreshArb,
    fc.constant({ type: "keepalive" } as const),
  );

describe("round trips", () => {
  it("IPv6 text is canonical (RFC 5952, as WHATWG URL prints it) and parses back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const text = formatIPv6(b);
        expect(parseIPv6(text)).toEqual(b);
        expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
      }),
    );
  });

  for (const four of [true, false]) {
    it(`every message type decodes to what was encoded (fourOctetAs=${four})`, () => {
      fc.assert(
        fc.property(messageArb(four), (m) => {
          const bytes = encodeAny(m, four);
          expect(bytes.length).toBeLessThanOrEqual(4096);
          expect(decodeMessage(bytes, { fourOctetAs: four })).toEqual({ ok: true, message: m });
        }),
        { numRuns: 500 },
      );
    });
  }

  it("the splitter reassembles messages from arbitrary chunking", () => {
    fc.assert(
      fc.property(
        fc.array(messageArb(true), { maxLength: 8 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 30 }),
        (ms, cuts) => {
          const stream = Buffer.concat(ms.map((m) => encodeAny(m, true)));
          const splitter = new MessageSplitter();
          const got: BgpMessage[] = [];
          let at = 0;
          for (const cut of [...cuts, stream.length]) {
            const end = Math.min(stream.length, at + cut);
            for (const f of splitter.push(stream.subarray(at, end))) {
              if (!f.ok) throw new Error("framing error on a valid stream");
              const d = decodeMessage(f.frame, { fourOctetAs: true });
              if (!d.ok) throw new Error("decode error on a valid stream");
              got.push(d.message);
            }
            at = end;
          }
          expect(got).toEqual(ms);
          expect(splitter.pending).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("End-of-RIB markers are recognised per family", () => {
    for (const afi of [1, 2]) {
      const d = decodeMessage(encodeEndOfRib(afi), { fourOctetAs: true });
      expect(d.ok && d.message.type === "update" ? endOfRibFamily(d.message) : undefined).toEqual({
        afi,
        safi: 1,
      });
    }
  });
});

function decodeUpdates(messages: readonly Uint8Array[]): UpdateMessage[] {
  return messages.map((m) => {
    const d = decodeMessage(m, { fourOctetAs: true });
    if (!d.ok || d.message.type !== "update") throw new Error("not an UPDATE");
    return d.message;
  });
}

describe("packing", () => {
  const attributes = {
    origin: 0,
    asPath: [{ type: 2, asns: [64512] }],
    nextHop: "10.0.0.1",
    communities: [1, 2, 3],
  } as const;
  const prefixes = fc.array(fc.oneof(prefixArb(4), prefixArb(6)), { maxLength: 1500 });

  it("announcements: every prefix once, in order, each message ≤ 4096, no message could take the next prefix", () => {
    fc.assert(
      fc.property(prefixes, unicastIPv4Arb, (ps, nh) => {
        const out = packAnnouncements(
          {
            attributes: { ...attributes, nextHop: nh },
            ipv6NextHops: ["2001:db8::1", "fe80::1"],
            prefixes: ps,
          },
          { fourOctetAs: true },
        );
        const updates = decodeUpdates(out);
        const v4 = updates.flatMap((u) => u.nlri);
        const v6 = updates.flatMap((u) => u.attributes.mpReach?.nlri ?? []);
        expect(v4).toEqual(ps.filter((p) => !p.includes(":")));
        expect(v6).toEqual(ps.filter((p) => p.includes(":")));
        out.forEach((m, i) => {
          expect(m.length).toBeLessThanOrEqual(4096);
          const next = out[i + 1];
          const nextUpdate = updates[i + 1];
          const first = nextUpdate?.nlri[0] ?? nextUpdate?.attributes.mpReach?.nlri[0];
          const sameFamily =
            first !== undefined &&
            (updates[i]?.nlri.length ?? 0) > 0 === (nextUpdate?.nlri.length ?? 0) > 0;
          if (next !== undefined && first !== undefined && sameFamily) {
            expect(m.length + prefixWireSize(parsePrefix(first))).toBeGreaterThan(
              4096 - (m.length > 255 ? 0 : 1),
            );
          }
        });
      }),
      { numRuns: 50 },
    );
  });

  it("withdrawals: every prefix once, each message ≤ 4096", () => {
    fc.assert(
      fc.property(prefixes, (ps) => {
        const out = packWithdrawals(ps);
        const updates = decodeUpdates(out);
        expect(updates.flatMap((u) => u.withdrawn)).toEqual(ps.filter((p) => !p.includes(":")));
        expect(updates.flatMap((u) => u.attributes.mpUnreach?.withdrawn ?? [])).toEqual(
          ps.filter((p) => p.includes(":")),
        );
        for (const m of out) expect(m.length).toBeLessThanOrEqual(4096);
      }),
      { numRuns: 50 },
    );
  });

  it("3000 host routes need exactly the minimum number of messages", () => {
    const v4 = Array.from({ length: 3000 }, (_, i) => `10.0.${i >> 8}.${i & 255}/32`);
    const out = packAnnouncements({ attributes, prefixes: v4 }, { fourOctetAs: true });
    const attrBytes = 4 + 9 + 7 + 15;
    const perMessage = Math.floor((4096 - 23 - attrBytes) / 5);
    expect(out.length).toBe(Math.ceil(3000 / perMessage));
    const v6 = Array.from({ length: 1000 }, (_, i) => `2001:db8::${i.toString(16)}/128`);
    const out6 = packAnnouncements(
      { attributes, ipv6NextHops: ["2001:db8::1"], prefixes: v6 },
      { fourOctetAs: true },
    );
    const mpFixed = 4 + 5 + 16;
    const perMessage6 = Math.floor((4096 - 23 - (attrBytes - 7) - mpFixed) / 17);
    expect(out6.length).toBe(Math.ceil(1000 / perMessage6));
  });
});
