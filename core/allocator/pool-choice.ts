// Choosing addresses from pools: from the pool a Service names, or
// automatically from the pools pinned to it and then the fallback pools
// (metallb-reference §2.6), per family policy (§2.9).
import type { IpAddress, IpFamily } from "../net/ip-address-text.ts";
import type {
  Allocation,
  AllocationResult,
  PoolDefinition,
  ServiceRequest,
} from "./allocation-types.ts";
import type { DecisionView } from "./decision-view.ts";
import { ANNOTATION_ADDRESS_POOL, failed, quotedList, succeeded } from "./failures.ts";
import { compareNames, compatibilityProblem } from "./pool-definitions.ts";

function isDual(req: ServiceRequest): boolean {
  return new Set(req.families).size === 2;
}

/** §2.6: the primary family is IPv4 unless spec.ipFamilies[0] is IPv6. */
function primaryFamily(req: ServiceRequest): IpFamily {
  return req.families[0] === "IPv6" ? "IPv6" : "IPv4";
}

function single(pool: PoolDefinition, ip: IpAddress | undefined): Allocation | undefined {
  return ip === undefined ? undefined : { pool: pool.name, ips: [ip] };
}

function firstSingleFamily(
  view: DecisionView,
  pools: readonly PoolDefinition[],
  req: ServiceRequest,
): Allocation | undefined {
  const family = primaryFamily(req);
  for (const pool of pools) {
    const found = single(pool, view.pick(pool, family, req));
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * `findBestPoolForService` (§2.6, §2.9): the first pool with both families
 * (IPv4 written first, §2.3); for PreferDualStack, failing that, the first
 * pool with the primary family, then the first with the secondary.
 */
function firstDual(
  view: DecisionView,
  pools: readonly PoolDefinition[],
  req: ServiceRequest,
): Allocation | undefined {
  const prefer = req.familyPolicy === "PreferDualStack";
  const primaryIsV6 = primaryFamily(req) === "IPv6";
  let primary: Allocation | undefined;
  let secondary: Allocation | undefined;
  for (const pool of pools) {
    const v4 = view.pick(pool, "IPv4", req);
    const v6 = view.pick(pool, "IPv6", req);
    if (v4 !== undefined && v6 !== undefined) return { pool: pool.name, ips: [v4, v6] };
    if (!prefer) continue;
    primary ??= single(pool, primaryIsV6 ? v6 : v4);
    secondary ??= single(pool, primaryIsV6 ? v4 : v6);
  }
  return primary ?? secondary;
}

/** The best allocation from pools taken in order, or undefined. */
export function bestInPools(
  view: DecisionView,
  pools: readonly PoolDefinition[],
  req: ServiceRequest,
): Allocation | undefined {
  return isDual(req) ? firstDual(view, pools, req) : firstSingleFamily(view, pools, req);
}

function familiesWanted(req: ServiceRequest): string {
  if (!isDual(req)) return primaryFamily(req);
  return req.familyPolicy === "PreferDualStack" ? "IPv4 or IPv6" : "IPv4 and IPv6";
}

function hasWantedFamilies(view: DecisionView, pool: PoolDefinition, req: ServiceRequest): boolean {
  const has = (f: IpFamily): boolean => view.index.ranges(pool.name, f).length > 0;
  if (!isDual(req)) return has(primaryFamily(req));
  return req.familyPolicy === "PreferDualStack"
    ? has("IPv4") || has("IPv6")
    : has("IPv4") && has("IPv6");
}

/** Why none of the pools gave the Service addresses: wrong families, or full. */
function exhausted(
  view: DecisionView,
  pools: readonly PoolDefinition[],
  req: ServiceRequest,
  prefix: string,
): AllocationResult {
  const names = quotedList(pools.map((p) => p.name));
  const wanted = familiesWanted(req);
  if (!pools.some((p) => hasWantedFamilies(view, p, req))) {
    return failed(
      "POOL_FAMILY_MISMATCH",
      `${prefix}spec.ipFamilies: Service "${req.key}" needs ${wanted} addresses, which IPAddressPool ${names} does not have`,
    );
  }
  return failed(
    "NO_AVAILABLE_IPS",
    `${prefix}no available ${wanted} addresses in IPAddressPool ${names}`,
  );
}

/** §2.5 step 7, `AllocateFromPool`: autoAssign does not matter, serviceAllocation does. */
export function fromNamedPool(
  view: DecisionView,
  req: ServiceRequest,
  name: string,
): AllocationResult {
  const pool = view.index.get(name);
  if (pool === undefined) {
    return failed("UNKNOWN_POOL", `${ANNOTATION_ADDRESS_POOL}: no IPAddressPool named "${name}"`);
  }
  const problem = compatibilityProblem(pool, req);
  if (problem !== undefined) {
    return failed(
      "POOL_NOT_ALLOWED",
      `${ANNOTATION_ADDRESS_POOL}: IPAddressPool "${name}" may not serve Service "${req.key}": ${problem}`,
    );
  }
  const found = bestInPools(view, [pool], req);
  return found !== undefined
    ? succeeded(found)
    : exhausted(view, [pool], req, `${ANNOTATION_ADDRESS_POOL}: `);
}

/** §2.6: positive priorities ascending, then 0/unset (negatives alike); ties by name. */
function priorityRank(pool: PoolDefinition): number {
  const priority = pool.serviceAllocation?.priority ?? 0;
  return priority > 0 ? priority : Number.POSITIVE_INFINITY;
}

function byPriorityThenName(a: PoolDefinition, b: PoolDefinition): number {
  const ra = priorityRank(a);
  const rb = priorityRank(b);
  return ra !== rb ? (ra < rb ? -1 : 1) : compareNames(a.name, b.name);
}

/** §2.6 step 2: autoAssign pools selecting the Service's namespace or having serviceSelectors, and compatible. */
export function pinnedPools(
  pools: readonly PoolDefinition[],
  req: ServiceRequest,
): PoolDefinition[] {
  return pools
    .filter((pool) => {
      const alloc = pool.serviceAllocation;
      if (!pool.autoAssign || alloc === undefined) return false;
      const selects = alloc.namespaces.has(req.namespace) || alloc.serviceSelectors.length > 0;
      return selects && compatibilityProblem(pool, req) === undefined;
    })
    .sort(byPriorityThenName);
}

/** §2.6 step 4: autoAssign pools without any serviceAllocation, in name order (not Go map order). */
export function fallbackPools(pools: readonly PoolDefinition[]): PoolDefinition[] {
  return pools
    .filter((p) => p.autoAssign && p.serviceAllocation === undefined)
    .sort((a, b) => compareNames(a.name, b.name));
}

/** §2.6 `Allocate`: pinned pools first, then fallback pools. */
export function automatic(view: DecisionView, req: ServiceRequest): AllocationResult {
  const pinned = pinnedPools(view.index.pools, req);
  const fallback = fallbackPools(view.index.pools);
  const found = bestInPools(view, pinned, req) ?? bestInPools(view, fallback, req);
  if (found !== undefined) return succeeded(found);
  const candidates = [...pinned, ...fallback];
  if (candidates.length === 0) {
    return failed(
      "NO_POOLS",
      `no IPAddressPool assigns addresses automatically to Service "${req.key}" (autoAssign is false, or spec.serviceAllocation selects other namespaces or Services); name one in ${ANNOTATION_ADDRESS_POOL} or request an address`,
    );
  }
  return exhausted(view, candidates, req, "");
}
