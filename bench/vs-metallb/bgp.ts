// Scenario 5, BGP, the last part of each run of the scale scenario
// (scenarios.ts): each system's speaker in one node namespace peers with FRR
// (bgp-lab.ts). Per run:
//  (a) the run's scale Services (10,000; quick 1,000) exist before the
//      speaker starts, each with the IP the system's controller wrote to its
//      status and an EndpointSlice with a serving endpoint on n1 (written by
//      the bench before the Services); the speaker is started: the figure is
//      FRR's "%ADJCHANGE ... Up" log line for it (ms timestamps) → the first
//      poll (every 10 ms) of FRR's summary showing pfxRcd at the count;
//  (c) the speaker's VmRSS 2 s later, every prefix announced;
//  (b) paced Services (100; quick 20) at 5/s from BGP_PACED_POOL, the IP
//      picked by the system's controller: the create call's start → the /32
//      in the router's kernel FIB (bench/bgp/route-monitor.ts).
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { DiscoveryV1Api, type V1Service } from "@kubernetes/client-node";
import { waitFor } from "../../test/lab/exec.ts";
import { summarizeFailover } from "../l2/failover-stats.ts";
import { lastAdjacencyUp } from "../bgp/frr-log.ts";
import { bgpPeers } from "../bgp/frr-peers.ts";
import { paced } from "../bgp/paced.ts";
import { processMemory } from "../bgp/process-memory.ts";
import { RouteMonitor } from "../bgp/route-monitor.ts";
import { createEndpointSlice, inParallel, type EndpointTarget } from "../bgp/services.ts";
import { BGP_NODE, BGP_PACED_POOL, createBgpLab, type BgpLab } from "./bgp-lab.ts";
import {
  ALLOCATED_IPS_ANNOTATION,
  type Figures,
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

/** How many paced Services (create → route). */
function pacedCount(quick: boolean): number {
  return quick ? 20 : 100;
}

/** A serving endpoint on n1, the speaker's node: what each announced Service's EndpointSlice holds. */
export function bgpEndpoints(lab: BgpLab): EndpointTarget[] {
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
  count: number,
): Promise<RibLoad> {
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

/**
 * Create call's start → the Service's /32 in the router's FIB, in ms;
 * undefined when there is no IP or no route within ROUTE_TIMEOUT_MS (both
 * waits reject only at their deadline; a failed create still throws).
 */
async function createToRoute(
  ctx: ScenarioContext,
  monitor: RouteMonitor,
  name: string,
): Promise<number | undefined> {
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
    ).catch(() => undefined));
  if (ip === undefined) return undefined;
  const at = await monitor
    .when((e) => e.prefix === `${ip}/32` && !e.deleted, t0, {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: `${ip}/32 (${name}) in the router's FIB`,
    })
    .catch(() => undefined);
  return at === undefined ? undefined : at - t0;
}

async function pacedRoutes(lab: BgpLab, ctx: ScenarioContext): Promise<(number | undefined)[]> {
  const names = Array.from({ length: pacedCount(ctx.quick) }, (_, i) => `bgp-${String(i)}`);
  const discovery = ctx.kc.makeApiClient(DiscoveryV1Api);
  await inParallel(names.length, 8, (i) =>
    createEndpointSlice(discovery, ctx.namespace, names[i] ?? "", bgpEndpoints(lab)),
  );
  const monitor = new RouteMonitor(lab.lab.lan.nsOf("rtr"));
  try {
    return await paced(names, RATE_PER_S, (name) => createToRoute(ctx, monitor, name));
  } finally {
    monitor.stop();
  }
}

/**
 * The BGP figures of a run whose `count` announced Services (each with an IP
 * in status and an EndpointSlice on n1) exist: the speaker's start → its RIB at
 * the router, its RSS, then paced creates → routes.
 */
export async function bgpFigures(
  made: BgpLabRun,
  ctx: ScenarioContext,
  system: RunningSystem,
  count: number,
): Promise<Figures> {
  const { lab, metallbSpeaker } = made;
  const { speakers, ribMs } = await ribLoad(lab, ctx, system, metallbSpeaker, count);
  try {
    ctx.log(`  FRR holds ${String(count)} prefixes ${String(ribMs)} ms after Established`);
    await sleep(RSS_SETTLE_MS);
    const pid = speakers.pid(BGP_NODE);
    const rssMb = pid === undefined ? Number.NaN : (await processMemory(pid)).rssMb;
    const routes = summarizeFailover(await pacedRoutes(lab, ctx));
    if (routes.timeouts > 0) {
      ctx.log(
        `  ${String(routes.timeouts)} Services had no route within ${String(ROUTE_TIMEOUT_MS)} ms`,
      );
    }
    return {
      bgp_rib_ms: ribMs,
      bgp_route_p50_ms: routes.p50Ms,
      bgp_route_p99_ms: routes.p99Ms,
      bgp_route_timeouts: routes.timeouts,
      speaker_rss_mb: rssMb,
    };
  } finally {
    await speakers.stop();
  }
}

export interface BgpLabRun {
  readonly lab: BgpLab;
  readonly metallbSpeaker: string;
}

/** The scenario's setUp (a LAN and router per run) and the lab it made. */
export function bgpLabPerRun(): {
  setUp: (env: SetUpContext) => Promise<() => Promise<void>>;
  current: () => BgpLabRun;
} {
  let made: BgpLabRun | undefined;
  return {
    setUp: async (env: SetUpContext) => {
      env.log("  building the namespace LAN and the FRR router");
      const lab = await createBgpLab(env.cp);
      made = { lab, metallbSpeaker: env.metallbSpeaker };
      return () => {
        made = undefined;
        return lab.tearDown();
      };
    },
    current: () => {
      if (made === undefined) throw new Error("the BGP lab exists only between setUp and its undo");
      return made;
    },
  };
}

/** What the BGP part measures, for the scenario's description. */
export function bgpDescription(quick: boolean, count: string): string {
  return `BGP: one node namespace (n1) and a router namespace running FRR (bgpd + zebra, AS 64512, keepalive 3 s / hold 9 s) on one bridge; one BGPPeer (n1 AS 64513 → the router, holdTime 9s); each system's speaker alone in n1 (metallb-ts: \`metallb-ts speaker\` with its defaults; MetalLB: its v0.16.1 speaker binary in its default native BGP mode, flags and environment as its DaemonSet's), each system's controller running. RIB: the ${count} Services above (their pool has a BGPAdvertisement; each has an EndpointSlice with a serving endpoint on n1, written before the creates) exist before the speaker starts; bgp_rib_ms = FRR's log line for the session reaching Established (bgpd's \`%ADJCHANGE: … Up\`, millisecond timestamps) → the first poll of FRR's \`show bgp ipv4 unicast summary json\` (one vtysh call every ${String(POLL_MS)} ms) showing pfxRcd ${count} (late by up to one poll). speaker_rss_mb = its VmRSS ${String(RSS_SETTLE_MS / 1000)} s later, every prefix announced. Route: then ${String(pacedCount(quick))} Services created at ${String(RATE_PER_S)}/s (EndpointSlices written beforehand), each system's controller picking the IP from a non-auto-assign pool named by annotation (metallb-ts: the webhook in the create call; MetalLB: its controller); bgp_route = the create call's start → the /32 in the router's kernel FIB (\`ip monitor route\`); a Service with no route within ${String(ROUTE_TIMEOUT_MS / 1000)} s counts in bgp_route_timeouts, the percentiles are over the others.`;
}
