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
      sink.warning(
        ref,
        "POOL_REFERENCE_MISSING",
        `spec.ipAddressPools[${i}]`,
        `IPAddressPool "${name}" does not exist (yet); until it does, this entry announces nothing`,
      );
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
  checkNoDuplicates(sink, ref, "spec.interfaces", spec.interfaces);
}

export interface CommunityAliases {
  readonly has: (name: string) => boolean;
}

export function checkBGPAdvertisement(
  sink: ProblemSink,
  ad: KubeObject<BGPAdvertisementSpec>,
  pools: readonly ParsedPool[],
  peerNames: ReadonlySet<string>,
  aliases: CommunityAliases,
): void {
  const ref = refOf(ad);
  const spec = ad.spec ?? {};
  checkPoolSelection(sink, ref, spec, pools);
  checkSelectors(sink, ref, "spec.serviceSelectors", spec.serviceSelectors);
  checkNoDuplicates(sink, ref, "spec.peers", spec.peers);
  checkNoDuplicates(sink, ref, "spec.communities", spec.communities);
  (spec.peers ?? []).forEach((name, i) => {
    if (!peerNames.has(name)) {
      sink.warning(
        ref,
        "PEER_REFERENCE_MISSING",
        `spec.peers[${i}]`,
        `BGPPeer "${name}" does not exist (yet); until it does, no session hears these routes`,
      );
    }
  });
  (spec.communities ?? []).forEach((text, i) => {
    const field = `spec.communities[${i}]`;
    const parsed = parseCommunity(text);
    if (parsed.ok) return;
    if (parsed.kind === "invalid") {
      sink.error(ref, "COMMUNITY_INVALID", field, parsed.reason);
    } else if (!aliases.has(text)) {
      sink.warning(
        ref,
        "COMMUNITY_ALIAS_UNKNOWN",
        field,
        `"${text}" is neither a community value (A:B, large:A:B:C) nor an alias defined by a Community object (yet)`,
      );
    }
  });
  const v4 = spec.aggregationLength ?? 32;
  const v6 = spec.aggregationLengthV6 ?? 128;
  if (v4 > 32) {
    sink.error(
      ref,
      "BGPADV_AGGREGATION_RANGE",
      "spec.aggregationLength",
      `invalid aggregation length ${v4} for IPv4: must be 1 to 32`,
    );
  }
  if (v6 > 128 || v6 < 1) {
    sink.error(
      ref,
      "BGPADV_AGGREGATION_RANGE",
      "spec.aggregationLengthV6",
      `invalid aggregation length ${v6} for IPv6: must be 1 to 128`,
    );
  }
  for (const pool of selectedPools(spec, pools)) {
    for (const { index, block } of pool.blocks) {
      const length = block.family === "IPv4" ? v4 : v6;
      const field = block.family === "IPv4" ? "spec.aggregationLength" : "spec.aggregationLengthV6";
      // The shortest prefix the entry expands to: aggregating to anything
      // shorter would announce addresses the pool does not own.
      const shortest = Math.min(...block.cidrs.map((c) => c.prefixLength));
      const widest = block.cidrs.find((c) => c.prefixLength === shortest);
      if (length < shortest && widest !== undefined) {
        sink.error(
          ref,
          "BGPADV_AGGREGATION_SHORTER_THAN_POOL",
          field,
          `invalid aggregation length ${length}: prefix ${shortest} (${formatCidr(widest)}) of ${describeRef(pool.ref)} spec.addresses[${index}] "${block.text}" is more specific than the aggregation length`,
          pool.ref,
        );
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
      const pa = a.spec?.localPref ?? 0;
      const pb = b.spec?.localPref ?? 0;
      if (pa === pb || distinguishable(a.spec ?? {}, b.spec ?? {})) continue;
      const shared = selectedPools(a.spec ?? {}, pools).filter((p) =>
        selectedPools(b.spec ?? {}, pools).includes(p),
      );
      for (const pool of shared) {
        if (!sameUpdateType(a.spec ?? {}, b.spec ?? {}, pool)) continue;
        sink.error(
          refOf(b),
          "BGPADV_LOCALPREF_CONFLICT",
          "spec.localPref",
          `invalid local preference ${pb}: ${describeRef(refOf(a))} already sets local preference ${pa} for the same BGP updates of ${describeRef(pool.ref)}`,
          refOf(a),
        );
        break;
      }
    }
  }
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
function sameUpdateType(a: BGPAdvertisementSpec, b: BGPAdvertisementSpec, pool: ParsedPool) {
  const families = new Set(pool.blocks.map((x) => x.block.family));
  const v4Same = (a.aggregationLength ?? 32) === (b.aggregationLength ?? 32);
  const v6Same = (a.aggregationLengthV6 ?? 128) === (b.aggregationLengthV6 ?? 128);
  if (families.has("IPv4") && families.has("IPv6")) return v4Same || v6Same;
  return families.has("IPv6") ? v6Same : v4Same;
}
