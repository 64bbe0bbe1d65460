// Starts a speaker: the cluster view, the liveness mesh, the ARP and NDP
// announcers, status objects and metrics, and recomputes what this node
// announces whenever the view, the live set or the interfaces change.
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { shutdownSignal } from "../cli/shutdown-signal.ts";
import { errorText } from "../core/errors.ts";
import { ApiClient } from "../core/kube/api-client.ts";
import { loadApiConfig } from "../core/kube/api-config.ts";
import { createLogger, type Logger } from "../core/logger.ts";
import { startMetricsServer } from "../core/metrics-server.ts";
import { BgpAnnouncer } from "./bgp/bgp-announcer.ts";
import { registerBgpMetrics } from "./bgp/bgp-metrics.ts";
import { planBgp, type BgpPlanMemo } from "./bgp/bgp-plan.ts";
import { PeerSecrets, referencedSecrets } from "./bgp/peer-secrets.ts";
import { ClusterView } from "./cluster-view.ts";
import type { SpeakerFlags } from "./command.ts";
import { arpDriver, type L2Counters } from "./layer2/arp-driver.ts";
import { readHostInterfaces, usableInterfaces } from "./layer2/host-interfaces.ts";
import { L2PlanMemo, planLayer2 } from "./layer2/l2-plan.ts";
import { Layer2Announcer } from "./layer2/layer2-announcer.ts";
import { ndpDriver } from "./layer2/ndp-driver.ts";
import { deriveHeartbeatKey } from "./liveness/heartbeat-codec.ts";
import { startLiveness, type Liveness } from "./liveness/udp-transport.ts";
import { PlanMemo } from "./plan-memo.ts";
import { HeapTrimmer } from "./heap-trim.ts";
import { RecentRate } from "./recent-rate.ts";
import { SpeakerMetrics } from "./speaker-metrics.ts";
import { StatusWriter } from "./status/status-writer.ts";

export interface StartSpeakerOptions {
  readonly api: ApiClient;
  readonly node: string;
  readonly namespace: string;
  readonly lbClass: string | undefined;
  readonly log: Logger;
  /** undefined or 0: no metrics server. */
  readonly metricsPort?: number | undefined;
  readonly metricsHost?: string | undefined;
  readonly livenessPort: number;
  /** The memberlist Secret's key bytes; undefined → unauthenticated heartbeats (warned). */
  readonly livenessSecret: Uint8Array | undefined;
  readonly heartbeatMs: number;
  readonly holdDownMs: number;
  readonly gratuitousRefreshMs: number;
  readonly interfaceScanMs: number;
  readonly handoverMs: number;
  readonly exclude: readonly RegExp[];
  /** TCP port on which BGP peers may connect to us (passive side); undefined or 0: never listen. */
  readonly bgpListenPort?: number | undefined;
  readonly owner?: { readonly name: string; readonly uid: string } | undefined;
  /** Quiet time after cluster changes before the heap is compacted (heap-trim.ts); undefined or 0: never. */
  readonly heapTrimQuietMs?: number | undefined;
}

export interface RunningSpeaker {
  readonly metrics: SpeakerMetrics;
  readonly metricsPort: number | undefined;
  /** Graceful: tell the peers we leave, hand over, then stop. */
  stop(): Promise<void>;
}

/** The Layer 2 metrics; `frames` also counts what was read, for the trim's busy check. */
function counters(metrics: SpeakerMetrics, frames: RecentRate): L2Counters {
  return {
    requestReceived: (ip) => {
      metrics.requestsReceived.inc({ ip });
      frames.record(performance.now());
    },
    responseSent: (ip) => {
      metrics.responsesSent.inc({ ip });
    },
    dropped: (protocol, reason) => {
      metrics.framesDropped.inc({ protocol, reason });
      frames.record(performance.now());
    },
  };
}

const NO_SECRET = new Uint8Array(0);
/** At most one compacting GC a minute when changes come in bursts; each pauses 0.1–0.3 s at 10,000 Services (BENCHMARKS.md, l2). */
const HEAP_TRIM_MIN_INTERVAL_MS = 60_000;
/**
 * No trim above this many ARP/NDP frames a second (requests for our IPs and
 * malformed frames). A receive buffer of net.core.rmem_default (208 KiB)
 * holds roughly 200 request frames (about 1 KiB each in the kernel's
 * accounting), so a 240 ms trim at 10,000 Services would overflow it above
 * about 800 frames/s.
 */
const TRIM_BUSY_FRAMES_PER_SECOND = 800;

export async function startSpeaker(o: StartSpeakerOptions): Promise<RunningSpeaker> {
  const controller = new AbortController();
  const { signal } = controller;
  const log = o.log.child({ node: o.node });
  const metrics = new SpeakerMetrics();
  const view = new ClusterView({
    api: o.api,
    namespace: o.namespace,
    lbClass: o.lbClass,
    log,
    signal,
  });
  const status = new StatusWriter({
    api: o.api,
    kind: "ServiceL2Status",
    namespace: o.namespace,
    node: o.node,
    log,
    signal,
    owner: o.owner,
  });
  // --- BGP (issue 6): sessions per BGPPeer, ServiceBGPStatus, MetalLB's BGP metrics.
  const bgpStatus = new StatusWriter({ ...statusTarget(o, log, signal), kind: "ServiceBGPStatus" });
  const bgp = new BgpAnnouncer({
    log: log.child({ component: "bgp" }),
    listenPort: o.bgpListenPort === 0 ? undefined : o.bgpListenPort,
  });
  registerBgpMetrics(metrics.registry, () => bgp.sessions.values());
  const secrets = new PeerSecrets({
    api: o.api,
    namespace: o.namespace,
    log,
    signal,
    onChange: () => {
      recompute();
    },
  });
  // --- end BGP
  const timing = { repeatMs: 1_100, burstMs: 5_000, refreshMs: o.gratuitousRefreshMs };
  const onGratuitous = (ip: string): void => {
    metrics.gratuitousSent.inc({ ip });
  };
  const l2Frames = new RecentRate();
  const announcers = [
    new Layer2Announcer({
      driver: arpDriver(counters(metrics, l2Frames), log),
      log,
      timing,
      onGratuitous,
    }),
    new Layer2Announcer({
      driver: ndpDriver(counters(metrics, l2Frames), log),
      log,
      timing,
      onGratuitous,
    }),
  ] as const;
  if (o.livenessSecret === undefined) {
    log.warn("no memberlist secret key: speaker heartbeats are not authenticated");
  }
  let recompute = (): void => undefined;
  let lastPlanMs = 0;
  let lastPlanEnd = 0;
  const liveness: Liveness = await startLiveness({
    node: o.node,
    keys: [deriveHeartbeatKey(o.livenessSecret ?? NO_SECRET)],
    port: o.livenessPort,
    timing: { intervalMs: o.heartbeatMs, holdDownMs: o.holdDownMs },
    logger: log,
    signal,
    onChange: (live) => {
      log.info({ live: [...live].sort() }, "live speakers changed");
      recompute();
      for (const announcer of announcers) announcer.reannounceAll();
    },
  });

  const scanInterfaces = (): void => {
    try {
      const usable = usableInterfaces(readHostInterfaces(), o.exclude);
      announcers[0].setInterfaces(usable.arp);
      announcers[1].setInterfaces(usable.ndp);
    } catch (e: unknown) {
      log.warn({ err: errorText(e) }, "interface scan failed");
    }
  };
  scanInterfaces();
  const scanTimer = setInterval(scanInterfaces, o.interfaceScanMs);
  scanTimer.unref();

  const trimmer = new HeapTrimmer({
    quietMs: o.heapTrimQuietMs ?? 0,
    minIntervalMs: HEAP_TRIM_MIN_INTERVAL_MS,
    log,
    signal,
    onTrim: (seconds) => {
      metrics.heapTrimSeconds.observe(seconds);
    },
    busy: () => l2Frames.perSecond(performance.now()) > TRIM_BUSY_FRAMES_PER_SECOND,
  });
  const l2Memo = new L2PlanMemo();
  const bgpMemo: BgpPlanMemo = new PlanMemo();
  recompute = () => {
    if (!view.synced || signal.aborted) return;
    const started = performance.now();
    const snapshot = view.snapshot();
    liveness.setPeers(peerAddresses(snapshot.nodes, o.node));
    const plan = planLayer2(snapshot, liveness.candidates(), o.node, l2Memo);
    for (const announcer of announcers) announcer.update(plan.announcements);
    status.setDesired(plan.statuses);
    const bgpPlan = planBgp(
      {
        snapshot,
        self: o.node,
        secretPasswords: secrets.passwords(referencedSecrets(snapshot.config.peers)),
      },
      bgpMemo,
    );
    bgp.update(bgpPlan.peers);
    bgpStatus.setDesired(bgpPlan.statuses);
    logProblems(log, bgpPlan.problems);
    metrics.setAnnounced(o.node, "layer2", plan.announced);
    metrics.setAnnounced(o.node, "bgp", bgpPlan.announced);
    lastPlanMs = performance.now() - started;
    lastPlanEnd = performance.now();
    metrics.planSeconds.observe(lastPlanMs / 1000);
    trimmer.changed();
  };
  // A whole-cluster plan per burst of watch events, but never more than half
  // the time: with 10,000 Services a plan takes ~0.8 s on a busy core, and a
  // stream of events must not keep the speaker (and the API server) saturated.
  // Liveness changes skip this and recompute at once (failover).
  let planScheduled = false;
  view.onChange(() => {
    if (planScheduled) return;
    planScheduled = true;
    const wait = Math.max(0, lastPlanEnd + lastPlanMs - performance.now());
    setTimeout(() => {
      planScheduled = false;
      recompute();
    }, wait).unref();
  });

  let server: Server | undefined;
  if (o.metricsPort !== undefined && o.metricsPort !== 0) {
    server = await startMetricsServer({
      port: o.metricsPort,
      host: o.metricsHost,
      registry: metrics.registry,
      ready: () => view.synced,
    });
  }
  await Promise.all([view.start(), status.start(), bgpStatus.start()]);
  recompute();
  log.info({ node: o.node }, "speaker started");

  return {
    metrics,
    metricsPort: addressPort(server),
    async stop() {
      // Peers see "leaving" and take over at once; we keep answering for the
      // handover so no request goes unanswered in between (issue 5).
      await liveness.leave().catch((e: unknown) => {
        log.warn({ err: errorText(e) }, "leave not sent");
      });
      await sleep(o.handoverMs);
      await bgp.close();
      controller.abort();
      clearInterval(scanTimer);
      await Promise.all(announcers.map((a) => a.close()));
      await new Promise<void>((resolve) => {
        if (server === undefined) resolve();
        else
          server.close(() => {
            resolve();
          });
      });
    },
  };
}

function statusTarget(
  o: StartSpeakerOptions,
  log: Logger,
  signal: AbortSignal,
): Omit<ConstructorParameters<typeof StatusWriter>[0], "kind"> {
  return { api: o.api, namespace: o.namespace, node: o.node, log, signal, owner: o.owner };
}

/** Logs BGP configuration problems once per distinct set (recompute runs often). */
let lastProblems = "";
function logProblems(log: Logger, problems: readonly string[]): void {
  const text = problems.join("\n");
  if (text === lastProblems) return;
  lastProblems = text;
  if (problems.length > 0) log.warn({ problems }, "BGP configuration not usable");
}

function addressPort(server: Server | undefined): number | undefined {
  const address = server?.address();
  return typeof address === "object" && address !== null ? address.port : undefined;
}

function peerAddresses(
  nodes: readonly { name: string; addresses: readonly string[] }[],
  self: string,
): Map<string, string> {
  const peers = new Map<string, string>();
  for (const node of nodes) {
    const address = node.addresses[0];
    if (node.name !== self && address !== undefined) peers.set(node.name, address);
  }
  return peers;
}

function readSecret(file: string, log: Logger): Uint8Array | undefined {
  try {
    return readFileSync(file);
  } catch (e: unknown) {
    log.warn({ file, err: errorText(e) }, "memberlist secret key not readable");
    return undefined;
  }
}

export async function runSpeaker(
  flags: SpeakerFlags & {
    node: string;
    metricsPortNumber: number;
    livenessPort: number;
    heartbeatMs: number;
    holdDownMs: number;
    gratuitousRefreshMs: number;
    interfaceScanMs: number;
    handoverMs: number;
    heapTrimQuietMs: number;
    exclude: RegExp[];
  },
): Promise<void> {
  const log = createLogger("speaker", flags.logLevel);
  const signal = shutdownSignal(log);
  const podName = process.env.POD_NAME;
  const podUid = process.env.POD_UID;
  const speaker = await startSpeaker({
    ...flags,
    api: new ApiClient(loadApiConfig(flags.kubeconfig)),
    lbClass: flags.lbClass,
    metricsPort: flags.metricsPortNumber,
    livenessSecret: readSecret(flags.memberlistKeyFile, log),
    owner:
      podName !== undefined && podUid !== undefined ? { name: podName, uid: podUid } : undefined,
    log,
  });
  await new Promise<void>((resolve) => {
    signal.addEventListener("abort", () => {
      resolve();
    });
  });
  await speaker.stop();
}
