// Which nodes may announce a Service's IPs, and on which interfaces
// (metallb-reference.md §4.2, §4.3; issue 5 "Who announces"). Pure: plain
// data in (Nodes, live speakers, L2Advertisements, pools, the Service and its
// endpoints), a decision out, with a reason for every node left out so logs
// and ServiceL2Status can say why. Shared by Layer 2 and, later, BGP.
//
// Differences from MetalLB, on purpose (issue 5):
// - A Node whose Ready condition is not True is never eligible (MetalLB reads
//   only NetworkUnavailable). NetworkUnavailable=True excludes too, as there.
// - The pool comes from the `metallb.io/ip-allocated-from-pool` annotation the
//   allocator writes, not from searching every pool for the IP.
// - An endpoint can serve when `conditions.serving` is true; when `serving`
//   is absent, `ready` decides, and absent `ready` means ready (the
//   EndpointConditions contract). MetalLB also counts `ready: nil,
//   serving: false` as serving; that pair does not occur from the
//   EndpointSlice controller.
import type { LabelSelector } from "../core/api/schema-building-blocks.ts";
import { anySelectorMatches, type Labels } from "../core/label-selector.ts";

export const EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";
export const POOL_ANNOTATION = "metallb.io/ip-allocated-from-pool";
const DEPRECATED_POOL_ANNOTATION = "metallb.universe.tf/ip-allocated-from-pool";

export interface NodeInfo {
  readonly name: string;
  readonly labels: Labels;
  /** The Node's Ready condition is True. */
  readonly ready: boolean;
  /** The Node's NetworkUnavailable condition is True (absent → false). */
  readonly networkUnavailable?: boolean;
}

/** The parts of an L2Advertisement's spec that decide eligibility. */
export interface AdvertisementInfo {
  readonly name: string;
  readonly ipAddressPools?: readonly string[];
  readonly ipAddressPoolSelectors?: readonly LabelSelector[];
  readonly nodeSelectors?: readonly LabelSelector[];
  readonly interfaces?: readonly string[];
  readonly serviceSelectors?: readonly LabelSelector[];
}

export interface PoolInfo {
  readonly name: string;
  readonly labels: Labels;
}

export interface ServiceInfo {
  readonly labels: Labels;
  /** `status.loadBalancer.ingress[].ip`, canonical text. */
  readonly ips: readonly string[];
  /** The pool the IPs came from: see allocatedPool(). */
  readonly pool: string | undefined;
  readonly externalTrafficPolicy: "Cluster" | "Local";
}

/** One endpoint of the Service's EndpointSlices (`endpoints[]`). */
export interface EndpointInfo {
  readonly nodeName?: string;
  readonly serving?: boolean;
  readonly ready?: boolean;
}

export interface EligibilityInput {
  readonly nodes: readonly NodeInfo[];
  /** Speakers that liveness says may own IPs now (liveness/member-table.ts candidates()). */
  readonly liveSpeakers: ReadonlySet<string>;
  readonly advertisements: readonly AdvertisementInfo[];
  readonly pools: readonly PoolInfo[];
  readonly service: ServiceInfo;
  readonly endpoints: readonly EndpointInfo[];
}

/** Why nobody announces the Service at all. */
export type ServiceSkipReason =
  /** No ingress IP yet. */
  | "no-ip"
  /** No `metallb.io/ip-allocated-from-pool` annotation. */
  | "no-pool"
  /** The annotation names a pool that does not exist. */
  | "unknown-pool"
  /** No L2Advertisement covers the pool and the Service's labels. */
  | "no-advertisement"
  /** No endpoint anywhere can serve (MetalLB: under either traffic policy). */
  | "no-serving-endpoint";

/** Why one node may not announce; checked in this order, the first that applies is given. */
export type NodeSkipReason =
  | "excluded-by-label"
  | "not-ready"
  | "network-unavailable"
  | "speaker-not-alive"
  | "not-selected-by-advertisement"
  | "no-local-endpoint";

export type EligibilityResult =
  | { readonly ok: false; readonly reason: ServiceSkipReason }
  | {
      readonly ok: true;
      /** Eligible node → interfaces to announce on; an empty list means every interface. */
      readonly eligible: ReadonlyMap<string, readonly string[]>;
      readonly ineligible: ReadonlyMap<string, NodeSkipReason>;
    };

/** The pool named by the annotations; the stable key wins over the deprecated one (§2.1). */
export function allocatedPool(annotations: Readonly<Record<string, string>>): string | undefined {
  if (Object.hasOwn(annotations, POOL_ANNOTATION)) return annotations[POOL_ANNOTATION];
  return annotations[DEPRECATED_POOL_ANNOTATION];
}

/** §1.2: no pools and no pool selectors → every pool; selectors that match nothing → none. */
export function advertisementCoversPool(ad: AdvertisementInfo, pool: PoolInfo): boolean {
  const names = ad.ipAddressPools ?? [];
  const selectors = ad.ipAddressPoolSelectors ?? [];
  if (names.length === 0 && selectors.length === 0) return true;
  if (names.includes(pool.name)) return true;
  return selectors.length > 0 && anySelectorMatches(selectors, pool.labels);
}

export function endpointCanServe(endpoint: EndpointInfo): boolean {
  return endpoint.serving ?? endpoint.ready ?? true;
}

function nodeStateReason(node: NodeInfo, live: ReadonlySet<string>): NodeSkipReason | undefined {
  if (Object.hasOwn(node.labels, EXCLUDE_LABEL)) return "excluded-by-label";
  if (!node.ready) return "not-ready";
  if (node.networkUnavailable === true) return "network-unavailable";
  if (!live.has(node.name)) return "speaker-not-alive";
  return undefined;
}

/**
 * Interfaces the ads selecting this node allow: their union, or [] (every
 * interface) as soon as one of them lists none (§4.3). Undefined when no ad
 * selects the node.
 */
function interfacesFor(
  node: NodeInfo,
  ads: readonly AdvertisementInfo[],
): readonly string[] | undefined {
  let selected = false;
  const names = new Set<string>();
  for (const ad of ads) {
    if (!anySelectorMatches(ad.nodeSelectors, node.labels)) continue;
    const list = ad.interfaces ?? [];
    if (list.length === 0) return [];
    selected = true;
    for (const name of list) names.add(name);
  }
  return selected ? [...names].sort() : undefined;
}

function applicableAdvertisements(
  input: EligibilityInput,
): AdvertisementInfo[] | ServiceSkipReason {
  const { service } = input;
  if (service.ips.length === 0) return "no-ip";
  if (service.pool === undefined || service.pool === "") return "no-pool";
  const pool = input.pools.find((p) => p.name === service.pool);
  if (pool === undefined) return "unknown-pool";
  const ads = input.advertisements.filter(
    (ad) =>
      advertisementCoversPool(ad, pool) && anySelectorMatches(ad.serviceSelectors, service.labels),
  );
  return ads.length === 0 ? "no-advertisement" : ads;
}

function selectionReason(
  node: string,
  interfaces: readonly string[] | undefined,
  endpointNodes: ReadonlySet<string | undefined> | undefined,
): NodeSkipReason | undefined {
  if (interfaces === undefined) return "not-selected-by-advertisement";
  if (endpointNodes !== undefined && !endpointNodes.has(node)) return "no-local-endpoint";
  return undefined;
}

/**
 * The nodes that may announce the Service's IPs. Every speaker computes this
 * from the same inputs, so every speaker gets the same answer.
 */
export function eligibleNodes(input: EligibilityInput): EligibilityResult {
  const ads = applicableAdvertisements(input);
  if (typeof ads === "string") return { ok: false, reason: ads };
  const serving = input.endpoints.filter(endpointCanServe);
  if (serving.length === 0) return { ok: false, reason: "no-serving-endpoint" };
  const local = input.service.externalTrafficPolicy === "Local";
  const endpointNodes = new Set(serving.map((e) => e.nodeName));
  const eligible = new Map<string, readonly string[]>();
  const ineligible = new Map<string, NodeSkipReason>();
  for (const node of input.nodes) {
    const interfaces = interfacesFor(node, ads);
    const reason =
      nodeStateReason(node, input.liveSpeakers) ??
      selectionReason(node.name, interfaces, local ? endpointNodes : undefined);
    if (reason !== undefined) ineligible.set(node.name, reason);
    else eligible.set(node.name, interfaces ?? []);
  }
  return { ok: true, eligible, ineligible };
}
