// Scenario 5, BGP: each system's speaker in one node namespace peers with FRR
// (bgp-lab.ts). Per run:
//  (a) bulk Services (10,000; quick 1,000) exist before the speaker starts,
//      each requesting its IP from BGP_BULK_POOL, that IP in its status
//      (written by the system's controller) and a serving endpoint on n1
//      (bench/bgp/services.ts, as `npm run bench -- bgp` phase 2); the
//      speaker is started: the figure is FRR's "%ADJCHANGE ... Up" log line
//      for it (ms timestamps) → the first poll (every 10 ms) of FRR's
//      summary showing pfxRcd at the count;
//  (c) the speaker's VmRSS 2 s later, every prefix announced;
//  (b) paced Services (100; quick 20) at 5/s from BGP_PACED_POOL, the IP
//      picked by the system's controller: the create call's start → the /32
//      in the router's kernel FIB (bench/bgp/route-monitor.ts).
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { DiscoveryV1Api, type V1Service } from "@kubernetes/client-node";
import { waitFor } from "../../test/lab/exec.ts";
import { percentile } from "../bench-stats.ts";
import { lastAdjacencyUp } from "../bgp/frr-log.ts";
import { bgpPeers } from "../bgp/frr-peers.ts";
import { paced } from "../bgp/paced.ts";
import { processMemory } from "../bgp/process-memory.ts";
import { RouteMonitor } from "../bgp/route-monitor.ts";
import {
  bulkIp,
  createBulkServices,
  createEndpointSlice,
  inParallel,
  type EndpointTarget,
} from "../bgp/services.ts";
import { BGP_BULK_POOL, BGP_NODE, BGP_PACED_POOL, createBgpLab, type BgpLab } from "./bgp-lab.ts";
import {
  ALLOCATED_IPS_ANNOTATION,
  type Figures,
  type Scenario,
  type ScenarioContext,
  type SetUpContext,
} from "./scenarios.ts";
import { startSpeakers, type RunningSpeakers } from "./speakers.ts";
import type { RunningSystem } from "./systems.ts";

const RATE_PER_S = 5;
/** One route (or the whole RIB load) slower than this fails the run. */
const ROUTE_TIMEOUT_MS = 60_000;
const RIB_TIMEOUT_MS = 300_000;
/** Pause between two polls of FRR's summary (each is one vtysh call), as `npm run bench -- bgp`. */
const POLL_MS = 10;
/** After the RIB is full, before reading RSS: what the speaker allocated while sending settles. */
const RSS_SETTLE_MS = 2_000;

/** How many bulk Services (RIB load) and paced ones (create → route). */
function sizes(quick: boolean): { bulk: number; paced: number } {
  return quick ? { bulk: 1_000, paced: 20 } : { bulk: 10_000, paced: 100 };
}

function endpoints(lab: BgpLab): EndpointTarget[] {
  return [{ node: BGP_NODE, address: lab.lab.lan.host(BGP_NODE).ipv4 }];
}

interface RibLoad {
  readonly speakers: RunningSpeakers;
  readonly ribMs: number;
}

/** Starts the system's speaker and resolves once FRR holds `count` prefixes from it. */
async function ribLoad(
  lab: BgpLab,
  ctx: ScenarioContext,
  system: RunningSystem,
  metallbSpeaker: string,
): Promise<RibLoad> {
  const count = sizes(ctx.quick).bulk;
  const address = lab.lab.lan.host(BGP_NODE).ipv4;
  // Established as FRR saw it, from bgpd's log (ms timestamps): FRR's
  // peerUptimeMsec counts whole seconds, MetalLB's log has whole seconds, and
  // one poll of FRR (a vtysh call) can outlast the whole load.
  const logOffset = (await readFile(lab.bgpdLog, "utf8").catch(() => "")).length;
  let abandoned = false;
  const full = waitFor(
    `FRR's pfxRcd from ${address} at ${String(count)}`,
    async () => {
      if (abandoned) return Number.NaN;
      const peer = (await bgpPeers(lab.frr))[address];
      return peer?.state === "Established" && (peer.pfxRcd ?? 0) >= count ? Date.now() : undefined;
    },
    { timeoutMs: RIB_TIMEOUT_MS, stepMs: POLL_MS },
  );
  // Polled from before the speaker starts: its routes may arrive before it
  // reports ready. (A handler now, so a timeout meanwhile is not unhandled.)
  full.catch(() => undefined);
  const speakers = await startSpeakers(system.name, lab, {
    lbClass: ctx.lbClass,
    logDir: ctx.logDir,
    metallbSpeaker,
  }).catch(async (e: unknown) => {
    abandoned = true;
    await full.catch(() => undefined);
    throw e;
  });
  try {
    const fullAt = await full;
    const establishedAt = await waitFor(
      `the session with ${address} Up in ${lab.bgpdLog}`,
      async () => lastAdjacencyUp((await readFile(lab.bgpdLog, "utf8")).slice(logOffset), address),
      { timeoutMs: 30_000, stepMs: 100 },
    );
    return { speakers, ribMs: fullAt - establishedAt };
  } catch (e: unknown) {
    await speakers.stop();
    throw e;
  }
}

function pacedService(ctx: ScenarioContext, name: string): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, annotations: { "metallb.io/address-pool": BGP_PACED_POOL } },
    spec: {
      type: "LoadBalancer",
      loadBalancerClass: ctx.lbClass,
      allocateLoadBalancerNodePorts: false,
      ports: [{ name: "http", port: 80, protocol: "TCP" }],
    },
  };
}

/** Create call's start → the Service's /32 in the router's FIB, in ms. */
async function createToRoute(
  ctx: ScenarioContext,
  monitor: RouteMonitor,
  name: string,
): Promise<number> {
  const t0 = performance.now();
  const svc = await ctx.core.createNamespacedService({
    namespace: ctx.namespace,
    body: pacedService(ctx, name),
  });
  // metallb-ts answers with the IP in the create response; MetalLB writes status later.
  const ip =
    svc.metadata?.annotations?.[ALLOCATED_IPS_ANNOTATION]?.split(",")[0] ??
    (await waitFor(
      `an IP in ${name}'s status`,
      async () => {
        const s = await ctx.core.readNamespacedService({ name, namespace: ctx.namespace });
        return s.status?.loadBalancer?.ingress?.[0]?.ip;
      },
      { timeoutMs: ROUTE_TIMEOUT_MS, stepMs: 20 },
    ));
  const at = await monitor.when((e) => e.prefix === `${ip}/32` && !e.deleted, t0, {
    timeoutMs: ROUTE_TIMEOUT_MS,
    what: `${ip}/32 (${name}) in the router's FIB`,
  });
  return at - t0;
}

async function pacedRoutes(lab: BgpLab, ctx: ScenarioContext): Promise<number[]> {
  const names = Array.from({ length: sizes(ctx.quick).paced }, (_, i) => `bgp-${String(i)}`);
  const discovery = ctx.kc.makeApiClient(DiscoveryV1Api);
  await inParallel(names.length, 8, (i) =>
    createEndpointSlice(discovery, ctx.namespace, names[i] ?? "", endpoints(lab)),
  );
  const monitor = new RouteMonitor(lab.lab.lan.nsOf("rtr"));
  try {
    return await paced(names, RATE_PER_S, (name) => createToRoute(ctx, monitor, name));
  } finally {
    monitor.stop();
  }
}

/** Resolves once `count` Services of the run have an IP in their status (written by the system's controller). */
async function allHaveStatus(ctx: ScenarioContext, count: number): Promise<void> {
  await waitFor(
    `${String(count)} Services with an IP in their status`,
    async () => {
      const list = await ctx.core.listNamespacedService({ namespace: ctx.namespace });
      return (
        list.items.filter((s) => s.status?.loadBalancer?.ingress?.[0]?.ip !== undefined).length >=
        count
      );
    },
    { timeoutMs: RIB_TIMEOUT_MS, stepMs: 500 },
  );
}

async function measure(
  lab: BgpLab,
  ctx: ScenarioContext,
  system: RunningSystem,
  metallbSpeaker: string,
): Promise<Figures> {
  const { bulk } = sizes(ctx.quick);
  await createBulkServices(ctx.kc, {
    namespace: ctx.namespace,
    count: bulk,
    pool: BGP_BULK_POOL,
    ip: bulkIp,
    endpoints: endpoints(lab),
    lbClass: ctx.lbClass,
    requestIp: true,
  });
  await allHaveStatus(ctx, bulk);
  const { speakers, ribMs } = await ribLoad(lab, ctx, system, metallbSpeaker);
  try {
    ctx.log(`  FRR holds ${String(bulk)} prefixes ${String(ribMs)} ms after Established`);
    await sleep(RSS_SETTLE_MS);
    const pid = speakers.pid(BGP_NODE);
    const rssMb = pid === undefined ? Number.NaN : (await processMemory(pid)).rssMb;
    const routeMs = await pacedRoutes(lab, ctx);
    return {
      bgp_rib_ms: ribMs,
      bgp_route_p50_ms: percentile(routeMs, 50),
      bgp_route_p99_ms: percentile(routeMs, 99),
      speaker_rss_mb: rssMb,
    };
  } finally {
    await speakers.stop();
  }
}

/** Scenario 5; its LAN and router are made by setUp, once for all runs of both systems. */
export function bgpScenario(): Scenario {
  let made: { lab: BgpLab; metallbSpeaker: string } | undefined;
  return {
    id: "bgp",
    title: "5. BGP",
    description: (quick) => {
      const n = sizes(quick);
      return `One node namespace (n1) and a router namespace running FRR (bgpd + zebra, AS 64512, keepalive 3 s / hold 9 s) on one bridge; one BGPPeer (n1 AS 64513 → the router, holdTime 9s) and one BGPAdvertisement; each system's speaker alone in n1 (metallb-ts: \`metallb-ts speaker\` with its defaults; MetalLB: its v0.16.1 speaker binary in its default native BGP mode, flags and environment as its DaemonSet's), each system's controller running. RIB: ${n.bulk.toLocaleString("en-US")} Services exist before the speaker starts (each requesting its IP, which the system's controller wrote to its status, and a serving endpoint on n1); figure = FRR's log line for the session reaching Established (bgpd's \`%ADJCHANGE: … Up\`, millisecond timestamps) → the first poll of FRR's \`show bgp ipv4 unicast summary json\` (one vtysh call every ${String(POLL_MS)} ms) showing pfxRcd ${n.bulk.toLocaleString("en-US")} (late by up to one poll). Speaker RSS = its VmRSS ${String(RSS_SETTLE_MS / 1000)} s later, every prefix announced. Route: then ${String(n.paced)} Services created at ${String(RATE_PER_S)}/s (EndpointSlices written beforehand), each system's controller picking the IP from a non-auto-assign pool named by annotation (metallb-ts: the webhook in the create call; MetalLB: its controller); figure = the create call's start → the /32 in the router's kernel FIB (\`ip monitor route\`).`;
    },
    setUp: async (env: SetUpContext) => {
      env.log("5. BGP: building the namespace LAN and the FRR router");
      const lab = await createBgpLab(env.cp);
      made = { lab, metallbSpeaker: env.metallbSpeaker };
      return () => {
        made = undefined;
        return lab.tearDown();
      };
    },
    run: (ctx: ScenarioContext, system: RunningSystem) => {
      if (made === undefined) throw new Error("the bgp scenario runs only after its setUp");
      return measure(made.lab, ctx, system, made.metallbSpeaker);
    },
  };
}
