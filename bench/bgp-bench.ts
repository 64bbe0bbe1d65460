// `npm run bench -- bgp [--quick]`: the speaker over BGP against FRR (issue 6).
// A local control plane, three node namespaces and a router namespace
// running FRR (bgpd + zebra), speaker-lab.ts. Figures:
//  1. create → route, including admission: our webhook (assigns the IP in the
//     create call) and reconciler running, three speakers Established; 100
//     Services created at 5/s (each with its EndpointSlice written
//     beforehand), timing the create call's start → the prefix in the
//     router's kernel FIB (FRR's RIB → zebra → kernel, seen by
//     `ip monitor route`: event driven, no vtysh polling) with one path and
//     with all three; then delete → prefix gone.
//  2. RIB load: speakers stopped, webhook and reconciler stopped, 10,000
//     Services created through the API (IPs in 100.64.64.0/18 written to
//     status); one speaker started; time from its session's Established
//     (its own log line) → FRR's `show bgp ipv4 unicast summary json` pfxRcd
//     reaches 10,000; its VmRSS and VmHWM; then the other two speakers.
//  3. create → route again with those 10,000 Services present and three
//     speakers (webhook only: see BENCHMARKS.md).
// --quick: 1,000 Services, 20 paced creates.
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, DiscoveryV1Api, type KubeConfig } from "@kubernetes/client-node";
import { loadKubeConfig } from "../core/kube/kube-config.ts";
import { waitFor } from "../test/lab/exec.ts";
import { startFrr, type Frr } from "../test/lab/frr.ts";
import { createSpeakerLab, NAMESPACE, type SpeakerLab } from "../test/lab/speaker-lab.ts";
import { percentile, printJsonLine, round } from "./bench-stats.ts";
import { startControllers } from "./bgp/controllers.ts";
import { bgpPeers } from "./bgp/frr-peers.ts";
import { paced } from "./bgp/paced.ts";
import { processMemory } from "./bgp/process-memory.ts";
import { RouteMonitor } from "./bgp/route-monitor.ts";
import { sessionEstablishedAt } from "./bgp/session-log.ts";
import {
  BULK_POOL,
  bulkIp,
  createBulkServices,
  createEndpointSlice,
  inParallel,
} from "./bgp/services.ts";

const NODES = ["n1", "n2", "n3"] as const;
const SPEAKER_ASN = 64513;
const ROUTER_ASN = 64512;
/** Shared address space (RFC 6598): only ever inside the lab's namespaces. */
const PACED_POOL = "100.64.0.0/24";
const RATE_PER_S = 5;
/** How long one route may take before the bench gives up (seconds-long delays were seen at 10,000 Services on a busy machine). */
const TIMEOUT_MS = 180_000;

interface Sizes {
  readonly bulk: number;
  readonly paced: number;
}

interface Latencies {
  /** The speaker in n1: recomputes during the phase and their mean duration. */
  readonly plans: { count: number; meanMs: number };
  /** The create call alone (admission included). */
  readonly createCall: number[];
  readonly firstPath: number[];
  readonly allPaths: number[];
  readonly withdraw: number[];
  readonly assignedInResponse: number;
}

async function configure(lab: SpeakerLab): Promise<void> {
  const metallb = (kind: string, name: string, spec: Record<string, unknown>): unknown => ({
    apiVersion: kind === "BGPPeer" ? "metallb.io/v1beta2" : "metallb.io/v1beta1",
    kind,
    metadata: { name, namespace: NAMESPACE },
    spec,
  });
  await lab.apply([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "paced" } },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "bulk" } },
    metallb("IPAddressPool", "paced", { addresses: [PACED_POOL] }),
    metallb("IPAddressPool", "bulk", { addresses: [BULK_POOL], autoAssign: false }),
    metallb("BGPPeer", "rtr", {
      peerAddress: lab.lan.host("rtr").ipv4,
      myASN: SPEAKER_ASN,
      peerASN: ROUTER_ASN,
      holdTime: "9s",
    }),
    metallb("BGPAdvertisement", "all", {}),
  ]);
}

async function waitEstablished(lab: SpeakerLab, frr: Frr, nodes: readonly string[]) {
  await waitFor(
    `FRR sessions with ${nodes.join(", ")} Established`,
    async () => {
      const peers = await bgpPeers(frr);
      return nodes.every((n) => peers[lab.lan.host(n).ipv4]?.state === "Established");
    },
    { timeoutMs: 60_000, stepMs: 100 },
  );
}

/** One paced Service: create (timed from the call's start) → FIB, then kept for the withdraw phase. */
async function createOne(
  core: CoreV1Api,
  monitor: RouteMonitor,
  name: string,
): Promise<{
  ip: string;
  createCall: number;
  firstPath: number;
  allPaths: number;
  inResponse: boolean;
}> {
  const t0 = performance.now();
  const svc = await core.createNamespacedService({
    namespace: "paced",
    body: {
      metadata: { name, annotations: { "metallb.io/address-pool": "paced" } },
      spec: {
        type: "LoadBalancer",
        allocateLoadBalancerNodePorts: false,
        ports: [{ name: "http", port: 80, protocol: "TCP" }],
      },
    },
  });
  const createCall = performance.now() - t0;
  const annotated = svc.metadata?.annotations?.["metallb.io/allocated-ips"];
  const ip =
    annotated ??
    (await waitFor(`an IP for ${name}`, async () => {
      const s = await core.readNamespacedService({ name, namespace: "paced" });
      return s.status?.loadBalancer?.ingress?.[0]?.ip;
    }));
  const prefix = `${ip}/32`;
  const opts = { timeoutMs: TIMEOUT_MS };
  const [first, all] = await Promise.all([
    monitor.when((e) => e.prefix === prefix && !e.deleted, t0, { ...opts, what: prefix }),
    monitor.when((e) => e.prefix === prefix && !e.deleted && e.nexthops === NODES.length, t0, {
      ...opts,
      what: `${prefix} with ${String(NODES.length)} next hops`,
    }),
  ]);
  return {
    ip,
    createCall,
    firstPath: first - t0,
    allPaths: all - t0,
    inResponse: annotated !== undefined,
  };
}

/** `count` Services created at RATE_PER_S, then deleted at the same pace. */
async function pacedPhase(
  lab: SpeakerLab,
  kc: KubeConfig,
  count: number,
  tag: string,
): Promise<Latencies> {
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const names = Array.from({ length: count }, (_, i) => `${tag}-${String(i)}`);
  const endpoints = NODES.map((n) => ({ node: n, address: lab.lan.host(n).ipv4 }));
  await inParallel(count, 8, (i) =>
    createEndpointSlice(discovery, "paced", names[i] ?? "", endpoints),
  );
  const monitor = new RouteMonitor(lab.lan.nsOf("rtr"));
  try {
    await sleep(500);
    const plan0 = await planTotals(lab);
    const created = await paced(names, RATE_PER_S, (name) => createOne(core, monitor, name));
    const withdraw = await paced(created, RATE_PER_S, async (c, i) => {
      const t0 = performance.now();
      await core.deleteNamespacedService({ name: names[i] ?? "", namespace: "paced" });
      const gone = await monitor.when((e) => e.prefix === `${c.ip}/32` && e.deleted, t0, {
        timeoutMs: TIMEOUT_MS,
        what: `${c.ip}/32 withdrawn`,
      });
      return gone - t0;
    });
    await inParallel(count, 8, async (i) => {
      await discovery.deleteNamespacedEndpointSlice({
        name: `${names[i] ?? ""}-bench`,
        namespace: "paced",
      });
    });
    const plan1 = await planTotals(lab);
    const plans = plan1.count - plan0.count;
    return {
      plans: { count: plans, meanMs: round(((plan1.sum - plan0.sum) / plans) * 1000, 1) },
      createCall: created.map((c) => c.createCall),
      firstPath: created.map((c) => c.firstPath),
      allPaths: created.map((c) => c.allPaths),
      withdraw,
      assignedInResponse: created.filter((c) => c.inResponse).length,
    };
  } finally {
    monitor.stop();
  }
}

/** n1's speaker: its recompute histogram's count and sum (seconds). */
async function planTotals(lab: SpeakerLab): Promise<{ count: number; sum: number }> {
  const text = await lab.lan.exec(
    "n1",
    ["curl", "-sf", "--max-time", "20", "http://127.0.0.1:7472/metrics"],
    { timeoutMs: 30_000 },
  );
  const value = (name: string): number =>
    Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? "NaN");
  return {
    count: value("metallb_ts_speaker_plan_duration_seconds_count"),
    sum: value("metallb_ts_speaker_plan_duration_seconds_sum"),
  };
}

/**
 * Epoch ms of the speaker's first "BGP session established" log line after
 * `offset`. The logger writes asynchronously, so the line can land after FRR
 * already holds the routes: wait for it (its timestamp is when it was logged).
 */
async function establishedAt(lab: SpeakerLab, node: string, offset: number): Promise<number> {
  return waitFor(
    `"BGP session established" in ${lab.speakerLog(node)}`,
    async () => sessionEstablishedAt((await readFile(lab.speakerLog(node), "utf8")).slice(offset)),
    { timeoutMs: 30_000, stepMs: 100 },
  );
}

interface LoadResult {
  readonly node: string;
  readonly pid: number;
  /** Process start → Established (includes the initial list of every object). */
  readonly startToEstablishedMs: number;
  /** Established → FRR's pfxRcd for this node reaches the count. */
  readonly establishedToRibMs: number;
}

/** Starts speakers in `nodes` together; times Established → FRR has `count` prefixes from each. */
async function ribLoad(
  lab: SpeakerLab,
  frr: Frr,
  nodes: readonly string[],
  count: number,
): Promise<LoadResult[]> {
  const offsets = await Promise.all(
    nodes.map(async (n) => (await readFile(lab.speakerLog(n), "utf8").catch(() => "")).length),
  );
  const started = Date.now();
  const children = await Promise.all(nodes.map((n) => lab.startSpeaker(n)));
  const full = new Map<string, number>();
  await waitFor(
    `FRR pfxRcd ${String(count)} from ${nodes.join(", ")}`,
    async () => {
      const peers = await bgpPeers(frr);
      const now = Date.now();
      for (const n of nodes) {
        if (!full.has(n) && (peers[lab.lan.host(n).ipv4]?.pfxRcd ?? 0) >= count) full.set(n, now);
      }
      return full.size === nodes.length;
    },
    { timeoutMs: 300_000, stepMs: 10 },
  );
  return Promise.all(
    nodes.map(async (node, i) => {
      const established = await establishedAt(lab, node, offsets[i] ?? 0);
      return {
        node,
        pid: children[i]?.pid ?? 0,
        startToEstablishedMs: established - started,
        establishedToRibMs: (full.get(node) ?? Number.NaN) - established,
      };
    }),
  );
}

function stats(samples: readonly number[]): { p50: number; p99: number; max: number } {
  return {
    p50: round(percentile(samples, 50), 1),
    p99: round(percentile(samples, 99), 1),
    max: round(Math.max(...samples), 1),
  };
}

function printPaced(title: string, l: Latencies): void {
  const c = stats(l.createCall);
  const f = stats(l.firstPath);
  const a = stats(l.allPaths);
  const w = stats(l.withdraw);
  console.log(title);
  console.log(
    `  the create call alone       p50 ${String(c.p50)} ms  p99 ${String(c.p99)} ms  max ${String(c.max)} ms`,
  );
  console.log(
    `  IP in the create response: ${String(l.assignedInResponse)}/${String(l.firstPath.length)}`,
  );
  console.log(
    `  create → first path in FIB  p50 ${String(f.p50)} ms  p99 ${String(f.p99)} ms  max ${String(f.max)} ms (target p99 < 200 ms)`,
  );
  console.log(
    `  create → all 3 paths        p50 ${String(a.p50)} ms  p99 ${String(a.p99)} ms  max ${String(a.max)} ms`,
  );
  console.log(
    `  delete → gone from FIB      p50 ${String(w.p50)} ms  p99 ${String(w.p99)} ms  max ${String(w.max)} ms`,
  );
  console.log(
    `  n1's speaker recomputed ${String(l.plans.count)} times, ${String(l.plans.meanMs)} ms each on average (metallb_ts_speaker_plan_duration_seconds)`,
  );
}

function pacedFigures(prefix: string, l: Latencies): Record<string, number> {
  const c = stats(l.createCall);
  const f = stats(l.firstPath);
  const a = stats(l.allPaths);
  const w = stats(l.withdraw);
  return {
    [`${prefix}_create_call_p50_ms`]: c.p50,
    [`${prefix}_create_call_p99_ms`]: c.p99,
    [`${prefix}_create_first_p50_ms`]: f.p50,
    [`${prefix}_create_first_p99_ms`]: f.p99,
    [`${prefix}_create_all_p50_ms`]: a.p50,
    [`${prefix}_create_all_p99_ms`]: a.p99,
    [`${prefix}_withdraw_p50_ms`]: w.p50,
    [`${prefix}_withdraw_p99_ms`]: w.p99,
    [`${prefix}_ip_in_response`]: l.assignedInResponse,
    [`${prefix}_plans`]: l.plans.count,
    [`${prefix}_plan_mean_ms`]: l.plans.meanMs,
  };
}

async function startRouter(lab: SpeakerLab): Promise<Frr> {
  return startFrr(lab.lan, {
    asn: ROUTER_ASN,
    routerId: lab.lan.host("rtr").ipv4,
    peers: NODES.map((n) => ({ address: lab.lan.host(n).ipv4, asn: SPEAKER_ASN, passive: true })),
    zebra: true,
    keepalive: 3,
    holdTime: 9,
  });
}

export default async function bgpBench(args: readonly string[]): Promise<void> {
  const quick = args.includes("--quick");
  const sizes: Sizes = quick ? { bulk: 1_000, paced: 20 } : { bulk: 10_000, paced: 100 };
  const lab = await createSpeakerLab({ prefix: "bgpb", nodes: 3, client: false, router: true });
  try {
    const frr = await startRouter(lab);
    await configure(lab);
    const kc = loadKubeConfig(lab.cp.kubeconfig);

    // 1. create → route with admission, small cluster.
    const controllers = await startControllers(lab);
    for (const n of NODES) await lab.startSpeaker(n);
    await waitEstablished(lab, frr, NODES);
    const small = await pacedPhase(lab, kc, sizes.paced, "a");
    await controllers.stop();
    printPaced(
      `create → route with admission (webhook + reconciler), ${String(sizes.paced)} Services at ${String(RATE_PER_S)}/s, 3 speakers, no other Services:`,
      small,
    );

    // 2. RIB load.
    for (const n of NODES) await lab.stopSpeaker(n);
    const t0 = performance.now();
    await createBulkServices(kc, {
      namespace: "bulk",
      count: sizes.bulk,
      pool: "bulk",
      ip: bulkIp,
      endpoints: [{ node: "n1", address: lab.lan.host("n1").ipv4 }],
    });
    const createSeconds = round((performance.now() - t0) / 1000, 1);
    console.log(
      `${String(sizes.bulk)} Services (+ status + EndpointSlice) created in ${String(createSeconds)} s`,
    );
    const [one] = await ribLoad(lab, frr, ["n1"], sizes.bulk);
    if (one === undefined) throw new Error("no result for n1");
    await sleep(2_000);
    const mem = await processMemory(one.pid);
    console.log(
      `one speaker: start → Established ${String(one.startToEstablishedMs)} ms; Established → ${String(sizes.bulk)} prefixes in FRR's RIB ${String(one.establishedToRibMs)} ms (target < 2,000 ms)`,
    );
    console.log(
      `speaker with ${String(sizes.bulk)} prefixes announced: VmRSS ${String(mem.rssMb)} MB, VmHWM ${String(mem.hwmMb)} MB`,
    );
    const others = await ribLoad(lab, frr, ["n2", "n3"], sizes.bulk);
    for (const o of others) {
      console.log(
        `  ${o.node} (started with another speaker): start → Established ${String(o.startToEstablishedMs)} ms; Established → ${String(sizes.bulk)} prefixes ${String(o.establishedToRibMs)} ms`,
      );
    }

    // 3. create → route at scale (webhook only: the reconciler would work
    // through 10,000 Services that have no claims).
    const webhookOnly = await startControllers(lab, { reconciler: false });
    const large = await pacedPhase(lab, kc, sizes.paced, "b");
    await webhookOnly.stop();
    printPaced(
      `create → route with admission (webhook), with the ${String(sizes.bulk)} Services present:`,
      large,
    );

    printJsonLine("bgp", {
      quick,
      services: sizes.bulk,
      established_to_rib_ms: one.establishedToRibMs,
      start_to_established_ms: one.startToEstablishedMs,
      others_established_to_rib_ms: others.map((o) => o.establishedToRibMs),
      speaker_rss_mb: mem.rssMb,
      speaker_hwm_mb: mem.hwmMb,
      paced: sizes.paced,
      rate_per_s: RATE_PER_S,
      ...pacedFigures("small", small),
      ...pacedFigures("large", large),
    });
  } finally {
    await lab.destroy();
  }
}
