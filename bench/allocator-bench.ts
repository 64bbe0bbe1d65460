// Allocator bench: ns per allocate() decision and heap used, for a /24, a /8
// and an IPv6 /64 at several fill levels, filled sequentially and at random
// (scattered fills leave one interval per address: the interval set's worst
// case). Each measured call is a fresh decision that is then held and
// released, so the fill stays constant. Targets: < 20 µs per allocation at
// every fill level; memory growing with what is allocated, not pool size.
import type { IpFamily } from "../core/net/ip-address-text.ts";
import { parseAddressBlock, type AddressBlock } from "../core/net/ip-blocks.ts";
import type { Holder, PoolDefinition, ServiceRequest } from "../core/allocator/allocation-types.ts";
import { Allocator } from "../core/allocator/allocator.ts";

const TARGET_NS = 20_000;
const MEASURED = 20_000;
const WARMUP = 2_000;
const MILLION = 1_000_000;
const PORTS = [{ protocol: "TCP" as const, port: 80 }];

type Fill = "none" | "sequential" | "scattered";

interface Scenario {
  readonly pool: string;
  readonly cidr: string;
  readonly taken: number;
  readonly fill: Fill;
}

interface Result extends Scenario {
  readonly medianNs: number;
  readonly p99Ns: number;
  /** heapUsed after the fill (after gc with --expose-gc). */
  readonly heapMB: number;
  /** heapMB minus the heap of the process before any allocator existed. */
  readonly heapGrowthMB: number;
}

function scenarios(): Scenario[] {
  const out: Scenario[] = [];
  const add = (pool: string, cidr: string, levels: readonly number[]): void => {
    out.push({ pool, cidr, taken: 0, fill: "none" });
    for (const taken of levels) {
      out.push({ pool, cidr, taken, fill: "sequential" }, { pool, cidr, taken, fill: "scattered" });
    }
  };
  add("/24", "10.0.0.0/24", [128, 253]); // 50 %, 99 %
  add("/8", "10.0.0.0/8", [MILLION]);
  add("/64", "fd00::/64", [MILLION]);
  return out;
}

function block(text: string): AddressBlock {
  const parsed = parseAddressBlock(text);
  if (!parsed.ok) throw new Error(`bad CIDR ${text}`);
  return parsed.block;
}

function poolOf(cidr: string): PoolDefinition {
  return {
    name: "bench",
    blocks: [block(cidr)],
    autoAssign: true,
    avoidBuggyIPs: false,
    labels: {},
  };
}

/** xorshift64*: reproducible offsets for the scattered fill. */
function randomOffsets(count: number, size: bigint): bigint[] {
  let state = 0x2545f4914f6cdd1dn;
  const mask64 = (1n << 64n) - 1n;
  const seen = new Set<bigint>();
  while (seen.size < count) {
    state ^= state >> 12n;
    state ^= (state << 25n) & mask64;
    state ^= state >> 27n;
    seen.add(((state * 0x2545f4914f6cdd1dn) & mask64) % size);
  }
  return [...seen];
}

function offsets(scenario: Scenario, size: bigint): Iterable<bigint> {
  if (scenario.fill === "scattered") return randomOffsets(scenario.taken, size);
  return (function* sequential(): Generator<bigint> {
    for (let i = 0n; i < BigInt(scenario.taken); i++) yield i;
  })();
}

function fill(allocator: Allocator, scenario: Scenario, b: AddressBlock): void {
  let i = 0;
  for (const offset of offsets(scenario, b.last - b.first + 1n)) {
    const holder: Holder = { serviceKey: `fill/s${i++}`, backendKey: "", ports: PORTS };
    allocator.hold({ family: b.family, value: b.first + offset }, "bench", holder);
  }
}

function collect(): number {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

/** Allocate (timed), hold, release: the fill level never changes. */
function measure(allocator: Allocator, family: IpFamily): Float64Array {
  const req: ServiceRequest = {
    key: "bench/probe",
    namespace: "bench",
    labels: {},
    families: [family],
    familyPolicy: "SingleStack",
    requestedIPs: [],
    backendKey: "",
    ports: PORTS,
  };
  const holder: Holder = { serviceKey: req.key, backendKey: "", ports: PORTS };
  const times = new Float64Array(MEASURED);
  for (let i = -WARMUP; i < MEASURED; i++) {
    const start = process.hrtime.bigint();
    const result = allocator.allocate(req);
    const elapsed = Number(process.hrtime.bigint() - start);
    if (!result.ok) throw new Error(`allocation failed: ${result.failure.message}`);
    for (const ip of result.allocation.ips) allocator.hold(ip, result.allocation.pool, holder);
    allocator.releaseService(req.key);
    if (i >= 0) times[i] = elapsed;
  }
  return times.sort();
}

function runScenario(scenario: Scenario, baseline: number): Result {
  const pool = poolOf(scenario.cidr);
  const allocator = new Allocator([pool]);
  const b = pool.blocks[0];
  if (b === undefined) throw new Error("pool without block");
  fill(allocator, scenario, b);
  const heap = collect();
  const times = measure(allocator, b.family);
  return {
    ...scenario,
    medianNs: Math.round(percentile(times, 0.5)),
    p99Ns: Math.round(percentile(times, 0.99)),
    heapMB: round1(heap / 2 ** 20),
    heapGrowthMB: round1((heap - baseline) / 2 ** 20),
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function line(r: Result): string {
  const taken = r.taken === MILLION ? "1,000,000" : String(r.taken);
  return [
    r.pool.padEnd(4),
    `taken ${taken.padStart(9)}`,
    r.fill.padEnd(10),
    `median ${String(r.medianNs).padStart(6)} ns`,
    `p99 ${String(r.p99Ns).padStart(6)} ns`,
    `heap ${r.heapMB.toFixed(1).padStart(7)} MB`,
    `(+${r.heapGrowthMB.toFixed(1)} MB over the empty process)`,
  ].join("  ");
}

export default function allocatorBench(): void {
  if (globalThis.gc === undefined) {
    console.log("note: run with --expose-gc for comparable heap figures");
  }
  console.log(
    `allocator bench: ${MEASURED} allocate() calls per scenario (after ${WARMUP} warm-up)`,
  );
  const results: Result[] = [];
  const baseline = collect();
  for (const scenario of scenarios()) {
    const result = runScenario(scenario, baseline);
    collect(); // the previous scenario's allocator is garbage now
    results.push(result);
    console.log(line(result));
  }
  const worstMedianNs = Math.max(...results.map((r) => r.medianNs));
  console.log(
    `worst median ${worstMedianNs} ns; target < ${TARGET_NS} ns: ${worstMedianNs < TARGET_NS ? "met" : "MISSED"}`,
  );
  console.log(
    JSON.stringify({
      bench: "allocator",
      targetNs: TARGET_NS,
      worstMedianNs,
      meetsTarget: worstMedianNs < TARGET_NS,
      scenarios: results,
    }),
  );
}
