// `npm run bench -- reconciler`: the reconciler (a child process running
// `metallb-ts reconciler`) against one local control plane. 10,000
// LoadBalancer Services are created with no webhook and no reconciler; then
// the reconciler starts cold and assigns and publishes them all (time until
// every Service has status); then Services are created at 50/s and the time
// from each create to its status is measured from a watch, split at the
// create call's answer (before it: the API server; after: the reconciler);
// then 50 are created at once. The reconciler runs as the controller's
// ServiceAccount with its RBAC, as in a cluster. Peak RSS is the child's VmHWM.
// The cold start's CPU per process (control plane, reconciler, this bench)
// says where the machine's cores went (bench/process-cpu.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, KubeConfig, Watch, type V1Service } from "@kubernetes/client-node";
import { loadKubeConfig } from "../core/kube/kube-config.ts";
import { componentRbac, SERVICE_ACCOUNTS } from "../manifests/install/rbac.ts";
import { CONTROLLER_V8_OPTIONS, NODE_PROCESS_ENV } from "../manifests/install/runtime.ts";
import {
  applyAt,
  freePort,
  kubectlAt,
  serviceAccountKubeconfig,
  startControlPlane,
  type ControlPlane,
} from "../test/control-plane/cluster.ts";
import { repoRoot } from "../test/control-plane/binaries.ts";
import { percentile, printJsonLine, round } from "./bench-stats.ts";
import { installCrds } from "./install-crds.ts";
import { controlPlanePids, cpuSeconds, cpuSecondsOf } from "./process-cpu.ts";

const NAMESPACE = "bench";

function service(name: string): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: NAMESPACE },
    // 10,000 would exhaust the NodePort range (30000-32767).
    spec: {
      type: "LoadBalancer",
      allocateLoadBalancerNodePorts: false,
      selector: { app: name },
      ports: [{ port: 80 }],
    },
  };
}

async function createMany(core: CoreV1Api, names: string[], parallel: number): Promise<void> {
  const queue = [...names];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        await core.createNamespacedService({ namespace: NAMESPACE, body: service(n) });
      }
    }),
  );
}

interface StatusWatch {
  /** Service name → when its status first showed an IP (performance.now()). */
  readonly published: Map<string, number>;
  stop(): void;
}

/** Watches the bench namespace's Services for the first status with an IP. */
async function watchStatus(kc: KubeConfig): Promise<StatusWatch> {
  const published = new Map<string, number>();
  const req = await new Watch(kc).watch(
    `/api/v1/namespaces/${NAMESPACE}/services`,
    {},
    (_type: string, obj: V1Service) => {
      const name = obj.metadata?.name ?? "";
      if (!published.has(name) && (obj.status?.loadBalancer?.ingress ?? []).length > 0) {
        published.set(name, performance.now());
      }
    },
    () => undefined,
  );
  return {
    published,
    stop: () => {
      req.abort();
    },
  };
}

async function peakRssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? "NaN");
  return kb / 1024;
}

async function heapMb(port: number): Promise<string> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  const used = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? "NaN");
  const rss = Number(/^process_resident_memory_bytes (\S+)/m.exec(text)?.[1] ?? "NaN");
  return `heap used ${round(used / 2 ** 20, 1)} MB, RSS now ${round(rss / 2 ** 20, 1)} MB`;
}

function startReconcilerProcess(kubeconfig: string, metricsPort: number): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      // The controller container's heap sizing (and its environment, below).
      ...CONTROLLER_V8_OPTIONS,
      // e.g. RECONCILER_NODE_ARGS=--cpu-prof to profile the reconciler.
      ...(process.env.RECONCILER_NODE_ARGS ?? "").split(" ").filter((a) => a !== ""),
      join(repoRoot, "bin/metallb-ts.js"),
      "reconciler",
      `--kubeconfig=${kubeconfig}`,
      "--service-ip-families=IPv4",
      "--no-leader-elect",
      `--metrics-port=${metricsPort}`,
      "--log-level=warn",
    ],
    { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...NODE_PROCESS_ENV } },
  );
  return child;
}

/** CPU seconds so far of the control plane, the reconciler (0 before it starts) and this bench. */
async function coldCpu(
  cp: ControlPlane,
  reconciler: number | undefined,
): Promise<Record<string, number>> {
  const own = process.cpuUsage();
  return {
    ...(await cpuSecondsOf(await controlPlanePids(cp))),
    reconciler: reconciler === undefined ? 0 : await cpuSeconds(reconciler),
    // This process: its watch on every Service's status and its polling.
    bench: (own.user + own.system) / 1e6,
  };
}

/**
 * Where the cores went between the reconciler's start and the last status:
 * CPU seconds and ms per Service of each process, against what the machine had.
 */
function coldCpuReport(
  before: Record<string, number>,
  after: Record<string, number>,
  services: number,
): { text: string; seconds: Record<string, number> } {
  const seconds: Record<string, number> = {};
  for (const [name, s] of Object.entries(after)) seconds[name] = round(s - (before[name] ?? 0), 1);
  const used = Object.values(seconds).reduce((a, b) => a + b, 0);
  const parts = Object.entries(seconds).map(
    ([name, s]) =>
      `${name} ${s.toString()} s (${round((s * 1000) / services, 2).toString()} ms/Service)`,
  );
  return {
    text: `  CPU during the cold start: ${parts.join(", ")}; ${round(used, 1).toString()} CPU seconds in all on ${availableParallelism().toString()} cores`,
    seconds,
  };
}

/**
 * Creates `count` Services at `rate`/s; resolves with create→status latencies
 * (ms) and the creates the API server refused (an overloaded API server
 * answers 504 after its 60 s request timeout: reported, not fatal).
 */
async function paced(args: {
  core: CoreV1Api;
  watch: StatusWatch;
  count: number;
  rate: number;
}): Promise<{
  latencies: number[];
  createMs: number[];
  afterResponseMs: number[];
  failed: number;
}> {
  const { core, watch, count, rate } = args;
  const createdAt = new Map<string, number>();
  /** When each create call answered: the wait up to it is the API server's alone. */
  const answeredAt = new Map<string, number>();
  const start = performance.now();
  const creates: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const name = `paced-${i}`;
    const t0 = performance.now();
    createdAt.set(name, t0);
    creates.push(
      core.createNamespacedService({ namespace: NAMESPACE, body: service(name) }).then(() => {
        answeredAt.set(name, performance.now());
      }),
    );
  }
  const settled = await Promise.allSettled(creates);
  const failed = settled.filter((r) => r.status === "rejected").length;
  const deadline = performance.now() + 30_000;
  const done = (): number => [...createdAt.keys()].filter((n) => watch.published.has(n)).length;
  while (done() < count - failed && performance.now() < deadline) await sleep(100);
  const latencies = [...createdAt].flatMap(([name, t0]) => {
    const t1 = watch.published.get(name);
    return t1 === undefined ? [] : [t1 - t0];
  });
  const createMs = [...answeredAt].map(([name, t1]) => t1 - (createdAt.get(name) ?? t1));
  // The status can show up in the watch before the create's own answer is
  // read (both wait on this event loop): that counts as 0.
  const afterResponseMs = [...answeredAt].flatMap(([name, t1]) => {
    const seen = watch.published.get(name);
    return seen === undefined ? [] : [Math.max(0, seen - t1)];
  });
  return { latencies, createMs, afterResponseMs, failed };
}

/**
 * Issue 4's "webhook stopped → 50 LoadBalancer Services created → all get IPs
 * from the reconciler within 2 s": `count` creates at once; ms from the last
 * create's answer until all have status (NaN if one has none after 30 s).
 */
async function burst(core: CoreV1Api, watch: StatusWatch, count: number): Promise<number> {
  const names = Array.from({ length: count }, (_, i) => `burst-${String(i)}`);
  await Promise.all(
    names.map((name) =>
      core.createNamespacedService({ namespace: NAMESPACE, body: service(name) }),
    ),
  );
  const created = performance.now();
  const all = () => names.every((n) => watch.published.has(n));
  while (!all() && performance.now() - created < 30_000) await sleep(10);
  return all() ? Math.max(...names.map((n) => watch.published.get(n) ?? 0)) - created : Number.NaN;
}

export default async function reconcilerBench(args: readonly string[]): Promise<void> {
  const total = Number(args[0] ?? 10_000);
  const pacedCount = Number(args[1] ?? 500);
  const dir = await mkdtemp(join(tmpdir(), "metallb-ts-bench-"));
  const cp = await startControlPlane({ dir, log: () => undefined });
  let child: ChildProcess | undefined;
  try {
    // Pooled: client-node alone opens a TLS connection per request, and 50
    // handshakes a second would be the load generator's cost, not the reconciler's.
    const kc = loadKubeConfig(cp.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await installCrds(cp);
    await kubectlAt(cp, ["create", "namespace", "metallb-system"]);
    // The controller's ServiceAccount, RBAC and a bound token, as in a
    // cluster: the admin's client certificate would cost the API server a
    // certificate chain check per request that a cached token does not.
    await applyAt(
      cp,
      componentRbac("controller").map((m) => m.object),
    );
    const reconcilerKubeconfig = await serviceAccountKubeconfig(
      cp,
      { namespace: "metallb-system", name: SERVICE_ACCOUNTS.controller },
      join(dir, "controller.kubeconfig"),
    );
    await kubectlAt(cp, ["create", "namespace", NAMESPACE]);
    const pool = {
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: "bench", namespace: "metallb-system" },
      spec: { addresses: ["10.200.0.0/16"] },
    };
    await kubectlAt(cp, ["apply", "-f", "-"], JSON.stringify(pool));
    const t0 = performance.now();
    await createMany(
      core,
      Array.from({ length: total }, (_, i) => `svc-${i}`),
      32,
    );
    const createSeconds = (performance.now() - t0) / 1000;
    console.log(
      `created ${total} LoadBalancer Services without webhook or reconciler in ${round(createSeconds, 1)} s`,
    );

    const watch = await watchStatus(kc);
    const metricsPort = await freePort();
    const cpuBefore = await coldCpu(cp, undefined);
    const started = performance.now();
    child = startReconcilerProcess(reconcilerKubeconfig, metricsPort);
    while (watch.published.size < total && performance.now() - started < 300_000) await sleep(100);
    const cold = coldCpuReport(cpuBefore, await coldCpu(cp, child.pid), total);
    const published = watch.published.size;
    const coldSeconds = (Math.max(...watch.published.values()) - started) / 1000;
    // Until the first status: process start, lists and cache sync; the rest is throughput.
    const firstSeconds = (Math.min(...watch.published.values()) - started) / 1000;
    console.log(
      `cold start: ${String(published)}/${String(total)} Services have status after ${String(round(coldSeconds, 1))} s (target 30 s); the first after ${String(round(firstSeconds, 1))} s`,
    );

    console.log(cold.text);

    const { latencies, createMs, afterResponseMs, failed } = await paced({
      core,
      watch,
      count: pacedCount,
      rate: 50,
    });
    const burstMs = await burst(core, watch, 50);
    console.log(
      `50 Services created at once (no webhook): all have status ${String(round(burstMs, 1))} ms after the last create's answer (target 2 s)`,
    );
    watch.stop();
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(
      `status publish latency at 50 creates/s (${latencies.length}/${pacedCount} observed, ${failed} creates refused by the API server): p50 ${round(p50, 1)} ms, p99 ${round(p99, 1)} ms (target p99 < 100 ms)`,
    );
    console.log(
      `  of which the create call itself: p50 ${round(percentile(createMs, 50), 1)} ms, p99 ${round(percentile(createMs, 99), 1)} ms`,
    );
    console.log(
      `  from the create's response to status: p50 ${round(percentile(afterResponseMs, 50), 1)} ms, p99 ${round(percentile(afterResponseMs, 99), 1)} ms`,
    );
    const rss = await peakRssMb(child.pid);
    console.log(
      `reconciler peak RSS: ${round(rss, 1)} MB (target 200 MB); ${await heapMb(metricsPort)}`,
    );
    printJsonLine("reconciler", {
      services: total,
      coldStartSeconds: round(coldSeconds, 2),
      firstStatusSeconds: round(firstSeconds, 2),
      coldStartPublished: published,
      publishP50Ms: round(p50, 1),
      publishP99Ms: round(p99, 1),
      createCallP50Ms: round(percentile(createMs, 50), 1),
      createCallP99Ms: round(percentile(createMs, 99), 1),
      afterResponseP50Ms: round(percentile(afterResponseMs, 50), 1),
      afterResponseP99Ms: round(percentile(afterResponseMs, 99), 1),
      pacedCreatesRefused: failed,
      pacedObserved: latencies.length,
      burst50Ms: round(burstMs, 1),
      peakRssMb: round(rss, 1),
      coldCpuSeconds: cold.seconds,
    });
  } finally {
    child?.kill("SIGTERM");
    await cp.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
