// RFC 4271 §4.3 UPDATE: IPv4 withdrawn routes and NLRI in the classic fields,
// everything else in path attributes (IPv6 through MP_(UN)REACH_NLRI, RFC 4760).

import {
  decodePrefixes,
  encodePrefix,
  parsePrefix,
  prefixWireSize,
  type Prefix,
} from "./address.ts";
import {
  decodeAttributes,
  encodeAttributes,
  formatPrefixOf,
  type AttributeOptions,
  type PathAttributes,
} from "./attributes.ts";
import { ByteReader, ByteWriter, concatBytes } from "./bytes.ts";
import {
  Afi,
  AttrType,
  ErrorCode,
  HEADER_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  Safi,
  UpdateError,
} from "./constants.ts";
import { frameMessage } from "./header.ts";
import { fail } from "./notification-error.ts";

export interface UpdateMessage {
  readonly type: "update";
  /** IPv4 prefixes ("10.0.0.0/24") in the Withdrawn Routes field. */
  readonly withdrawn: readonly string[];
  readonly attributes: PathAttributes;
  /** IPv4 prefixes in the NLRI field. */
  readonly nlri: readonly string[];
}

function ipv4Prefixes(texts: readonly string[]): Uint8Array {
  return concatBytes(
    texts.map((t) => {
      const p = parsePrefix(t);
      if (p.family !== 4) throw new RangeError(`${t}: IPv6 prefixes travel in MP_(UN)REACH_NLRI`);
      return encodePrefix(p);
    }),
  );
}

/** Encodes one UPDATE; RangeError if it would exceed 4096 octets or a field is out of range. */
export function encodeUpdate(
  update: Omit<UpdateMessage, "type">,
  opts: AttributeOptions,
): Uint8Array {
  const withdrawn = ipv4Prefixes(update.withdrawn);
  const attrs = encodeAttributes(update.attributes, opts);
  const w = new ByteWriter()
    .u16(withdrawn.length, "withdrawn routes length")
    .bytes(withdrawn)
    .u16(attrs.length, "path attributes length")
    .bytes(attrs)
    .bytes(ipv4Prefixes(update.nlri));
  return frameMessage(MessageType.update, w.finish());
}

function checkMandatory(attrs: PathAttributes, hasNlri: boolean): void {
  const reach = hasNlri || attrs.mpReach !== undefined;
  if (!reach) return;
  const missing = (type: number): never =>
    fail(ErrorCode.updateMessage, UpdateError.missingWellKnownAttribute, Uint8Array.of(type));
  if (attrs.origin === undefined) missing(AttrType.origin);
  if (attrs.asPath === undefined) missing(AttrType.asPath);
  if (hasNlri && attrs.nextHop === undefined) missing(AttrType.nextHop);
}

function v4Field(data: Uint8Array): string[] {
  const prefixes = decodePrefixes(data, 4);
  if (prefixes === undefined) fail(ErrorCode.updateMessage, UpdateError.invalidNetworkField);
  return prefixes.map(formatPrefixOf);
}

/** Decodes an UPDATE body per §6.3 (3/1 length mismatch, 3/10 bad prefix, 3/3 missing ORIGIN/AS_PATH/NEXT_HOP, …). */
export function decodeUpdateBody(body: Uint8Array, opts: AttributeOptions): UpdateMessage {
  const r = new ByteReader(body);
  const withdrawnLength = r.u16();
  if (!r.has(withdrawnLength + 2))
    fail(ErrorCode.updateMessage, UpdateError.malformedAttributeList);
  const withdrawn = v4Field(r.take(withdrawnLength));
  const attrLength = r.u16();
  if (!r.has(attrLength)) fail(ErrorCode.updateMessage, UpdateError.malformedAttributeList);
  const attributes = decodeAttributes(r.take(attrLength), opts);
  const nlri = v4Field(r.take(r.remaining));
  checkMandatory(attributes, nlri.length > 0);
  return { type: "update", withdrawn, attributes, nlri };
}

/** RFC 4724 §2 End-of-RIB: empty UPDATE for IPv4, empty MP_UNREACH_NLRI otherwise. */
export function encodeEndOfRib(afi: number, safi: number = Safi.unicast): Uint8Array {
  if (afi === Afi.ipv4 && safi === Safi.unicast) {
    return encodeUpdate({ withdrawn: [], attributes: {}, nlri: [] }, { fourOctetAs: true });
  }
  return encodeUpdate(
    { withdrawn: [], attributes: { mpUnreach: { afi, safi, withdrawn: [] } }, nlri: [] },
    { fourOctetAs: true },
  );
}

/** The family whose End-of-RIB this UPDATE is, or undefined. */
export function endOfRibFamily(update: UpdateMessage): { afi: number; safi: number } | undefined {
  const a = update.attributes;
  const keys = Object.keys(a).filter((k) => a[k as keyof PathAttributes] !== undefined);
  if (update.withdrawn.length > 0 || update.nlri.length > 0) return undefined;
  if (keys.length === 0) return { afi: Afi.ipv4, safi: Safi.unicast };
  if (keys.length === 1 && a.mpUnreach !== undefined && a.mpUnreach.withdrawn.length === 0) {
    return { afi: a.mpUnreach.afi, safi: a.mpUnreach.safi };
  }
  return undefined;
}

// ---- packing many prefixes into few UPDATEs ----

/** Attributes shared by every announced prefix; NLRI and MP_REACH are filled by the packer. */
export interface Announcement {
  /** ORIGIN, AS_PATH, LOCAL_PREF, MED, communities…; NEXT_HOP is required for IPv4 prefixes. */
  readonly attributes: Omit<PathAttributes, "mpReach" | "mpUnreach">;
  /** IPv6 next hops (global, optionally link-local) for IPv6 prefixes. */
  readonly ipv6NextHops?: readonly string[];
  readonly prefixes: readonly string[];
}

const UPDATE_FIXED = HEADER_LENGTH + 2 + 2;

/** Greedy first-fit of prefixes into chunks whose size never exceeds `budget`. */
function chunk(
  prefixes: readonly Prefix[],
  budget: number,
  cost: (used: number, p: Prefix) => number,
): Prefix[][] {
  const chunks: Prefix[][] = [];
  let current: Prefix[] = [];
  let used = 0;
  for (const p of prefixes) {
    if (cost(used, p) > budget && current.length > 0) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    if (cost(used, p) > budget)
      throw new RangeError("attributes leave no room for a prefix in 4096 octets");
    used += prefixWireSize(p);
    current.push(p);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function split(prefixes: readonly string[]): { v4: Prefix[]; v6: Prefix[] } {
  const parsed = prefixes.map(parsePrefix);
  return { v4: parsed.filter((p) => p.family === 4), v6: parsed.filter((p) => p.family === 6) };
}

/** MP attribute size for a value of `valueLength` octets (3-octet header, 4 when extended). */
function attrSize(valueLength: number): number {
  return valueLength + (valueLength > 255 ? 4 : 3);
}

/**
 * Packs the announcement into as few UPDATEs as fit in 4096 octets each:
 * IPv4 prefixes in the NLRI field, IPv6 prefixes in MP_REACH_NLRI.
 */
export function packAnnouncements(a: Announcement, opts: AttributeOptions): Uint8Array[] {
  const { v4, v6 } = split(a.prefixes);
  const out: Uint8Array[] = [];
  const base = encodeAttributes(a.attributes, opts).length;
  for (const group of chunk(
    v4,
    MAX_MESSAGE_LENGTH - UPDATE_FIXED - base,
    (used, p) => used + prefixWireSize(p),
  )) {
    out.push(
      encodeUpdate(
        { withdrawn: [], attributes: a.attributes, nlri: group.map(formatPrefixOf) },
        opts,
      ),
    );
  }
  if (v6.length === 0) return out;
  const nextHops = a.ipv6NextHops ?? [];
  const { nextHop: _v4NextHop, ...v6Attrs } = a.attributes;
  const v6Base = encodeAttributes(v6Attrs, opts).length;
  const mpFixed = 5 + 16 * nextHops.length;
  const budget = MAX_MESSAGE_LENGTH - UPDATE_FIXED - v6Base;
  for (const group of chunk(v6, budget, (used, p) =>
    attrSize(mpFixed + used + prefixWireSize(p)),
  )) {
    const mpReach = {
      afi: Afi.ipv6,
      safi: Safi.unicast,
      nextHops,
      nlri: group.map(formatPrefixOf),
    };
    out.push(encodeUpdate({ withdrawn: [], attributes: { ...v6Attrs, mpReach }, nlri: [] }, opts));
  }
  return out;
}

/** Packs withdrawals: IPv4 in Withdrawn Routes, IPv6 in MP_UNREACH_NLRI. */
export function packWithdrawals(prefixes: readonly string[]): Uint8Array[] {
  const { v4, v6 } = split(prefixes);
  const opts = { fourOctetAs: true };
  const out: Uint8Array[] = [];
  for (const group of chunk(
    v4,
    MAX_MESSAGE_LENGTH - UPDATE_FIXED,
    (used, p) => used + prefixWireSize(p),
  )) {
    out.push(
      encodeUpdate({ withdrawn: group.map(formatPrefixOf), attributes: {}, nlri: [] }, opts),
    );
  }
  const budget = MAX_MESSAGE_LENGTH - UPDATE_FIXED;
  for (const group of chunk(v6, budget, (used, p) => attrSize(3 + used + prefixWireSize(p)))) {
    const mpUnreach = { afi: Afi.ipv6, safi: Safi.unicast, withdrawn: group.map(formatPrefixOf) };
    out.push(encodeUpdate({ withdrawn: [], attributes: { mpUnreach }, nlri: [] }, opts));
  }
  return out;
}
