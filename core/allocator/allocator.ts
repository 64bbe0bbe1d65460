// The pure IP allocator (issue 3): MetalLB's allocation rules
// (metallb-reference §2.5–§3.6) over state that records what the claims say.
// No Kubernetes client, no I/O. `allocate` only decides; the caller claims the
// addresses through the API and then reports them with `hold`. Two deliberate
// differences from MetalLB: every choice is deterministic (ties and fallback
// pools in name order, not Go map order), and finding the lowest free address
// is O(log n) in the number of used intervals instead of a walk over the pool.
import type { IpAddress, IpFamily } from "../net/ip-address-text.ts";
import type { Interval } from "./address-set.ts";
import { decide } from "./allocation-decision.ts";
import type {
  Allocation,
  AllocationFailure,
  AllocationResult,
  Holder,
  PoolDefinition,
  PoolUsage,
  ServiceRequest,
} from "./allocation-types.ts";
import { poolOfAll, type DecisionView } from "./decision-view.ts";
import { Holdings } from "./holdings.ts";
import { compareNames, poolCapacity, type PoolCapacity } from "./pool-definitions.ts";
import { PoolIndex } from "./pool-index.ts";
import { sharingProblem } from "./sharing.ts";
import { UsedAddresses } from "./used-addresses.ts";

type Counts = Record<IpFamily, number>;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** PoolUsage.available*: capacity − assigned, within [0, MAX_SAFE_INTEGER] (a /64 is MaxInt64, §3.5). */
function available(capacity: bigint, assigned: number): number {
  const left = capacity - BigInt(assigned);
  if (left <= 0n) return 0;
  return Number(left > MAX_SAFE ? MAX_SAFE : left);
}

function firstWithin(sorted: readonly bigint[], range: Interval): bigint | undefined {
  return sorted.find((v) => v >= range.first && v <= range.last);
}

function lower(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

export class Allocator {
  #index: PoolIndex;
  #capacity = new Map<string, PoolCapacity>();
  /** Per pool: distinct used addresses it owns, per family (a shared address counts once, §2.8). */
  #counts = new Map<string, Counts>();
  readonly #holdings = new Holdings();
  readonly #used = new UsedAddresses();
  readonly #view: DecisionView;

  constructor(pools: readonly PoolDefinition[]) {
    this.#index = new PoolIndex(pools);
    this.#rebuildPoolFigures();
    const getIndex = (): PoolIndex => this.#index;
    this.#view = {
      get index() {
        return getIndex();
      },
      current: (key) => this.current(key),
      sharingProblem: (ip, req, field) => this.#sharingProblem(ip, req, field),
      pick: (pool, family, req) => this.#pick(pool, family, req),
    };
  }

  /**
   * Replaces the pools (§2.11 `SetPools`). Holdings stay (the claims still
   * exist); usage is recounted. Returns, in name order, the Services whose
   * addresses just left every pool, or now belong to a pool other than the
   * one their claims name (that pool is recorded as theirs now).
   */
  setPools(pools: readonly PoolDefinition[]): string[] {
    const before = this.#index;
    this.#index = new PoolIndex(pools);
    this.#rebuildPoolFigures();
    const moved: string[] = [];
    for (const [key, holding] of this.#holdings.services()) {
      const now = poolOfAll(this.#index, holding.ips);
      if (now === undefined) {
        if (poolOfAll(before, holding.ips) !== undefined) moved.push(key);
      } else if (now.name !== holding.pool) {
        holding.pool = now.name;
        moved.push(key);
      }
    }
    return moved.sort(compareNames);
  }

  /** Records a claim: `holder` uses `ip`, allocated from `pool`. Idempotent; a later hold updates the holder. */
  hold(ip: IpAddress, pool: string, holder: Holder): void {
    if (this.#holdings.hold(ip, pool, holder)) this.#nowUsed(ip);
  }

  /** Drops every claim of the Service. */
  releaseService(serviceKey: string): void {
    const holding = this.#holdings.service(serviceKey);
    if (holding === undefined) return;
    for (const ip of [...holding.ips]) this.releaseIP(ip, serviceKey);
  }

  /**
   * Drops one claim. When the address has no holder left it is free again,
   * including from `markTaken` (the claim we had not seen is gone too).
   */
  releaseIP(ip: IpAddress, serviceKey: string): void {
    if (this.#holdings.release(ip, serviceKey)) this.#nowFree(ip);
  }

  /** An address another writer owns that no claim has shown us yet: never handed out or shared until released. */
  markTaken(ip: IpAddress): void {
    if (this.#holdings.markTaken(ip)) this.#nowUsed(ip);
  }

  current(serviceKey: string): Allocation | undefined {
    const holding = this.#holdings.service(serviceKey);
    return holding === undefined ? undefined : { pool: holding.pool, ips: [...holding.ips] };
  }

  holdersOf(ip: IpAddress): readonly Holder[] {
    return [...this.#holdings.holdersOf(ip)];
  }

  /** What the Service should have now (§2.5 steps 4–7). Changes nothing. */
  allocate(req: ServiceRequest): AllocationResult {
    return decide(this.#view, req);
  }

  /** IPAddressPool.status figures (§1.1, §3.5): used addresses the pool owns, counted once. */
  usage(pool: string): PoolUsage {
    const counts = this.#counts.get(pool) ?? { IPv4: 0, IPv6: 0 };
    const capacity = this.#capacity.get(pool) ?? { ipv4: 0n, ipv6: 0n };
    return {
      assignedIPv4: counts.IPv4,
      assignedIPv6: counts.IPv6,
      availableIPv4: available(capacity.ipv4, counts.IPv4),
      availableIPv6: available(capacity.ipv6, counts.IPv6),
    };
  }

  #rebuildPoolFigures(): void {
    this.#capacity = new Map();
    this.#counts = new Map();
    for (const pool of this.#index.pools) {
      this.#capacity.set(pool.name, poolCapacity(pool));
      this.#counts.set(pool.name, { IPv4: 0, IPv6: 0 });
    }
    const avoidBuggy: bigint[] = [];
    for (const ip of this.#holdings.usedAddresses()) {
      const owner = this.#count(ip, 1);
      if (owner?.avoidBuggyIPs === true && ip.family === "IPv4") avoidBuggy.push(ip.value);
    }
    this.#used.resetAvoidBuggy(avoidBuggy);
  }

  /** Adds delta to the count of the pool owning ip; returns that pool. */
  #count(ip: IpAddress, delta: number): PoolDefinition | undefined {
    const owner = this.#index.poolOf(ip);
    const counts = owner === undefined ? undefined : this.#counts.get(owner.name);
    if (counts !== undefined) counts[ip.family] += delta;
    return owner;
  }

  #nowUsed(ip: IpAddress): void {
    const owner = this.#count(ip, 1);
    this.#used.add(ip, owner?.avoidBuggyIPs === true && ip.family === "IPv4");
  }

  #nowFree(ip: IpAddress): void {
    this.#count(ip, -1);
    this.#used.delete(ip);
  }

  #sharingProblem(
    ip: IpAddress,
    req: ServiceRequest,
    ipField: string,
  ): AllocationFailure | undefined {
    const others = this.#holdings.holdersOf(ip).filter((h) => h.serviceKey !== req.key);
    const taken = this.#holdings.isTaken(ip);
    if (others.length === 0 && !taken) return undefined;
    return sharingProblem({ ip, others, taken, service: req, ipField });
  }

  /**
   * Addresses of the family in the pool the Service could use although they
   * are in use: those under its sharing key that pass the sharing rules, and
   * its own. Ascending. Linear in the addresses under that key.
   */
  #shareable(pool: PoolDefinition, family: IpFamily, req: ServiceRequest): bigint[] {
    const key = req.sharingKey ?? "";
    const candidates = key === "" ? [] : [...this.#holdings.withSharingKey(key)];
    candidates.push(...(this.#holdings.service(req.key)?.ips ?? []));
    const values = new Set<bigint>();
    for (const ip of candidates) {
      if (ip.family !== family || this.#index.poolOf(ip)?.name !== pool.name) continue;
      if (this.#sharingProblem(ip, req, "") === undefined) values.add(ip.value);
    }
    return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * §3.2 `getFreeIPsFromPool` + §2.8: walk the pool's ranges in spec order;
   * in the first range that has one, the lower of its first free address and
   * its first address the Service may share.
   */
  #pick(pool: PoolDefinition, family: IpFamily, req: ServiceRequest): IpAddress | undefined {
    const ranges = this.#index.ranges(pool.name, family);
    if (ranges.length === 0) return undefined;
    const shared = this.#shareable(pool, family, req);
    for (const range of ranges) {
      const free = this.#used.firstFree(range, family, pool.avoidBuggyIPs);
      const best = lower(free, firstWithin(shared, range));
      if (best !== undefined) return { family, value: best };
    }
    return undefined;
  }
}
