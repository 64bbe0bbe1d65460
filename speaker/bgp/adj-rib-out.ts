// Adj-RIB-Out (RFC 4271 §3.2) for one peer, pure: the routes we want this
// peer to hold, turned into path attributes, compared with what it already
// holds. The session sends only the difference (no reset on route changes).

import { formatPrefix, parsePrefix, type Family } from "./address.ts";
import type { AfiSafi } from "./capabilities.ts";
import type { LargeCommunity, PathAttributes } from "./attributes.ts";
import { Afi, AS_TRANS, AsPathSegmentType, Origin, Safi } from "./constants.ts";
import { MetallbError } from "../../core/errors.ts";

/** One prefix the speaker wants announced, as MetalLB's BGPAdvertisement describes it. */
export interface AdvertisedRoute {
  /** "203.0.113.5/32" or "2001:db8::5/128"; host bits must be zero. */
  readonly prefix: string;
  /** LOCAL_PREF, sent to internal peers only (RFC 4271 §5.1.5); default 100 there. */
  readonly localPref?: number;
  /** RFC 1997 values (high 16 bits = ASN). */
  readonly communities?: readonly number[];
  readonly largeCommunities?: readonly LargeCommunity[];
}

/** What the session learned about the peer that decides the attributes. */
export interface PeerView {
  readonly localAsn: number;
  readonly peerAsn: number;
  /** Negotiated RFC 6793 4-octet AS. */
  readonly fourOctetAs: boolean;
  /** Negotiated families; prefixes of other families are not sent. */
  readonly families: readonly AfiSafi[];
  /** NEXT_HOP for IPv4 prefixes; IPv4 prefixes are skipped without one. */
  readonly ipv4NextHop?: string;
  /** MP_REACH next hops (global, optional link-local) for IPv6 prefixes; skipped without. */
  readonly ipv6NextHops?: readonly string[];
}

/** A prefix with its final attributes; `key` is equal for routes that may share an UPDATE. */
export interface OutRoute {
  readonly prefix: string;
  readonly family: Family;
  readonly attributes: Omit<PathAttributes, "mpReach" | "mpUnreach">;
  readonly ipv6NextHops?: readonly string[];
  readonly key: string;
}

export type Rib = ReadonlyMap<string, OutRoute>;

export interface BuiltRib {
  readonly rib: Rib;
  /** Prefixes not sent: family not negotiated or no next hop for it. */
  readonly skipped: readonly string[];
}

/** What FRR, BIRD and GoBGP assume when an internal route has none (RFC 4271 leaves it local). */
export const DEFAULT_LOCAL_PREF = 100;

const sortedUnique = (values: readonly number[]): number[] =>
  [...new Set(values)].sort((a, b) => a - b);

function sortedLarge(values: readonly LargeCommunity[]): LargeCommunity[] {
  const byKey = new Map(
    values.map((c) => [`${c.globalAdmin}:${c.localData1}:${c.localData2}`, c] as const),
  );
  return [...byKey.values()].sort(
    (a, b) =>
      a.globalAdmin - b.globalAdmin || a.localData1 - b.localData1 || a.localData2 - b.localData2,
  );
}

/**
 * Two routes for one prefix (two Services sharing an IP, two advertisements)
 * become one: communities are united, the highest LOCAL_PREF wins.
 */
function merge(a: AdvertisedRoute, b: AdvertisedRoute): AdvertisedRoute {
  const localPref =
    a.localPref === undefined
      ? b.localPref
      : b.localPref === undefined
        ? a.localPref
        : Math.max(a.localPref, b.localPref);
  return {
    prefix: a.prefix,
    ...(localPref === undefined ? {} : { localPref }),
    communities: [...(a.communities ?? []), ...(b.communities ?? [])],
    largeCommunities: [...(a.largeCommunities ?? []), ...(b.largeCommunities ?? [])],
  };
}

function canonicalPrefix(text: string): { prefix: string; family: Family } {
  try {
    const p = parsePrefix(text);
    return { prefix: formatPrefix(p), family: p.family };
  } catch (e: unknown) {
    throw new MetallbError("BGP_BAD_PREFIX", `route prefix ${JSON.stringify(text)} is invalid`, {
      cause: e,
    });
  }
}

/** AS_PATH per RFC 4271 §5.1.2: empty to internal peers, our AS to external ones. */
function asPath(view: PeerView): NonNullable<PathAttributes["asPath"]> {
  if (view.peerAsn === view.localAsn) return [];
  // RFC 6793 §4.2.2: a 2-octet session carries AS_TRANS for a 4-octet ASN
  // (AS4_PATH is not implemented; the peer sees AS_TRANS as origin AS).
  const asn = !view.fourOctetAs && view.localAsn > 0xffff ? AS_TRANS : view.localAsn;
  return [{ type: AsPathSegmentType.sequence, asns: [asn] }];
}

const hasFamily = (view: PeerView, family: Family): boolean =>
  view.families.some(
    (f) => f.afi === (family === 4 ? Afi.ipv4 : Afi.ipv6) && f.safi === Safi.unicast,
  );

function attributesFor(
  route: AdvertisedRoute,
  family: Family,
  view: PeerView,
): OutRoute["attributes"] {
  const internal = view.peerAsn === view.localAsn;
  const communities = sortedUnique(route.communities ?? []);
  const large = sortedLarge(route.largeCommunities ?? []);
  return {
    origin: Origin.igp,
    asPath: asPath(view),
    ...(family === 4 && view.ipv4NextHop !== undefined ? { nextHop: view.ipv4NextHop } : {}),
    // §5.1.5: LOCAL_PREF SHALL be in every UPDATE to an internal peer (FRR
    // treats its absence as an attribute error and drops the route).
    ...(internal ? { localPref: route.localPref ?? DEFAULT_LOCAL_PREF } : {}),
    ...(communities.length > 0 ? { communities } : {}),
    ...(large.length > 0 ? { largeCommunities: large } : {}),
  };
}

function nextHopMissing(family: Family, view: PeerView): boolean {
  if (family === 4) return view.ipv4NextHop === undefined;
  return view.ipv6NextHops === undefined || view.ipv6NextHops.length === 0;
}

/** The attributes each route gets on this peer, keyed by canonical prefix text. */
// Both caches are keyed by the route object: the planner hands out the same
// objects for Services that did not change (plan-memo.ts), so a new route
// table costs parsing and attribute building only for the routes that are new.
const prefixes = new WeakMap<AdvertisedRoute, { prefix: string; family: Family }>();
const outRoutes = new WeakMap<AdvertisedRoute, { view: PeerView; out: OutRoute }>();

function prefixOf(route: AdvertisedRoute): { prefix: string; family: Family } {
  let p = prefixes.get(route);
  if (p === undefined) {
    p = canonicalPrefix(route.prefix);
    prefixes.set(route, p);
  }
  return p;
}

function outRoute(
  route: AdvertisedRoute,
  prefix: string,
  family: Family,
  view: PeerView,
): OutRoute {
  const cached = outRoutes.get(route);
  if (cached?.view === view) return cached.out;
  const attributes = attributesFor(route, family, view);
  const ipv6NextHops = family === 6 ? view.ipv6NextHops : undefined;
  const key = JSON.stringify([family, attributes, ipv6NextHops ?? []]);
  const out = {
    prefix,
    family,
    attributes,
    ...(ipv6NextHops === undefined ? {} : { ipv6NextHops }),
    key,
  };
  outRoutes.set(route, { view, out });
  return out;
}

export function buildRib(routes: readonly AdvertisedRoute[], view: PeerView): BuiltRib {
  const merged = new Map<string, { route: AdvertisedRoute; family: Family }>();
  for (const route of routes) {
    const { prefix, family } = prefixOf(route);
    const had = merged.get(prefix);
    merged.set(prefix, { route: had === undefined ? route : merge(had.route, route), family });
  }
  const rib = new Map<string, OutRoute>();
  const skipped: string[] = [];
  for (const [prefix, { route, family }] of merged) {
    if (!hasFamily(view, family) || nextHopMissing(family, view)) skipped.push(prefix);
    else rib.set(prefix, outRoute(route, prefix, family, view));
  }
  return { rib, skipped };
}

export interface RibDiff {
  /** New prefixes and prefixes whose attributes changed (an announcement replaces, §3.1). */
  readonly announce: readonly OutRoute[];
  readonly withdraw: readonly string[];
}

export function diffRib(sent: Rib, desired: Rib): RibDiff {
  const announce = [...desired.values()].filter((r) => {
    const had = sent.get(r.prefix);
    return had !== r && had?.key !== r.key;
  });
  const withdraw = [...sent.keys()].filter((p) => !desired.has(p));
  return { announce, withdraw };
}

/** Everything in `rib` as announcements: the initial table and the answer to ROUTE-REFRESH. */
export function fullTable(rib: Rib): RibDiff {
  return { announce: [...rib.values()], withdraw: [] };
}
