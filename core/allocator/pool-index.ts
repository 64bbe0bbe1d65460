// Which pool owns an address. Pools never overlap in a valid configuration
// (the validating webhook refuses it, metallb-reference §1.1), but the
// allocator must stay sound if an invalid set slips through: each address
// belongs to the first pool in name order whose entries contain it, and a
// pool hands out only the addresses it owns.
import type { IpAddress, IpFamily } from "../net/ip-address-text.ts";
import type { PoolDefinition } from "./allocation-types.ts";
import type { Interval } from "./address-set.ts";
import { isBuggy } from "./buggy-ips.ts";
import { compareNames } from "./pool-definitions.ts";

interface Segment extends Interval {
  readonly pool: PoolDefinition;
}

/** The parts of [first, last] that no segment covers, ascending. */
function uncovered(sorted: readonly Segment[], first: bigint, last: bigint): Interval[] {
  const out: Interval[] = [];
  let cursor = first;
  for (const s of sorted) {
    if (s.last < cursor || s.first > last) continue;
    if (s.first > cursor) out.push({ first: cursor, last: s.first - 1n });
    cursor = s.last + 1n;
    if (cursor > last) return out;
  }
  out.push({ first: cursor, last });
  return out;
}

function bySegmentStart(a: Interval, b: Interval): number {
  return a.first < b.first ? -1 : a.first > b.first ? 1 : 0;
}

/** The greatest segment whose first ≤ value, by binary search. */
function segmentAt(sorted: readonly Segment[], value: bigint): Segment | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  let found: Segment | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = sorted[mid];
    if (s === undefined) break;
    if (s.first <= value) {
      found = s;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found !== undefined && value <= found.last ? found : undefined;
}

export class PoolIndex {
  readonly #byName = new Map<string, PoolDefinition>();
  readonly #sorted: PoolDefinition[] = [];
  readonly #segments: Record<IpFamily, Segment[]> = { IPv4: [], IPv6: [] };
  /** Per pool and family: its owned ranges in walk order (spec order, ascending within an entry). */
  readonly #owned = new Map<string, Record<IpFamily, Interval[]>>();

  constructor(pools: readonly PoolDefinition[]) {
    const sorted = [...pools].sort((a, b) => compareNames(a.name, b.name));
    for (const pool of sorted) {
      if (this.#byName.has(pool.name)) continue;
      this.#byName.set(pool.name, pool);
      this.#sorted.push(pool);
      this.#claim(pool);
    }
  }

  /** Pools in name order. */
  get pools(): readonly PoolDefinition[] {
    return this.#sorted;
  }

  get(name: string): PoolDefinition | undefined {
    return this.#byName.get(name);
  }

  /** The pool that owns ip; an avoidBuggyIPs pool does not own its .0/.255 (§2.7 `poolFor`). */
  poolOf(ip: IpAddress): PoolDefinition | undefined {
    const pool = this.poolSpanning(ip);
    return pool !== undefined && pool.avoidBuggyIPs && isBuggy(ip) ? undefined : pool;
  }

  /** The pool whose entries contain ip, avoidBuggyIPs aside (to explain a refusal). */
  poolSpanning(ip: IpAddress): PoolDefinition | undefined {
    return segmentAt(this.#segments[ip.family], ip.value)?.pool;
  }

  /** The pool's addresses of one family, in the order MetalLB walks them (§3.2). */
  ranges(pool: string, family: IpFamily): readonly Interval[] {
    return this.#owned.get(pool)?.[family] ?? [];
  }

  #claim(pool: PoolDefinition): void {
    const owned: Record<IpFamily, Interval[]> = { IPv4: [], IPv6: [] };
    for (const block of pool.blocks) {
      const segments = this.#segments[block.family];
      const parts = uncovered(segments, block.first, block.last);
      owned[block.family].push(...parts);
      segments.push(...parts.map((p) => ({ ...p, pool })));
      segments.sort(bySegmentStart);
    }
    this.#owned.set(pool.name, owned);
  }
}
