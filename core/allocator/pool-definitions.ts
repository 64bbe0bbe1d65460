// From IPAddressPool objects to the allocator's PoolDefinitions: address
// entries parsed, namespaceSelectors resolved against the current Namespaces,
// defaults applied (metallb-reference §1.1). Plus the capacity counting MetalLB
// reports in IPAddressPool.status and its metrics (§3.5) and the
// pool-to-Service compatibility rule (§2.6).
import type { IPAddressPoolSpec } from "../api/ip-address-pool.ts";
import type { KubeObject, LabelSelector } from "../api/schema-building-blocks.ts";
import { anySelectorMatches, selectorMatches, type Labels } from "../label-selector.ts";
import { FAMILY_BITS } from "../net/ip-address-text.ts";
import { blockSize, parseAddressBlock, type AddressBlock } from "../net/ip-blocks.ts";
import type { PoolDefinition } from "./allocation-types.ts";
import { countGood } from "./buggy-ips.ts";

export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Labels;
}

type ServiceAllocation = NonNullable<PoolDefinition["serviceAllocation"]>;
type ServiceAllocationSpec = NonNullable<IPAddressPoolSpec["serviceAllocation"]>;

/** Matches every Service: what a priority-only serviceAllocation selects (§1.1). */
const EVERYTHING: LabelSelector = {};

function parsedBlocks(addresses: readonly string[]): AddressBlock[] {
  const blocks: AddressBlock[] = [];
  for (const text of addresses) {
    const parsed = parseAddressBlock(text);
    if (parsed.ok) blocks.push(parsed.block);
  }
  return blocks;
}

function resolveNamespaces(
  spec: ServiceAllocationSpec,
  namespaces: readonly NamespaceInfo[],
): Set<string> {
  const names = new Set(spec.namespaces ?? []);
  const selectors = spec.namespaceSelectors ?? [];
  for (const ns of namespaces) {
    if (selectors.some((s) => selectorMatches(s, ns.labels))) names.add(ns.name);
  }
  return names;
}

function resolveServiceAllocation(
  spec: ServiceAllocationSpec,
  namespaces: readonly NamespaceInfo[],
): ServiceAllocation {
  const restrictsNamespaces =
    (spec.namespaces?.length ?? 0) > 0 || (spec.namespaceSelectors?.length ?? 0) > 0;
  const serviceSelectors = spec.serviceSelectors ?? [];
  // §1.1: only `priority` given → the pool selects every Service, ordered by priority.
  const priorityOnly = !restrictsNamespaces && serviceSelectors.length === 0;
  return {
    priority: spec.priority ?? 0,
    namespaces: resolveNamespaces(spec, namespaces),
    restrictsNamespaces,
    serviceSelectors: priorityOnly ? [EVERYTHING] : serviceSelectors,
  };
}

function resolvePool(
  pool: KubeObject<IPAddressPoolSpec>,
  namespaces: readonly NamespaceInfo[],
): PoolDefinition | undefined {
  const name = pool.metadata.name;
  const spec = pool.spec;
  if (name === undefined || name === "" || spec === undefined) return undefined;
  if (!Array.isArray(spec.addresses)) return undefined;
  const base = {
    name,
    blocks: parsedBlocks(spec.addresses),
    autoAssign: spec.autoAssign ?? true,
    avoidBuggyIPs: spec.avoidBuggyIPs ?? false,
    labels: pool.metadata.labels ?? {},
  };
  const alloc = spec.serviceAllocation;
  return alloc === undefined
    ? base
    : { ...base, serviceAllocation: resolveServiceAllocation(alloc, namespaces) };
}

/**
 * PoolDefinitions for the allocator, sorted by name. Objects without a name or
 * spec, and address entries that do not parse, are skipped: rejecting them is
 * the validating webhook's job, and one bad entry must not stop allocation
 * from the good ones. A second object with an already seen name is skipped.
 */
export function resolvePools(
  pools: readonly KubeObject<IPAddressPoolSpec>[],
  namespaces: readonly NamespaceInfo[],
): PoolDefinition[] {
  const byName = new Map<string, PoolDefinition>();
  for (const pool of pools) {
    const def = resolvePool(pool, namespaces);
    if (def !== undefined && !byName.has(def.name)) byName.set(def.name, def);
  }
  return [...byName.values()].sort((a, b) => compareNames(a.name, b.name));
}

/** Code-point order: the same on every machine, unlike localeCompare. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface PoolCapacity {
  readonly ipv4: bigint;
  readonly ipv6: bigint;
}

/** Go's math.MaxInt64: MetalLB's "will never run out" figure. */
export const MAX_INT64 = (1n << 63n) - 1n;
// §3.5: a CIDR with ≥ 62 host bits makes the count MaxInt64.
const HUGE_HOST_BITS = 62;

function ipv6BlockCount(block: AddressBlock): bigint {
  let count = 0n;
  for (const cidr of block.cidrs) {
    if (FAMILY_BITS.IPv6 - cidr.prefixLength >= HUGE_HOST_BITS) return MAX_INT64;
    count += 1n << BigInt(FAMILY_BITS.IPv6 - cidr.prefixLength);
  }
  return count;
}

function saturatingAdd(a: bigint, b: bigint): bigint {
  const sum = a + b;
  return sum > MAX_INT64 ? MAX_INT64 : sum;
}

/**
 * Usable addresses per family (§3.5, §2.10): IPv4 blocks count every address,
 * or only those not ending in .0/.255 under avoidBuggyIPs; an IPv6 CIDR with
 * 62 or more host bits (a /64) makes the IPv6 count MaxInt64, and sums are
 * capped there (Go overflows instead).
 */
export function poolCapacity(pool: Pick<PoolDefinition, "blocks" | "avoidBuggyIPs">): PoolCapacity {
  let ipv4 = 0n;
  let ipv6 = 0n;
  for (const block of pool.blocks) {
    if (block.family === "IPv6") {
      ipv6 = saturatingAdd(ipv6, ipv6BlockCount(block));
    } else {
      ipv4 += pool.avoidBuggyIPs ? countGood(block.first, block.last) : blockSize(block);
    }
  }
  return { ipv4, ipv6 };
}

export interface ServiceIdentity {
  readonly namespace: string;
  readonly labels: Labels;
}

/**
 * Why the pool may not serve the Service, or undefined when it may
 * (`isPoolCompatibleWithService`, §2.6): the namespace must be one the pool
 * selects, and one of its serviceSelectors must match the Service's labels.
 * The text completes "IPAddressPool "p" may not serve this Service: …".
 *
 * Deliberate difference: MetalLB treats a pool whose namespaceSelectors match
 * no namespace right now as unrestricted; here it admits no namespace until
 * one matches (`restrictsNamespaces`).
 */
export function compatibilityProblem(
  pool: PoolDefinition,
  service: ServiceIdentity,
): string | undefined {
  const alloc = pool.serviceAllocation;
  if (alloc === undefined) return undefined;
  if (alloc.restrictsNamespaces && !alloc.namespaces.has(service.namespace)) {
    return `its spec.serviceAllocation does not select namespace "${service.namespace}"`;
  }
  if (!anySelectorMatches(alloc.serviceSelectors, service.labels)) {
    return `its spec.serviceAllocation.serviceSelectors do not match the Service's labels`;
  }
  return undefined;
}
