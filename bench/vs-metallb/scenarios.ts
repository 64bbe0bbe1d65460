// The side-by-side scenarios. Each takes a fresh namespace and load balancer
// class and one running system, and returns flat figures (lower is better
// for every figure, so one ratio column reads the same way throughout).
import { setTimeout as sleep } from "node:timers/promises";
import type { CoreV1Api, KubeConfig, V1Service } from "@kubernetes/client-node";
import type { ControlPlane } from "../../test/control-plane/cluster.ts";
import { percentile } from "../bench-stats.ts";
import { DiscoveryV1Api } from "@kubernetes/client-node";
import { createEndpointSlice, inParallel } from "../bgp/services.ts";
import { bgpDescription, bgpEndpoints, bgpFigures, bgpLabPerRun, type BgpLabRun } from "./bgp.ts";
import { l2FailoverScenario } from "./l2-failover.ts";
import type { RunningSystem, SystemName } from "./systems.ts";
import { trackServices, type ServiceTracker } from "./service-tracker.ts";

export interface ScenarioContext {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly namespace: string;
  readonly lbClass: string;
  readonly quick: boolean;
  /** The run's log directory (its error-level lines are reported per run). */
  readonly logDir: string;
  /** A progress line on the bench's stderr. */
  readonly log: (line: string) => void;
}

/** What a scenario's setUp gets: the bench's control plane and MetalLB's speaker binary. */
export interface SetUpContext {
  readonly cp: ControlPlane;
  readonly metallbSpeaker: string;
  readonly log: (line: string) => void;
}

/** Figure name → value; names ending in _ms/_s/_mb are shown with their unit. */
export type Figures = Record<string, number>;

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** Shown under the table: what exactly was measured. */
  readonly description: (quick: boolean) => string;
  readonly run: (ctx: ScenarioContext, system: RunningSystem) => Promise<Figures>;
  /** Figures that must be 0 for both systems (reported loudly otherwise). */
  readonly mustBeZero?: readonly string[];
  /**
   * What the scenario needs beyond the control plane and the controllers the
   * runner starts per run (scenarios 4 and 5: a namespace LAN), built on each
   * run's fresh control plane before the system starts; resolves with its
   * undo, called after the run.
   */
  readonly setUp?: (env: SetUpContext) => Promise<() => Promise<void>>;
  /**
   * Figures over the samples of all of a system's runs together, called after
   * the last run (scenario 4: percentiles over every trial of both runs).
   */
  readonly pooled?: () => Record<SystemName, Figures>;
}

export const ALLOCATED_IPS_ANNOTATION = "metallb.io/allocated-ips";

function service(name: string, ctx: ScenarioContext): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ctx.namespace },
    spec: {
      type: "LoadBalancer",
      loadBalancerClass: ctx.lbClass,
      // 10,000 NodePort pairs would exhaust the default 30000-32767 range.
      allocateLoadBalancerNodePorts: false,
      // No selector: no Pods run here, and kube-controller-manager would write
      // an empty EndpointSlice per Service, a write that measures neither
      // system; the scale Services' endpoints are written by the bench.
      ports: [{ name: "http", port: 80, protocol: "TCP" }],
    },
  };
}

async function waitForStatus(tracker: ServiceTracker, count: number, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (tracker.firstStatusAt.size < count && performance.now() < deadline) {
    tracker.lastEventAt(); // throws if the watch failed
    await sleep(50);
  }
}

/** Until no status changed for `quietMs` (or `maxMs` passed). */
async function waitQuiet(tracker: ServiceTracker, quietMs: number, maxMs: number) {
  const deadline = performance.now() + maxMs;
  while (performance.now() - tracker.lastEventAt() < quietMs && performance.now() < deadline) {
    await sleep(100);
  }
}

async function timeToIp(ctx: ScenarioContext): Promise<Figures> {
  const count = ctx.quick ? 100 : 1000;
  const rate = 50;
  const tracker = await trackServices(ctx.kc, ctx.namespace);
  const createdAt = new Map<string, number>();
  const visibleMs: number[] = [];
  let inResponse = 0;
  let failed = 0;
  const t0 = performance.now();
  const creates: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const name = `ttip-${i}`;
    const start = performance.now();
    createdAt.set(name, start);
    creates.push(
      ctx.core.createNamespacedService({ namespace: ctx.namespace, body: service(name, ctx) }).then(
        (svc) => {
          if (svc.metadata?.annotations?.[ALLOCATED_IPS_ANNOTATION] === undefined) return;
          inResponse++;
          visibleMs.push(performance.now() - start);
        },
        () => {
          // An overloaded API server answers 504; the Service may exist or not.
          failed++;
          createdAt.delete(name);
        },
      ),
    );
  }
  await Promise.all(creates);
  await waitForStatus(tracker, count - failed, 60_000);
  tracker.stop();
  const statusMs = [...createdAt].flatMap(([name, t]) => {
    const at = tracker.firstStatusAt.get(name);
    return at === undefined ? [] : [at - t];
  });
  // Where the create response carries no IP, the client first sees it in status.
  const visible = inResponse > 0 ? visibleMs : statusMs;
  return {
    ip_visible_p50_ms: percentile(visible, 50),
    ip_visible_p99_ms: percentile(visible, 99),
    status_p50_ms: percentile(statusMs, 50),
    status_p99_ms: percentile(statusMs, 99),
    ip_in_create_response: inResponse,
    create_errors: failed,
    without_status: count - failed - statusMs.length,
    duplicate_ips: tracker.duplicates(),
  };
}

/** Creates every name with `parallel` clients; resolves with the names whose create failed. */
async function createAll(
  ctx: ScenarioContext,
  names: readonly string[],
  parallel: number,
): Promise<Set<string>> {
  const failed = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < names.length; i = next++) {
        const name = names[i] ?? "";
        await ctx.core
          .createNamespacedService({ namespace: ctx.namespace, body: service(name, ctx) })
          .catch(() => failed.add(name));
      }
    }),
  );
  return failed;
}

function scaleCount(quick: boolean): number {
  return quick ? 1000 : 10_000;
}

/**
 * Scenarios 2 (scale), 3 (restart with everything present) and 5 (BGP: the
 * speaker announcing them all), on one set of Services per run: creating
 * 10,000 Services takes this control plane about 4 minutes, so each run
 * creates them once.
 */
async function scaleRestartBgp(
  ctx: ScenarioContext,
  system: RunningSystem,
  lab: BgpLabRun,
): Promise<Figures> {
  const count = scaleCount(ctx.quick);
  const names = Array.from({ length: count }, (_, i) => `scale-${String(i)}`);
  // The endpoints scenario 5's speaker needs, written before the timed creates.
  const discovery = ctx.kc.makeApiClient(DiscoveryV1Api);
  await inParallel(count, 32, (i) =>
    createEndpointSlice(discovery, ctx.namespace, names[i] ?? "", bgpEndpoints(lab.lab)),
  );
  const tracker = await trackServices(ctx.kc, ctx.namespace);
  const t0 = performance.now();
  const failed = await createAll(ctx, names, 32);
  const createdS = (performance.now() - t0) / 1000;
  // A create that timed out (504) may still have happened: count what exists.
  const existing = new Set(
    (await ctx.core.listNamespacedService({ namespace: ctx.namespace })).items.map(
      (s) => s.metadata?.name ?? "",
    ),
  );
  await waitForStatus(tracker, existing.size, 600_000);
  const withStatus = tracker.firstStatusAt.size;
  const allStatusS = (Math.max(...tracker.firstStatusAt.values()) - t0) / 1000;
  await waitQuiet(tracker, 2000, 30_000);
  const rss = await system.peakRssMb();
  const duplicates = tracker.duplicates();

  await system.stopController();
  tracker.mark();
  // A Service created the moment the controller restarts: when it gets
  // status is when the restarted controller serves new work.
  const t1 = performance.now();
  const ready = system.startController();
  await ctx.core.createNamespacedService({
    namespace: ctx.namespace,
    body: service("after-restart", ctx),
  });
  const readyMs = await ready;
  const deadline = performance.now() + 300_000;
  while (!tracker.firstStatusAt.has("after-restart") && performance.now() < deadline) {
    await sleep(20);
  }
  const newServiceS = ((tracker.firstStatusAt.get("after-restart") ?? Number.NaN) - t1) / 1000;
  await waitQuiet(tracker, 3000, 60_000);
  const missing = [...existing].filter((n) => !tracker.current.has(n)).length;
  tracker.stop();
  const bgp = await bgpFigures(lab, ctx, system, existing.size);
  return {
    create_all_s: createdS,
    create_errors: failed.size,
    all_status_s: allStatusS,
    without_status: existing.size - withStatus,
    duplicate_ips: duplicates,
    controller_peak_rss_mb: Object.values(rss).reduce((a, b) => a + b, 0),
    ...Object.fromEntries(Object.entries(rss).map(([k, v]) => [`rss_${k}_mb`, v])),
    restart_ready_s: readyMs / 1000,
    restart_new_service_status_s: newServiceS,
    restart_ips_changed: tracker.changedSinceMark(),
    restart_without_status: missing,
    restart_duplicate_ips: tracker.duplicates() - duplicates,
    ...bgp,
  };
}

function scaleRestartBgpScenario(): Scenario {
  const labs = bgpLabPerRun();
  return {
    id: "scale-restart-bgp",
    title: "2, 3 and 5. Scale, controller restart, BGP",
    description: (quick) => {
      const n = scaleCount(quick).toLocaleString("en-US");
      return `Scale: ${n} Services created by 32 concurrent clients (allocateLoadBalancerNodePorts: false, no selector); time from the first create until every one has status; duplicates = an IP held by two Services' status at the same moment (every status change watched); peak RSS = VmHWM of the controller side (metallb-ts: reconciler + 2 webhook replicas; MetalLB: its controller). Restart: then the controller (metallb-ts: the reconciler) is stopped and started with all Services present: ready = spawn → reconciler /readyz 200 (metallb-ts) or → the end of MetalLB's first complete reprocessAll pass (its log); new Service status = restart → status of a Service created at the moment of the restart; IPs changed = Services whose status IP changed or vanished until 3 s of quiet after ready. ${bgpDescription(quick, n)}`;
    },
    setUp: labs.setUp,
    run: (ctx, system) => scaleRestartBgp(ctx, system, labs.current()),
    mustBeZero: [
      "create_errors",
      "duplicate_ips",
      "without_status",
      "restart_ips_changed",
      "restart_duplicate_ips",
      "restart_without_status",
    ],
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "time-to-ip",
    title: "1. Time to IP",
    description: (quick) =>
      `${quick ? 100 : 1000} LoadBalancer Services created at 50/s. "IP visible" is create → the IP in the create response (the ${ALLOCATED_IPS_ANNOTATION} annotation) where the system puts it there, else create → first status with an IP seen on a watch; "status" is create → status.loadBalancer.ingress set.`,
    run: (ctx) => timeToIp(ctx),
    mustBeZero: ["duplicate_ips", "without_status", "create_errors"],
  },
  scaleRestartBgpScenario(),
  l2FailoverScenario(),
];
