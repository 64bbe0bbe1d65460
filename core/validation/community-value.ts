// BGP community text as MetalLB accepts it: "A:B" (RFC 1997, 16 bits each),
// "large:A:B:C" (RFC 8092, 32 bits each), or a well-known name.
export type CommunityValue =
  | { readonly kind: "standard"; readonly value: number }
  | {
      readonly kind: "large";
      readonly global: number;
      readonly local1: number;
      readonly local2: number;
    };

/** Well-known communities (RFC 1997 §Well-known, RFC 3765, RFC 7999, RFC 8326, RFC 7611). */
export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, number>> = {
  "no-export": 0xffffff01,
  "no-advertise": 0xffffff02,
  "no-export-subconfed": 0xffffff03,
  "local-as": 0xffffff03,
  "no-peer": 0xffffff04,
  blackhole: 0xffff029a,
  "graceful-shutdown": 0xffff0000,
  "accept-own": 0xffff0001,
};

export type CommunityParse =
  | { readonly ok: true; readonly value: CommunityValue }
  /** Not shaped like a value: MetalLB reads it as an alias name. */
  | { readonly ok: false; readonly kind: "not-a-value" }
  | { readonly ok: false; readonly kind: "invalid"; readonly reason: string };

const DIGITS = /^\d+$/;

function uint(text: string, bits: 16 | 32): number | undefined {
  if (!DIGITS.test(text)) return undefined;
  const n = Number(text);
  return n <= 2 ** bits - 1 ? n : undefined;
}

export function parseCommunity(text: string): CommunityParse {
  const wellKnown = Object.hasOwn(WELL_KNOWN_COMMUNITIES, text)
    ? WELL_KNOWN_COMMUNITIES[text]
    : undefined;
  if (wellKnown !== undefined) return { ok: true, value: { kind: "standard", value: wellKnown } };
  const parts = text.split(":");
  if (parts.length === 2) return parseStandard(text, parts);
  if (parts.length === 4) return parseLarge(text, parts);
  return { ok: false, kind: "not-a-value" };
}

/** "A:B", already split in two. */
function parseStandard(text: string, parts: readonly string[]): CommunityParse {
  const [high, low] = parts.map((p) => uint(p, 16));
  if (high === undefined || low === undefined) {
    return {
      ok: false,
      kind: "invalid",
      reason: `invalid community value "${text}": each part must be a number from 0 to 65535`,
    };
  }
  return { ok: true, value: { kind: "standard", value: high * 0x10000 + low } };
}

/** "large:A:B:C", already split in four. */
function parseLarge(text: string, parts: readonly string[]): CommunityParse {
  if (parts[0] !== "large") {
    return {
      ok: false,
      kind: "invalid",
      reason: `invalid community format "${text}": a large community is written large:A:B:C`,
    };
  }
  const [g, l1, l2] = parts.slice(1).map((p) => uint(p, 32));
  if (g === undefined || l1 === undefined || l2 === undefined) {
    return {
      ok: false,
      kind: "invalid",
      reason: `invalid large community value "${text}": each part must be a number from 0 to 4294967295`,
    };
  }
  return { ok: true, value: { kind: "large", global: g, local1: l1, local2: l2 } };
}
