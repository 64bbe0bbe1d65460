// L2Advertisement and BGPAdvertisement rules, including the per-pool checks
// MetalLB runs when an advertisement is attached to a pool (validateBGPAdvPerPool).
import type { BGPAdvertisementSpec } from "../api/bgp-advertisement.ts";
import type { L2AdvertisementSpec } from "../api/l2-advertisement.ts";
import type { KubeObject, LabelSelector } from "../api/schema-building-blocks.ts";
import { anySelectorMatches, selectorKey } from "../label-selector.ts";
import { formatCidr } from "../net/ip-blocks.ts";
import { parseCommunity } from "./community-value.ts";
import type { ParsedPool } from "./pool-rules.ts";
import { describeRef, refOf, type ObjectRef, type ProblemSink } from "./problem.ts";
import { checkNoDuplicates, checkSelectors } from "./selector-rules.ts";

interface PoolSelection {
  ipAddressPools?: string[] | undefined;
  ipAddressPoolSelectors?: LabelSelector[] | undefined;
}

/** Pools an advertisement applies to: by name, by label, or (neither given) all of them. */
export function selectedPools(spec: PoolSelection, pools: readonly ParsedPool[]): ParsedPool[] {
  const names = spec.ipAddressPools ?? [];
  const selectors = spec.ipAddressPoolSelectors ?? [];
  if (names.length === 0 && selectors.length === 0) return [...pools];
  return pools.filter(
    (p) =>
      names.includes(p.ref.name) ||
      (selectors.length > 0 && anySelectorMatches(selectors, p.pool.metadata.labels ?? {})),
  );
}

function checkPoolSelection(
  sink: ProblemSink,
  ref: ObjectRef,
  spec: PoolSelection & { nodeSelectors?: LabelSelector[] | undefined },
  pools: readonly ParsedPool[],
): void {
  checkNoDuplicates(sink, ref, "spec.ipAddressPools", spec.ipAddressPools);
  checkSelectors(sink, ref, "spec.ipAddressPoolSelectors", spec.ipAddressPoolSelectors);
  checkSelectors(sink, ref, "spec.nodeSelectors", spec.nodeSelectors);
  (spec.ipAddressPools ?? []).forEach((name, i) => {
    if (!pools.some((p) => p.ref.name === name)) {
      // MetalLB ignores unknown names silently; the pool may simply come later.
      sink.warning({
        object: ref,
        code: "POOL_REFERENCE_MISSING",
        field: `spec.ipAddressPools[${i}]`,
        message: `IPAddressPool "${name}" does not exist (yet); until it does, this entry announces nothing`,
      });
    }
  });
}

export function checkL2Advertisement(
  sink: ProblemSink,
  ad: KubeObject<L2AdvertisementSpec>,
  pools: readonly ParsedPool[],
): void {
  const ref = refOf(ad);
  const spec = ad.spec ?? {};
  checkPoolSelection(sink, ref, spec, pools);
  checkSelectors(sink, ref, "spec.serviceSelectors", spec.serviceSelectors);
}

export interface CommunityAliases {
  readonly has: (name: string) => boolean;
}

/** What a BGPAdvertisement may refer to: the rest of the configuration set. */
export interface BGPAdvertisementContext {
  readonly pools: readonly ParsedPool[];
  readonly peerNames: ReadonlySet<string>;
  readonly aliases: CommunityAliases;
}

export function checkBGPAdvertisement(
  sink: ProblemSink,
  ad: KubeObject<BGPAdvertisementSpec>,
  context: BGPAdvertisementContext,
): void {
  const ref = refOf(ad);
  const spec = ad.spec ?? {};
  checkPoolSelection(sink, ref, spec, context.pools);
  checkSelectors(sink, ref, "spec.serviceSelectors", spec.serviceSelectors);
  checkNoDuplicates(sink, ref, "spec.peers", spec.peers);
  checkNoDuplicates(sink, ref, "spec.communities", spec.communities);
  checkPeerReferences(sink, ref, spec.peers, context.peerNames);
  checkCommunityValues(sink, ref, spec.communities, context.aliases);
  checkAggregationRanges(sink, ref, spec);
  checkAggregationAgainstPools(sink, ref, spec, context.pools);
}

function checkPeerReferences(
  sink: ProblemSink,
  ref: ObjectRef,
  peers: readonly string[] | undefined,
  peerNames: ReadonlySet<string>,
): void {
  (peers ?? []).forEach((name, i) => {
    if (!peerNames.has(name)) {
      sink.warning({
        object: ref,
        code: "PEER_REFERENCE_MISSING",
        field: `spec.peers[${i}]`,
        message: `BGPPeer "${name}" does not exist (yet); until it does, no session hears these routes`,
      });
    }
  });
}

function checkCommunityValues(
  sink: ProblemSink,
  ref: ObjectRef,
  communities: readonly string[] | undefined,
  aliases: CommunityAliases,
): void {
  (communities ?? []).forEach((text, i) => {
    const field = `spec.communities[${i}]`;
    const parsed = parseCommunity(text);
    if (parsed.ok) return;
    if (parsed.kind === "invalid") {
      sink.error({ object: ref, code: "COMMUNITY_INVALID", field, message: parsed.reason });
    } else if (!aliases.has(text)) {
      sink.warning({
        object: ref,
        code: "COMMUNITY_ALIAS_UNKNOWN",
        field,
        message: `"${text}" is neither a community value (A:B, large:A:B:C) nor an alias defined by a Community object (yet)`,
      });
    }
  });
}

/** The aggregation lengths in effect, with MetalLB's defaults (host routes). */
function aggregationLengths(spec: BGPAdvertisementSpec): { v4: number; v6: number } {
  return { v4: spec.aggregationLength ?? 32, v6: spec.aggregationLengthV6 ?? 128 };
}

function checkAggregationRanges(
  sink: ProblemSink,
  ref: ObjectRef,
  spec: BGPAdvertisementSpec,
): void {
  const { v4, v6 } = aggregationLengths(spec);
  if (v4 > 32) {
    sink.error({
      object: ref,
      code: "BGPADV_AGGREGATION_RANGE",
      field: "spec.aggregationLength",
      message: `invalid aggregation length ${v4} for IPv4: must be 1 to 32`,
    });
  }
  if (v6 > 128 || v6 < 1) {
    sink.error({
      object: ref,
      code: "BGPADV_AGGREGATION_RANGE",
      field: "spec.aggregationLengthV6",
      message: `invalid aggregation length ${v6} for IPv6: must be 1 to 128`,
    });
  }
}

function checkAggregationAgainstPools(
  sink: ProblemSink,
  ref: ObjectRef,
  spec: BGPAdvertisementSpec,
  pools: readonly ParsedPool[],
): void {
  const { v4, v6 } = aggregationLengths(spec);
  for (const pool of selectedPools(spec, pools)) {
    for (const { index, block } of pool.blocks) {
      const length = block.family === "IPv4" ? v4 : v6;
      const field = block.family === "IPv4" ? "spec.aggregationLength" : "spec.aggregationLengthV6";
      // The shortest prefix the entry expands to: aggregating to anything
      // shorter would announce addresses the pool does not own.
      const shortest = Math.min(...block.cidrs.map((c) => c.prefixLength));
      const widest = block.cidrs.find((c) => c.prefixLength === shortest);
      if (length < shortest && widest !== undefined) {
        sink.error({
          object: ref,
          code: "BGPADV_AGGREGATION_SHORTER_THAN_POOL",
          field,
          message: `invalid aggregation length ${length}: prefix ${shortest} (${formatCidr(widest)}) of ${describeRef(pool.ref)} spec.addresses[${index}] "${block.text}" is more specific than the aggregation length`,
          related: pool.ref,
        });
      }
    }
  }
}

/**
 * Two advertisements of one pool with different LOCAL_PREFs would send one
 * prefix with two values to the same peer from the same node; MetalLB rejects
 * that unless something tells the two updates apart (metallb-reference.md §1.3).
 */
export function checkLocalPrefConflicts(
  sink: ProblemSink,
  ads: readonly KubeObject<BGPAdvertisementSpec>[],
  pools: readonly ParsedPool[],
): void {
  const eligible = ads.filter((a) => (a.spec?.serviceSelectors ?? []).length === 0);
  const sorted = [...eligible].sort((a, b) =>
    (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""),
  );
  for (const [i, a] of sorted.entries()) {
    for (const b of sorted.slice(i + 1)) {
      const pool = conflictingPool(a.spec ?? {}, b.spec ?? {}, pools);
      if (pool !== undefined) reportLocalPrefConflict(sink, a, b, pool);
    }
  }
}

/** The first pool both advertise with different LOCAL_PREFs in the same UPDATE, if any. */
function conflictingPool(
  a: BGPAdvertisementSpec,
  b: BGPAdvertisementSpec,
  pools: readonly ParsedPool[],
): ParsedPool | undefined {
  if ((a.localPref ?? 0) === (b.localPref ?? 0) || distinguishable(a, b)) return undefined;
  const ofB = selectedPools(b, pools);
  return selectedPools(a, pools).find((p) => ofB.includes(p) && sameUpdateType(a, b, p));
}

/** Reported once per pair, on the later advertisement by name. */
function reportLocalPrefConflict(
  sink: ProblemSink,
  a: KubeObject<BGPAdvertisementSpec>,
  b: KubeObject<BGPAdvertisementSpec>,
  pool: ParsedPool,
): void {
  sink.error({
    object: refOf(b),
    code: "BGPADV_LOCALPREF_CONFLICT",
    field: "spec.localPref",
    message: `invalid local preference ${b.spec?.localPref ?? 0}: ${describeRef(refOf(a))} already sets local preference ${a.spec?.localPref ?? 0} for the same BGP updates of ${describeRef(pool.ref)}`,
    related: refOf(a),
  });
}

function distinguishable(a: BGPAdvertisementSpec, b: BGPAdvertisementSpec): boolean {
  const pa = a.peers ?? [];
  const pb = b.peers ?? [];
  if (pa.length > 0 && pb.length > 0 && !pa.some((p) => pb.includes(p))) return true;
  // Without Node objects we cannot intersect node sets; different non-empty
  // selectors are given the benefit of the doubt, as an empty set never conflicts.
  const na = (a.nodeSelectors ?? []).map(selectorKey).sort().join("|");
  const nb = (b.nodeSelectors ?? []).map(selectorKey).sort().join("|");
  return na !== "" && nb !== "" && na !== nb;
}

/** Same aggregation for the families the pool has means the same UPDATE. */
function sameUpdateType(
  a: BGPAdvertisementSpec,
  b: BGPAdvertisementSpec,
  pool: ParsedPool,
): boolean {
  const families = new Set(pool.blocks.map((x) => x.block.family));
  const v4Same = (a.aggregationLength ?? 32) === (b.aggregationLength ?? 32);
  const v6Same = (a.aggregationLengthV6 ?? 128) === (b.aggregationLengthV6 ?? 128);
  if (families.has("IPv4") && families.has("IPv6")) return v4Same || v6Same;
  return families.has("IPv6") ? v6Same : v4Same;
}
