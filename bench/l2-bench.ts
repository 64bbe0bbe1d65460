// `npm run bench -- l2 [--quick]`: one speaker in a namespace LAN (one node
// and a client, speaker-lab.ts) against a local control plane.
//  1. 1,000 LoadBalancer Services with an IP and an EndpointSlice; once the
//     speaker announces them all, bench/l2/arp-flood.ts in the client sends
//     20,000 ARP requests/s for those 1,000 IPs and matches every reply to its
//     request: replies/s sustained, reply latency p50/p99. The speaker's
//     event-loop delay over the flood comes from its own /metrics
//     (prom-client's monitorEventLoopDelay histogram, reset at every scrape:
//     one scrape right before the flood, one right after), and its counters
//     say how many requests it read at all.
//  2. 9,000 more Services while the speaker runs (event-loop delay over that
//     churn, per 1 s poll), then, once it announces all 10,000, its VmRSS and
//     VmHWM from /proc (the lab's PID is the speaker's own): 5 s after the
//     last change, and again after the speaker's heap trim (speaker/heap-trim.ts,
//     10 s after the last change), which is the figure the target is about.
//     The flood also starts after the trim that follows the first 1,000.
// --quick: 2,000 Services, a 3 s flood. --speaker-node-options=…: NODE_OPTIONS
// for the speaker (a heap limit, --heapsnapshot-signal; see heapSnapshot()).
// `npm run bench -- l2 workers`: the worker-thread measurements of ADR 0007
// (bench/l2/worker-costs.ts), no namespaces needed.
import type { ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CoreV1Api,
  DiscoveryV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from "@kubernetes/client-node";
import { loadKubeConfig } from "../core/kube/kube-config.ts";
import { createSpeakerLab, l2Pool, type SpeakerLab } from "../test/lab/speaker-lab.ts";
import { repoRoot } from "../test/control-plane/binaries.ts";
import { printJsonLine, round } from "./bench-stats.ts";
import { cpuSeconds } from "./process-cpu.ts";
import type { FloodSummary } from "./l2/arp-flood.ts";
import { benchIp } from "./l2/synthetic-snapshot.ts";

const SERVICE_NAMESPACE = "bench";
const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const FLOOD_IPS = 1_000;
const FLOOD_RATE = 20_000;
/** prom-client samples the event loop every 10 ms and records the whole interval. */
const ELD_RESOLUTION_S = 0.01;
/** Creating 9,000 Services took 573 s on a loaded 2-core machine. */
const WAIT_MS = 1_800_000;

interface Sizes {
  readonly services: number;
  readonly floodSeconds: number;
}

async function createServices(kc: KubeConfig, from: number, to: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  let next = from;
  const one = async (i: number): Promise<void> => {
    const name = `svc-${String(i)}`;
    const namespace = SERVICE_NAMESPACE;
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name, annotations: { "metallb.io/ip-allocated-from-pool": "bench" } },
        spec: {
          type: "LoadBalancer",
          allocateLoadBalancerNodePorts: false,
          ports: [{ name: "http", port: 80, protocol: "TCP" }],
        },
      },
    });
    await core.patchNamespacedServiceStatus(
      {
        name,
        namespace,
        body: { status: { loadBalancer: { ingress: [{ ip: benchIp(i) }] } } },
      },
      MERGE,
    );
    await discovery.createNamespacedEndpointSlice({
      namespace,
      body: {
        metadata: {
          name: `${name}-bench`,
          labels: { "kubernetes.io/service-name": name },
        },
        addressType: "IPv4",
        endpoints: [
          { addresses: ["192.0.2.11"], nodeName: "n1", conditions: { ready: true, serving: true } },
        ],
        ports: [{ name: "http", port: 80, protocol: "TCP" }],
      },
    });
  };
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < to; i = next++) await one(i);
    }),
  );
}

async function scrape(lab: SpeakerLab): Promise<string> {
  return lab.lan.exec("n1", ["curl", "-sf", "--max-time", "20", "http://127.0.0.1:7472/metrics"], {
    timeoutMs: 30_000,
  });
}

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
  return Number(match?.[1] ?? "NaN");
}

/** Sum of a counter over all its label sets. */
function total(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

function announcedCount(text: string): number {
  return text.split("\n").filter((l) => l.startsWith("metallb_speaker_announced{")).length;
}

/** Event-loop delay since the previous scrape, ms: p99 and max beyond the 10 ms sampling period. */
function eventLoopDelay(text: string): { p99Ms: number; maxMs: number } {
  const beyond = (s: number): number => round(Math.max(0, s - ELD_RESOLUTION_S) * 1000, 1);
  return {
    p99Ms: beyond(metric(text, "nodejs_eventloop_lag_p99_seconds")),
    maxMs: beyond(metric(text, "nodejs_eventloop_lag_max_seconds")),
  };
}

async function memory(pid: number): Promise<{ rssMb: number; hwmMb: number }> {
  const status = await readFile(`/proc/${String(pid)}/status`, "utf8");
  const kb = (field: string): number =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? "NaN");
  return { rssMb: round(kb("VmRSS") / 1024, 1), hwmMb: round(kb("VmHWM") / 1024, 1) };
}

const TRIMS = "metallb_ts_speaker_heap_trim_duration_seconds_count";
const TRIM_SECONDS = "metallb_ts_speaker_heap_trim_duration_seconds_sum";

/**
 * Waits for the speaker's next heap trim (its count above the one in
 * `before`, a scrape), then 2 s more for the freed pages to leave RSS.
 * Returns how long the new trims took, ms (mean, usually of one).
 */
async function nextTrim(lab: SpeakerLab, before: string): Promise<number> {
  const count0 = metric(before, TRIMS) || 0;
  const sum0 = metric(before, TRIM_SECONDS) || 0;
  const deadline = performance.now() + 120_000;
  while (performance.now() < deadline) {
    const text = await scrape(lab);
    const count = metric(text, TRIMS);
    if (count > count0) {
      await sleep(2_000);
      return round(((metric(text, TRIM_SECONDS) - sum0) / (count - count0)) * 1000, 1);
    }
    await sleep(1_000);
  }
  throw new Error("the speaker did not trim its heap within 120 s of the last change");
}

/**
 * Polls the speaker's metrics until it announces `count` IPs; fails at once
 * if it exits. Every scrape resets the event-loop histogram, so the delay is
 * kept per poll interval: the worst interval's p99 and the overall max.
 */
async function waitAnnounced(
  lab: SpeakerLab,
  speaker: ChildProcess,
  count: number,
): Promise<{ p99Ms: number; maxMs: number }> {
  const worst = { p99Ms: 0, maxMs: 0 };
  const deadline = performance.now() + WAIT_MS;
  while (performance.now() < deadline) {
    if (speaker.exitCode !== null || speaker.signalCode !== null) {
      throw new Error(`the speaker exited: see ${lab.speakerLog("n1")}`);
    }
    const text = await scrape(lab).catch(() => "");
    if (text !== "") {
      const eld = eventLoopDelay(text);
      worst.p99Ms = Math.max(worst.p99Ms, eld.p99Ms);
      worst.maxMs = Math.max(worst.maxMs, eld.maxMs);
    }
    if (announcedCount(text) >= count) return worst;
    await sleep(1_000);
  }
  throw new Error(
    `the speaker did not announce ${String(count)} IPs within ${String(WAIT_MS / 1000)} s`,
  );
}

async function setUp(lab: SpeakerLab): Promise<void> {
  await lab.apply([
    ...l2Pool("bench", ["198.18.0.0/15"]),
    { apiVersion: "v1", kind: "Namespace", metadata: { name: SERVICE_NAMESPACE } },
  ]);
}

async function flood(lab: SpeakerLab, pid: number, seconds: number) {
  const ips = Array.from({ length: FLOOD_IPS }, (_, i) => benchIp(i));
  const m0 = await scrape(lab); // also resets the event-loop histogram
  const cpu0 = await cpuSeconds(pid);
  const out = await lab.lan.exec(
    "client",
    [
      process.execPath,
      join(repoRoot, "bench/l2/arp-flood.ts"),
      "eth0",
      String(FLOOD_RATE),
      String(seconds),
      ...ips,
    ],
    { timeoutMs: (seconds + 60) * 1000 },
  );
  const cpu = (await cpuSeconds(pid)) - cpu0;
  const m1 = await scrape(lab);
  const eld = eventLoopDelay(m1);
  const summary = JSON.parse(out) as FloodSummary;
  // What the speaker's JavaScript saw and sent: requests missing here were
  // dropped before it read them (the socket's receive buffer).
  const seen = (name: string): number => total(m1, name) - total(m0, name);
  return {
    summary,
    eld,
    cpuPercent: round((cpu / summary.sendSeconds) * 100, 1),
    // Independent of how much CPU the machine left the speaker.
    cpuUsPerReply: round((cpu * 1e6) / Math.max(1, seen("metallb_layer2_responses_sent")), 1),
    received: seen("metallb_layer2_requests_received"),
    responded: seen("metallb_layer2_responses_sent"),
  };
}

/**
 * `--heap-snapshot` with `--speaker-node-options="--heapsnapshot-signal=SIGUSR2
 * --diagnostic-dir=DIR"`: the speaker writes a heap snapshot into DIR once it
 * announces everything (after the memory figures are read).
 */
async function heapSnapshot(speaker: ChildProcess): Promise<void> {
  speaker.kill("SIGUSR2");
  await sleep(30_000);
}

/**
 * `--speaker-node-options=…`: NODE_OPTIONS for the speaker only (e.g. a heap
 * limit). Node takes only the V8 flags on its allow-list there (`node --help`
 * names them: --max-old-space-size, --max-semi-space-size, --jitless, …);
 * any other, such as --optimize-for-size, makes the speaker exit at once with
 * "… is not allowed in NODE_OPTIONS" in its log.
 */
function nodeOptions(args: readonly string[]): string | undefined {
  const flag = args.find((a) => a.startsWith("--speaker-node-options="));
  return flag?.slice("--speaker-node-options=".length);
}

async function startSpeaker(lab: SpeakerLab, options: string | undefined): Promise<ChildProcess> {
  const saved = process.env.NODE_OPTIONS;
  if (options !== undefined) process.env.NODE_OPTIONS = options;
  try {
    return await lab.startSpeaker("n1");
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  }
}

export default async function l2Bench(args: readonly string[]): Promise<void> {
  if (args[0] === "workers") {
    const { workerCosts } = await import("./l2/worker-costs.ts");
    await workerCosts(args.slice(1));
    return;
  }
  const sizes: Sizes = args.includes("--quick")
    ? { services: 2_000, floodSeconds: 3 }
    : { services: 10_000, floodSeconds: 15 };
  const lab = await createSpeakerLab({ prefix: "l2b", nodes: 1, client: true });
  try {
    await setUp(lab);
    const kc = loadKubeConfig(lab.cp.kubeconfig);
    const speaker = await startSpeaker(lab, nodeOptions(args));
    const pid = speaker.pid ?? 0;
    await createServices(kc, 0, FLOOD_IPS);
    await waitAnnounced(lab, speaker, FLOOD_IPS);
    await nextTrim(lab, "");
    const before = await memory(pid);
    const f = await flood(lab, pid, sizes.floodSeconds);
    const s = f.summary;
    console.log(
      `ARP flood: ${String(s.sent)} requests at ${String(FLOOD_RATE)}/s for ${String(FLOOD_IPS)} owned IPs over ${round(s.sendSeconds, 1).toString()} s`,
    );
    console.log(
      `  answered ${String(s.answered)} (${round((100 * s.answered) / s.sent, 2).toString()} %), duplicates ${String(s.duplicates)}, wrong ${String(s.wrongAnswers)}, from ${s.replyMacs.join(", ")}`,
    );
    console.log(
      `  the speaker read ${String(f.received)} of the requests and sent ${String(f.responded)} replies`,
    );
    console.log(`  replies/s sustained ${round(s.repliesPerSecond, 0).toString()}`);
    console.log(
      `  reply latency p50 ${round(s.p50Ms, 3).toString()} ms, p99 ${round(s.p99Ms, 3).toString()} ms, max ${round(s.maxMs, 1).toString()} ms`,
    );
    console.log(
      `  speaker event-loop delay p99 ${f.eld.p99Ms.toString()} ms, max ${f.eld.maxMs.toString()} ms; speaker CPU ${f.cpuPercent.toString()} %, ${f.cpuUsPerReply.toString()} µs per reply`,
    );

    await scrape(lab);
    const churnStart = performance.now();
    const [, churnEld] = await Promise.all([
      createServices(kc, FLOOD_IPS, sizes.services),
      waitAnnounced(lab, speaker, sizes.services),
    ]);
    const churnSeconds = (performance.now() - churnStart) / 1000;
    await sleep(5_000);
    const untrimmed = await memory(pid);
    const trimMs = await nextTrim(lab, await scrape(lab));
    const mem = await memory(pid);
    if (args.includes("--heap-snapshot")) await heapSnapshot(speaker);
    const text = await scrape(lab);
    const heapMb = round(metric(text, "nodejs_heap_size_used_bytes") / 2 ** 20, 1);
    console.log(
      `${String(sizes.services - FLOOD_IPS)} more Services created and announced in ${round(churnSeconds, 1).toString()} s; event-loop delay meanwhile: worst 1 s interval's p99 ${churnEld.p99Ms.toString()} ms, max ${churnEld.maxMs.toString()} ms`,
    );
    console.log(
      `speaker with ${String(sizes.services)} Services: VmRSS ${mem.rssMb.toString()} MB (target < 80) after its heap trim (${trimMs.toString()} ms), ${untrimmed.rssMb.toString()} MB 5 s after the last change; VmHWM ${mem.hwmMb.toString()} MB, heap used ${heapMb.toString()} MB`,
    );
    printJsonLine("l2", {
      quick: args.includes("--quick"),
      speakerNodeOptions: nodeOptions(args) ?? "",
      rssBeforeFloodMb: before.rssMb,
      floodRate: FLOOD_RATE,
      floodIps: FLOOD_IPS,
      sent: s.sent,
      answered: s.answered,
      duplicates: s.duplicates,
      speakerReceived: f.received,
      speakerResponded: f.responded,
      repliesPerSecond: round(s.repliesPerSecond, 0),
      latencyP50Ms: round(s.p50Ms, 3),
      latencyP99Ms: round(s.p99Ms, 3),
      floodEventLoopDelayP99Ms: f.eld.p99Ms,
      floodEventLoopDelayMaxMs: f.eld.maxMs,
      floodSpeakerCpuPercent: f.cpuPercent,
      floodCpuUsPerReply: f.cpuUsPerReply,
      services: sizes.services,
      churnSeconds: round(churnSeconds, 1),
      churnEventLoopDelayP99Ms: churnEld.p99Ms,
      churnEventLoopDelayMaxMs: churnEld.maxMs,
      rssUntrimmedMb: untrimmed.rssMb,
      heapTrimMs: trimMs,
      rssMb: mem.rssMb,
      hwmMb: mem.hwmMb,
      heapMb,
    });
  } finally {
    await lab.destroy();
  }
}
