// How Node runs the speaker and the controller. Their containers get these as
// NODE_OPTIONS and environment (workloads.ts); the lab and the benches start
// them with the same (test/lab/speaker-lab.ts, bench/reconciler-bench.ts), so
// what BENCHMARKS.md measures is what ships.
//
// Left to itself V8 sizes the heap for the machine: semi-spaces of up to
// 16 MB for the young generation and an old generation that grows lazily
// toward a quarter of memory. A speaker with about 40 MB of live objects sat
// at 210–260 MB RSS with 2,000 Services on a 23 GiB machine (BENCHMARKS.md
// "l2", speaker memory). Issue 5's target is 80 MB with 10,000 Services.

/** V8 options, in the order `node` takes them. */
export const SPEAKER_V8_OPTIONS: readonly string[] = [
  // 1 MB semi-spaces: more scavenges, each cheaper; the 20,000 requests/s ARP
  // flood answered as many requests at the same latency.
  "--max-semi-space-size=1",
  // Old space collected toward 128 MB instead of a quarter of the node's
  // memory: about twice the live heap at 10,000 Services.
  "--max-old-space-size=128",
];

/** Environment for the speaker and the controller processes. */
export const NODE_PROCESS_ENV: Readonly<Record<string, string>> = {
  // glibc keeps up to eight malloc arenas per core, each holding on to what
  // libuv's and V8's threads freed; two are enough for one event loop.
  MALLOC_ARENA_MAX: "2",
};

/**
 * The controller (reconciler): 8 MB semi-spaces, half V8's default, which
 * its cold start over 10,000 Services did not notice (35.9 s against 35–41 s
 * with 16 MB) while peak RSS fell from 185–205 MB to 173 MB (BENCHMARKS.md,
 * reconciler); old space is collected toward 160 MB, under issue 4's 200 MB
 * RSS target, instead of a quarter of the node.
 */
export const CONTROLLER_V8_OPTIONS: readonly string[] = [
  "--max-old-space-size=160",
  "--max-semi-space-size=8",
];
