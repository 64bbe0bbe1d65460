// `npm run bench -- l2 workers`: what moving the speaker's CPU work to a
// worker thread costs and saves, for docs/adr/0007-worker-threads.md. The
// worker is a plain node:worker_threads Worker: what a pool such as piscina
// does per task (postMessage, structured clone both ways) with none of its
// bookkeeping, so these are the least a pool could cost.
//  (a) planLayer2 on the main thread: its duration is the event-loop block.
//  (b) the same on a piscina worker: the main thread still pays the
//      structured clone of the snapshot (postMessage serialises synchronously)
//      and of the plan coming back; measured as the postMessage call and as
//      v8.deserialize of the plan, plus the event-loop delay (1 ms sampling)
//      while tasks run, and the time until the plan is back.
//  (c) ARP frames: decode + owns + encode of one request on the main thread,
//      against posting a batch of 64 frames (the addon's batch) to a worker
//      and getting the replies back.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { deserialize, serialize } from "node:v8";
import { Worker } from "node:worker_threads";
import { Counter } from "prom-client";
import { percentile, printJsonLine, round } from "../bench-stats.ts";
import {
  decodeArpFrame,
  encodeArpFrame,
  encodeArpReply,
  ZERO_MAC,
  BROADCAST_MAC,
} from "../../speaker/layer2/arp-codec.ts";
import { planLayer2 } from "../../speaker/layer2/l2-plan.ts";
import { benchIp, syntheticSnapshot } from "./synthetic-snapshot.ts";
import type { WorkerTask } from "./worker-costs-task.ts";

const RUNS = 15;

/** One worker thread, one task at a time: run() resolves with the task's result. */
class TaskWorker {
  readonly #worker = new Worker(new URL("./worker-costs-task.ts", import.meta.url));
  #next = 0;
  readonly #pending = new Map<number, (result: unknown) => void>();

  constructor() {
    this.#worker.on("message", (m: { id: number; result: unknown }) => {
      this.#pending.get(m.id)?.(m.result);
      this.#pending.delete(m.id);
    });
  }

  run(task: DistributiveOmit<WorkerTask, "id">): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#worker.postMessage({ ...task, id });
    });
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
const MAC = "02:00:00:00:00:0b";

function stats(samples: number[]): { median: number; p99: number } {
  return { median: round(percentile(samples, 50), 2), p99: round(percentile(samples, 99), 2) };
}

async function planCase(
  services: number,
  nodes: number,
  pool: TaskWorker,
): Promise<Record<string, unknown>> {
  const snapshot = syntheticSnapshot(services, nodes);
  const liveSpeakers = new Set(snapshot.nodes.map((n) => n.name));
  const task = { kind: "plan", snapshot, liveSpeakers, self: "node-1" } as const;
  const main: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    planLayer2(snapshot, liveSpeakers, "node-1");
    main.push(performance.now() - t);
  }
  const plan = planLayer2(snapshot, liveSpeakers, "node-1");
  const planBytes = serialize(plan);
  const back: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    deserialize(planBytes);
    back.push(performance.now() - t);
  }
  await pool.run(task); // the worker has loaded the planner
  const post: number[] = [];
  const total: number[] = [];
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const done = pool.run(task);
    post.push(performance.now() - t);
    await done;
    total.push(performance.now() - t);
  }
  eld.disable();
  return {
    services,
    nodes,
    snapshotBytes: serialize(task).length,
    planBytes: planBytes.length,
    mainMs: stats(main),
    workerPostMs: stats(post),
    workerResultCloneMs: stats(back),
    workerEventLoopDelayMaxMs: round(eld.max / 1e6 - 1, 1),
    workerTotalMs: stats(total),
  };
}

function requestFrames(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    encodeArpFrame({
      destinationMac: BROADCAST_MAC,
      sourceMac: "02:00:00:00:00:0a",
      op: "request",
      senderMac: "02:00:00:00:00:0a",
      senderIp: "192.0.2.10",
      targetMac: ZERO_MAC,
      targetIp: benchIp(i % 1_000),
    }),
  );
}

/** The arp-driver's per-frame work without the socket: decode, owns, encode. */
function answerAll(frames: readonly Uint8Array[], owned: ReadonlySet<string>): Uint8Array[] {
  const replies: Uint8Array[] = [];
  for (const bytes of frames) {
    const decoded = decodeArpFrame(bytes);
    if (!decoded.ok || !owned.has(decoded.frame.targetIp)) continue;
    replies.push(
      encodeArpReply({
        interfaceMac: MAC,
        ownedIp: decoded.frame.targetIp,
        request: decoded.frame,
      }),
    );
  }
  return replies;
}

const MAC_BYTES = Uint8Array.from(MAC.split(":"), (h) => Number.parseInt(h, 16));

/**
 * The same answer built from bytes (a prototype for ADR 0007, not the
 * speaker's code): check EtherType, operation and target IP in place, copy
 * fields into the reply.
 */
function fastReply(b: Uint8Array, owned: ReadonlySet<string>): Uint8Array | undefined {
  if (b.length < 42 || b[12] !== 0x08 || b[13] !== 0x06 || b[21] !== 1) return undefined;
  if (!owned.has(`${String(b[38])}.${String(b[39])}.${String(b[40])}.${String(b[41])}`)) {
    return undefined;
  }
  const r = new Uint8Array(60); // padded to the Ethernet minimum, as encodeArpFrame does
  r.set(b.subarray(6, 12), 0); // to the requester
  r.set(MAC_BYTES, 6);
  r.set(b.subarray(12, 20), 12); // EtherType, htype, ptype, hlen, plen
  r[21] = 2; // reply
  r.set(MAC_BYTES, 22);
  r.set(b.subarray(38, 42), 28); // sender IP = the owned IP asked for
  r.set(b.subarray(22, 32), 32); // target = the requester's MAC and IP
  return r;
}

async function frameCase(pool: TaskWorker): Promise<Record<string, unknown>> {
  const frames = requestFrames(64_000);
  const owned = new Set(Array.from({ length: 1_000 }, (_, i) => benchIp(i)));
  answerAll(frames, owned); // warm-up
  const t = performance.now();
  for (let r = 0; r < 5; r++) answerAll(frames, owned);
  const perFrameUs = ((performance.now() - t) * 1000) / (5 * frames.length);
  const t2 = performance.now();
  for (let r = 0; r < 5; r++) for (const f of frames) fastReply(f, owned);
  const fastPerFrameUs = ((performance.now() - t2) * 1000) / (5 * frames.length);
  // The driver also counts each request and reply per IP (two labelled incs).
  const counter = new Counter({
    name: "bench_frames",
    help: "-",
    labelNames: ["ip"],
    registers: [],
  });
  const ips = Array.from({ length: 1_000 }, (_, i) => benchIp(i));
  const t1 = performance.now();
  for (let i = 0; i < 200_000; i++) counter.inc({ ip: ips[i % 1_000] ?? "" });
  const countersPerFrameUs = (2 * (performance.now() - t1) * 1000) / 200_000;
  const batch = frames.slice(0, 64);
  await pool.run({ kind: "echo", frames: batch });
  const post: number[] = [];
  const roundTrip: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const t0 = performance.now();
    const done = pool.run({ kind: "echo", frames: batch });
    post.push((performance.now() - t0) * 1000);
    await done;
    roundTrip.push((performance.now() - t0) * 1000);
  }
  return {
    perFrameUs: round(perFrameUs, 2),
    countersPerFrameUs: round(countersPerFrameUs, 2),
    byteLevelPerFrameUs: round(fastPerFrameUs, 2),
    perBatchOf64Us: round(perFrameUs * 64, 1),
    workerPostBatchUs: stats(post),
    workerRoundTripBatchUs: stats(roundTrip),
  };
}

export async function workerCosts(args: readonly string[]): Promise<void> {
  const small = syntheticSnapshot(100, 3);
  const liveSpeakers = new Set(small.nodes.map((n) => n.name));
  planLayer2(small, liveSpeakers, "node-1");
  const rss0 = process.memoryUsage().rss;
  const pool = new TaskWorker();
  try {
    // The thread's own isolate with the planner loaded: what it adds to the speaker's RSS.
    await pool.run({ kind: "plan", snapshot: small, liveSpeakers, self: "node-1" });
    const workerRssMb = round((process.memoryUsage().rss - rss0) / 2 ** 20, 1);
    console.log(JSON.stringify({ workerRssMb }));
    const cases = args.includes("--quick")
      ? [[2_000, 3]]
      : [
          [10_000, 3],
          [10_000, 100],
          [1_000, 3],
        ];
    const plans: Record<string, unknown>[] = [];
    for (const [services = 0, nodes = 0] of cases) {
      const c = await planCase(services, nodes, pool);
      plans.push(c);
      console.log(JSON.stringify(c));
    }
    const frames = await frameCase(pool);
    console.log(JSON.stringify(frames));
    printJsonLine("l2-workers", { workerRssMb, plans, frames });
  } finally {
    await pool.close();
  }
}
