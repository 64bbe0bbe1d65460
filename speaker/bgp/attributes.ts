// RFC 4271 §4.3/§5 path attributes plus COMMUNITIES (RFC 1997), LARGE_COMMUNITIES
// (RFC 8092) and MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760 §3, §4).

import {
  decodePrefixes,
  encodePrefix,
  formatIPv4,
  formatIPv6,
  parseIPv4,
  parseIPv6,
  parsePrefix,
  type Family,
} from "./address.ts";
import { ByteReader, ByteWriter, concatBytes } from "./bytes.ts";
import {
  Afi,
  AttrFlag,
  AttrType,
  ErrorCode,
  MAX_ASN,
  Safi,
  UpdateError,
  type AsPathSegmentTypeCode,
  type OriginCode,
} from "./constants.ts";
import { fail } from "./notification-error.ts";

export interface AsPathSegment {
  /** 1 AS_SET, 2 AS_SEQUENCE (3/4 are the RFC 5065 confederation types). */
  readonly type: AsPathSegmentTypeCode | 3 | 4;
  readonly asns: readonly number[];
}

export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly localData1: number;
  readonly localData2: number;
}

/** MP_REACH_NLRI for AFI 1 or 2, SAFI 1 (unicast). */
export interface MpReach {
  readonly afi: number;
  readonly safi: number;
  /** One next hop, or for IPv6 global + link-local (32-octet form). */
  readonly nextHops: readonly string[];
  readonly nlri: readonly string[];
}

export interface MpUnreach {
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly string[];
}

/** Any attribute this codec does not interpret, kept as received (flags without the extended-length bit). */
export interface RawAttribute {
  readonly flags: number;
  readonly type: number;
  readonly value: Uint8Array;
}

export interface PathAttributes {
  readonly origin?: OriginCode;
  readonly asPath?: readonly AsPathSegment[];
  readonly nextHop?: string;
  readonly multiExitDisc?: number;
  readonly localPref?: number;
  /** RFC 1997 communities as 32-bit values (high 16 bits = ASN). */
  readonly communities?: readonly number[];
  readonly largeCommunities?: readonly LargeCommunity[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  readonly other?: readonly RawAttribute[];
}

export interface AttributeOptions {
  /** RFC 6793: both sides advertised the 4-octet AS capability. */
  readonly fourOctetAs: boolean;
}

const WELL_KNOWN = AttrFlag.transitive;
const OPTIONAL_NON_TRANSITIVE = AttrFlag.optional;
const OPTIONAL_TRANSITIVE = AttrFlag.optional | AttrFlag.transitive;

export function encodeAttribute(flags: number, type: number, value: Uint8Array): Uint8Array {
  if (value.length > 0xffff)
    throw new RangeError(`attribute ${type} value of ${value.length} octets`);
  const extended = value.length > 255;
  const w = new ByteWriter().u8(
    (flags & ~AttrFlag.extendedLength) | (extended ? AttrFlag.extendedLength : 0),
  );
  w.u8(type, "attribute type");
  if (extended) w.u16(value.length);
  else w.u8(value.length);
  return w.bytes(value).finish();
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} ${value} out of range 0..${max}`);
  }
}

function asPathValue(segments: readonly AsPathSegment[], fourOctetAs: boolean): Uint8Array {
  const w = new ByteWriter();
  for (const seg of segments) {
    if (seg.asns.length === 0 || seg.asns.length > 255) {
      throw new RangeError(`AS_PATH segment of ${seg.asns.length} ASNs (1..255)`);
    }
    w.u8(seg.type, "segment type").u8(seg.asns.length);
    for (const asn of seg.asns) {
      checkUint(asn, fourOctetAs ? MAX_ASN : 0xffff, "AS_PATH ASN");
      if (fourOctetAs) w.u32(asn);
      else w.u16(asn);
    }
  }
  return w.finish();
}

function u32Value(value: number, what: string): Uint8Array {
  return new ByteWriter().u32(value, what).finish();
}

function communitiesValue(communities: readonly number[]): Uint8Array {
  const w = new ByteWriter();
  for (const c of communities) w.u32(c, "community");
  return w.finish();
}

function largeCommunitiesValue(communities: readonly LargeCommunity[]): Uint8Array {
  const w = new ByteWriter();
  for (const c of communities) {
    w.u32(c.globalAdmin, "large community global admin");
    w.u32(c.localData1, "large community local data 1");
    w.u32(c.localData2, "large community local data 2");
  }
  return w.finish();
}

function familyOf(afi: number): Family {
  if (afi === Afi.ipv4) return 4;
  if (afi === Afi.ipv6) return 6;
  throw new RangeError(`unsupported AFI ${afi}`);
}

function prefixesValue(prefixes: readonly string[], family: Family): Uint8Array {
  return concatBytes(
    prefixes.map((text) => {
      const p = parsePrefix(text);
      if (p.family !== family) throw new RangeError(`prefix ${text} is not IPv${family}`);
      return encodePrefix(p);
    }),
  );
}

export function mpReachValue(mp: MpReach): Uint8Array {
  const family = familyOf(mp.afi);
  const parse = family === 4 ? parseIPv4 : parseIPv6;
  const maxHops = family === 6 ? 2 : 1;
  if (mp.nextHops.length < 1 || mp.nextHops.length > maxHops) {
    throw new RangeError(`MP_REACH_NLRI needs 1..${maxHops} next hops`);
  }
  const nh = concatBytes(mp.nextHops.map(parse));
  return new ByteWriter()
    .u16(mp.afi)
    .u8(mp.safi, "SAFI")
    .u8(nh.length)
    .bytes(nh)
    .u8(0)
    .bytes(prefixesValue(mp.nlri, family))
    .finish();
}

export function mpUnreachValue(mp: MpUnreach): Uint8Array {
  return new ByteWriter()
    .u16(mp.afi)
    .u8(mp.safi, "SAFI")
    .bytes(prefixesValue(mp.withdrawn, familyOf(mp.afi)))
    .finish();
}

/** Encodes every present attribute in ascending type order. */
export function encodeAttributes(attrs: PathAttributes, opts: AttributeOptions): Uint8Array {
  const out: [number, Uint8Array][] = [];
  const add = (flags: number, type: number, value: Uint8Array): void => {
    out.push([type, encodeAttribute(flags, type, value)]);
  };
  if (attrs.origin !== undefined)
    add(WELL_KNOWN, AttrType.origin, new ByteWriter().u8(attrs.origin).finish());
  if (attrs.asPath !== undefined)
    add(WELL_KNOWN, AttrType.asPath, asPathValue(attrs.asPath, opts.fourOctetAs));
  if (attrs.nextHop !== undefined) add(WELL_KNOWN, AttrType.nextHop, parseIPv4(attrs.nextHop));
  if (attrs.multiExitDisc !== undefined) {
    add(OPTIONAL_NON_TRANSITIVE, AttrType.multiExitDisc, u32Value(attrs.multiExitDisc, "MED"));
  }
  if (attrs.localPref !== undefined)
    add(WELL_KNOWN, AttrType.localPref, u32Value(attrs.localPref, "LOCAL_PREF"));
  addOptional(attrs, add);
  out.sort((a, b) => a[0] - b[0]);
  return concatBytes(out.map(([, bytes]) => bytes));
}

function addOptional(
  attrs: PathAttributes,
  add: (flags: number, type: number, value: Uint8Array) => void,
): void {
  if (attrs.communities !== undefined && attrs.communities.length > 0) {
    add(OPTIONAL_TRANSITIVE, AttrType.communities, communitiesValue(attrs.communities));
  }
  if (attrs.largeCommunities !== undefined && attrs.largeCommunities.length > 0) {
    add(
      OPTIONAL_TRANSITIVE,
      AttrType.largeCommunities,
      largeCommunitiesValue(attrs.largeCommunities),
    );
  }
  if (attrs.mpReach !== undefined)
    add(OPTIONAL_NON_TRANSITIVE, AttrType.mpReachNlri, mpReachValue(attrs.mpReach));
  if (attrs.mpUnreach !== undefined) {
    add(OPTIONAL_NON_TRANSITIVE, AttrType.mpUnreachNlri, mpUnreachValue(attrs.mpUnreach));
  }
  for (const raw of attrs.other ?? []) {
    if (Object.values(AttrType).includes(raw.type as never)) {
      throw new RangeError(`raw attribute uses known type ${raw.type}`);
    }
    add(raw.flags, raw.type, raw.value);
  }
}

// ---- decoding ----

interface RawSlice {
  readonly flags: number;
  readonly type: number;
  readonly value: Uint8Array;
  /** The whole attribute (flags, type, length, value): NOTIFICATION data. */
  readonly whole: Uint8Array;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Decoder = (a: RawSlice, into: Mutable<PathAttributes>, opts: AttributeOptions) => void;

function updateFail(subcode: number, data?: Uint8Array): never {
  return fail(ErrorCode.updateMessage, subcode, data);
}

function needLength(a: RawSlice, length: number): void {
  if (a.value.length !== length) updateFail(UpdateError.attributeLengthError, a.whole);
}

function decodeAsPath(a: RawSlice, opts: AttributeOptions): AsPathSegment[] {
  const width = opts.fourOctetAs ? 4 : 2;
  const r = new ByteReader(a.value);
  const segments: AsPathSegment[] = [];
  while (r.remaining > 0) {
    if (!r.has(2)) updateFail(UpdateError.malformedAsPath);
    const type = r.u8();
    const count = r.u8();
    if (type < 1 || type > 4 || count === 0 || !r.has(count * width))
      updateFail(UpdateError.malformedAsPath);
    const asns: number[] = [];
    for (let i = 0; i < count; i++) asns.push(width === 4 ? r.u32() : r.u16());
    segments.push({ type: type as AsPathSegment["type"], asns });
  }
  return segments;
}

function decodeNextHop(a: RawSlice): string {
  needLength(a, 4);
  const first = a.value[0] ?? 0;
  const allZero = a.value.every((b) => b === 0);
  if (allZero || first >= 224) updateFail(UpdateError.invalidNextHopAttribute, a.whole);
  return formatIPv4(a.value);
}

function readU32s(a: RawSlice, multiple: number): number[] {
  if (a.value.length % multiple !== 0) updateFail(UpdateError.optionalAttributeError, a.whole);
  const r = new ByteReader(a.value);
  const out: number[] = [];
  while (r.remaining > 0) out.push(r.u32());
  return out;
}

function decodeLargeCommunities(a: RawSlice): LargeCommunity[] {
  const words = readU32s(a, 12);
  const out: LargeCommunity[] = [];
  for (let i = 0; i < words.length; i += 3) {
    out.push({
      globalAdmin: words[i] ?? 0,
      localData1: words[i + 1] ?? 0,
      localData2: words[i + 2] ?? 0,
    });
  }
  return out;
}

function supportedFamily(afi: number, safi: number): Family | undefined {
  if (safi !== Safi.unicast) return undefined;
  if (afi === Afi.ipv4) return 4;
  if (afi === Afi.ipv6) return 6;
  return undefined;
}

function mpPrefixes(a: RawSlice, data: Uint8Array, family: Family): string[] {
  const prefixes = decodePrefixes(data, family);
  if (prefixes === undefined) updateFail(UpdateError.optionalAttributeError, a.whole);
  return prefixes.map(formatPrefixOf);
}

function formatPrefixOf(p: { family: Family; address: Uint8Array; length: number }): string {
  const addr = p.family === 4 ? formatIPv4(p.address) : formatIPv6(p.address);
  return `${addr}/${p.length}`;
}

function nextHopsOf(a: RawSlice, nh: Uint8Array, family: Family): string[] {
  const width = family === 4 ? 4 : 16;
  const valid = nh.length === width || (family === 6 && nh.length === 32);
  if (!valid) updateFail(UpdateError.optionalAttributeError, a.whole);
  const format = family === 4 ? formatIPv4 : formatIPv6;
  const hops = [format(nh.subarray(0, width))];
  if (nh.length > width) hops.push(format(nh.subarray(width)));
  return hops;
}

/** Returns undefined for an AFI/SAFI this codec does not parse (kept raw by the caller). */
function decodeMpReach(a: RawSlice): MpReach | undefined {
  if (a.value.length < 5) updateFail(UpdateError.optionalAttributeError, a.whole);
  const r = new ByteReader(a.value);
  const afi = r.u16();
  const safi = r.u8();
  const family = supportedFamily(afi, safi);
  if (family === undefined) return undefined;
  const nhLength = r.u8();
  if (!r.has(nhLength + 1)) updateFail(UpdateError.optionalAttributeError, a.whole);
  const nextHops = nextHopsOf(a, r.take(nhLength), family);
  r.u8();
  return { afi, safi, nextHops, nlri: mpPrefixes(a, r.take(r.remaining), family) };
}

function decodeMpUnreach(a: RawSlice): MpUnreach | undefined {
  if (a.value.length < 3) updateFail(UpdateError.optionalAttributeError, a.whole);
  const r = new ByteReader(a.value);
  const afi = r.u16();
  const safi = r.u8();
  const family = supportedFamily(afi, safi);
  if (family === undefined) return undefined;
  return { afi, safi, withdrawn: mpPrefixes(a, r.take(r.remaining), family) };
}

function keepRaw(a: RawSlice, into: Mutable<PathAttributes>): void {
  into.other = [
    ...(into.other ?? []),
    { flags: a.flags & ~AttrFlag.extendedLength, type: a.type, value: a.value.slice() },
  ];
}

const DECODERS: Readonly<Record<number, { flags: number; partialOk: boolean; decode: Decoder }>> = {
  [AttrType.origin]: {
    flags: WELL_KNOWN,
    partialOk: false,
    decode: (a, into) => {
      needLength(a, 1);
      const v = a.value[0] ?? 0;
      if (v > 2) updateFail(UpdateError.invalidOriginAttribute, a.whole);
      into.origin = v as OriginCode;
    },
  },
  [AttrType.asPath]: {
    flags: WELL_KNOWN,
    partialOk: false,
    decode: (a, into, opts) => (into.asPath = decodeAsPath(a, opts)),
  },
  [AttrType.nextHop]: {
    flags: WELL_KNOWN,
    partialOk: false,
    decode: (a, into) => (into.nextHop = decodeNextHop(a)),
  },
  [AttrType.multiExitDisc]: {
    flags: OPTIONAL_NON_TRANSITIVE,
    partialOk: false,
    decode: (a, into) => {
      needLength(a, 4);
      into.multiExitDisc = new ByteReader(a.value).u32();
    },
  },
  [AttrType.localPref]: {
    flags: WELL_KNOWN,
    partialOk: false,
    decode: (a, into) => {
      needLength(a, 4);
      into.localPref = new ByteReader(a.value).u32();
    },
  },
  [AttrType.communities]: {
    flags: OPTIONAL_TRANSITIVE,
    partialOk: true,
    decode: (a, into) => (into.communities = readU32s(a, 4)),
  },
  [AttrType.largeCommunities]: {
    flags: OPTIONAL_TRANSITIVE,
    partialOk: true,
    decode: (a, into) => (into.largeCommunities = decodeLargeCommunities(a)),
  },
  [AttrType.mpReachNlri]: {
    flags: OPTIONAL_NON_TRANSITIVE,
    partialOk: false,
    decode: (a, into) => {
      const mp = decodeMpReach(a);
      if (mp === undefined) keepRaw(a, into);
      else into.mpReach = mp;
    },
  },
  [AttrType.mpUnreachNlri]: {
    flags: OPTIONAL_NON_TRANSITIVE,
    partialOk: false,
    decode: (a, into) => {
      const mp = decodeMpUnreach(a);
      if (mp === undefined) keepRaw(a, into);
      else into.mpUnreach = mp;
    },
  },
};

function readAttribute(r: ByteReader): RawSlice {
  if (!r.has(3)) updateFail(UpdateError.malformedAttributeList);
  const flags = r.u8();
  const type = r.u8();
  const extended = (flags & AttrFlag.extendedLength) !== 0;
  if (extended && !r.has(2)) updateFail(UpdateError.malformedAttributeList);
  const length = extended ? r.u16() : r.u8();
  if (!r.has(length)) updateFail(UpdateError.attributeLengthError);
  const value = r.take(length);
  const headerLength = extended ? 4 : 3;
  const whole = new Uint8Array(headerLength + length);
  whole.set([flags, type]);
  whole.set(extended ? [length >> 8, length & 0xff] : [length], 2);
  whole.set(value, headerLength);
  return { flags, type, value, whole };
}

function decodeOne(a: RawSlice, into: Mutable<PathAttributes>, opts: AttributeOptions): void {
  const known = DECODERS[a.type];
  if (known === undefined) {
    if ((a.flags & AttrFlag.optional) === 0)
      updateFail(UpdateError.unrecognizedWellKnownAttribute, a.whole);
    keepRaw(a, into);
    return;
  }
  const mask = known.partialOk ? AttrFlag.optional | AttrFlag.transitive : 0xe0;
  if ((a.flags & mask) !== known.flags) updateFail(UpdateError.attributeFlagsError, a.whole);
  known.decode(a, into, opts);
}

/** Decodes the Path Attributes field; each type at most once (else 3/1). */
export function decodeAttributes(data: Uint8Array, opts: AttributeOptions): PathAttributes {
  const r = new ByteReader(data);
  const into: Mutable<PathAttributes> = {};
  const seen = new Set<number>();
  while (r.remaining > 0) {
    const a = readAttribute(r);
    if (seen.has(a.type)) updateFail(UpdateError.malformedAttributeList);
    seen.add(a.type);
    decodeOne(a, into, opts);
  }
  return into;
}

export { formatPrefixOf };

/** RFC 1997 community "asn:value" as its 32-bit wire value; RangeError if a part exceeds 16 bits. */
export function community(asn: number, value: number): number {
  checkUint(asn, 0xffff, "community ASN part");
  checkUint(value, 0xffff, "community value part");
  return asn * 0x10000 + value;
}
