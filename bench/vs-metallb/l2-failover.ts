// Scenario 4, Layer 2 failover: the node answering ARP for a Service's VIP
// has its link cut; how long until the client is answered by another node.
// One LoadBalancer Service (externalTrafficPolicy Cluster, an endpoint on
// every node, so any node may announce) requests the VIP; the system's own
// controller assigns it and the system's speakers announce it. A probe in the
// client namespace broadcasts a who-has every 10 ms (bench/l2/arp-probe.ts);
// each trial is bench/l2/failover-trial.ts, the same as
// `npm run bench -- l2-failover`'s.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { V1Service } from "@kubernetes/client-node";
import { waitFor } from "../../test/lab/exec.ts";
import type { Lan } from "../../test/lab/topology.ts";
import { round } from "../bench-stats.ts";
import type { AnswerLog } from "../l2/answer-log.ts";
import { AnswerProbe } from "../l2/answer-probe.ts";
import { parseAnswerLine } from "../l2/arp-answer.ts";
import { summarizeFailover } from "../l2/failover-stats.ts";
import { failoverTrial } from "../l2/failover-trial.ts";
import { createL2Lab, L2_POOL, L2_VIP, type L2Lab } from "./l2-lab.ts";
import type { Figures, Scenario, ScenarioContext, SetUpContext } from "./scenarios.ts";
import { startSpeakers } from "./speakers.ts";
import type { RunningSystem, SystemName } from "./systems.ts";

const ARP_PROBE = join(dirname(fileURLToPath(import.meta.url)), "..", "l2", "arp-probe.ts");
const SERVICE = "l2-failover";
/** A trial with no answer from another node within this counts as a timeout. */
const DEADLINE_MS = 30_000;
/** Before the first trial: one node the sole answerer for this long. */
const FIRST_OWNER_STEADY_MS = 5_000;
/** After the link is back: the cut node the sole answerer again for this long. */
const SETTLED_STEADY_MS = 3_000;
/** MetalLB's speakers re-join memberlist peers they lost every minute (internal/speakerlist). */
const SETTLE_TIMEOUT_MS = 180_000;

/** Trials per run; with --rounds=N the figures pool the trials of a system's N runs. */
function trials(quick: boolean): number {
  return quick ? 5 : 20;
}

function figures(samples: readonly (number | undefined)[]): Figures {
  const summary = summarizeFailover(samples);
  return {
    failover_p50_ms: summary.p50Ms,
    failover_p99_ms: summary.p99Ms,
    failover_max_ms: summary.maxMs,
    failover_timeouts: summary.timeouts,
  };
}

function service(ctx: ScenarioContext): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: SERVICE,
      namespace: ctx.namespace,
      annotations: { "metallb.io/loadBalancerIPs": L2_VIP },
    },
    spec: {
      type: "LoadBalancer",
      loadBalancerClass: ctx.lbClass,
      allocateLoadBalancerNodePorts: false,
      externalTrafficPolicy: "Cluster",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    },
  };
}

/** Creates the Service and its EndpointSlice; resolves once the system's controller gave it the VIP. */
async function createService(l2: L2Lab, ctx: ScenarioContext): Promise<void> {
  await ctx.core.createNamespacedService({ namespace: ctx.namespace, body: service(ctx) });
  await l2.lab.setEndpoints(
    SERVICE,
    l2.lab.lan.nodes.map((n) => n.name),
    ctx.namespace,
  );
  await waitFor(
    `${SERVICE} has ${L2_VIP} in its status`,
    async () => {
      const svc = await ctx.core.readNamespacedService({ name: SERVICE, namespace: ctx.namespace });
      return svc.status?.loadBalancer?.ingress?.some((i) => i.ip === L2_VIP) === true;
    },
    { timeoutMs: 60_000, stepMs: 100 },
  );
}

/** Resolves once `node` has been the only node answering for `steadyMs`. */
function soleAnswerer(answers: AnswerLog, node: string, steadyMs: number): Promise<number> {
  const t0 = Date.now();
  return waitFor(
    `${node} the only node answering ARP for ${L2_VIP} for ${String(steadyMs / 1000)} s`,
    () => ((answers.soleFor(node, Date.now()) ?? 0) >= steadyMs ? Date.now() - t0 : undefined),
    { timeoutMs: SETTLE_TIMEOUT_MS, stepMs: 100 },
  );
}

function arpProbe(lan: Lan): AnswerProbe {
  const client = lan.host("client");
  const nodeOfMac = new Map(lan.nodes.map((n) => [n.mac, n.name]));
  return new AnswerProbe(
    client.ns,
    [process.execPath, ARP_PROBE, "eth0", client.ipv4, L2_VIP],
    (line) => parseAnswerLine(line, nodeOfMac),
  );
}

/** Each trial's ms, undefined for a timeout. */
async function measure(
  l2: L2Lab,
  ctx: ScenarioContext,
  probe: AnswerProbe,
): Promise<(number | undefined)[]> {
  const { lan } = l2.lab;
  const first = await waitFor(
    `one node answering ARP for ${L2_VIP} alone`,
    () => {
      const node = probe.log.current();
      const steady = node === undefined ? undefined : probe.log.soleFor(node, Date.now());
      return steady !== undefined && steady >= FIRST_OWNER_STEADY_MS ? node : undefined;
    },
    { timeoutMs: SETTLE_TIMEOUT_MS, stepMs: 100 },
  );
  ctx.log(`  ${first} answers for ${L2_VIP}`);
  const samples: (number | undefined)[] = [];
  for (let i = 0; i < trials(ctx.quick); i++) {
    let settledMs = 0;
    const { owner, ms } = await failoverTrial({
      answers: probe.log,
      event: "link cut",
      cut: (node) => lan.linkDown(node),
      restore: (node) => lan.linkUp(node),
      // Both systems elect by a hash over the nodes up: with all nodes back
      // the cut node is the owner again, once every speaker counts it in.
      settle: async (node) => {
        settledMs = await soleAnswerer(probe.log, node, SETTLED_STEADY_MS);
      },
      deadlineMs: DEADLINE_MS,
    });
    samples.push(ms);
    ctx.log(
      `  trial ${String(i + 1)}: ${owner}'s link cut, ${ms === undefined ? `no answer within ${String(DEADLINE_MS)} ms` : `answered by another node after ${String(ms)} ms`}; ${owner} sole answerer again ${String(round(settledMs / 1000, 1))} s after the link came back`,
    );
  }
  return samples;
}

/** Scenario 4; its LAN is made by setUp, for each run on that run's control plane. */
export function l2FailoverScenario(): Scenario {
  let l2: L2Lab | undefined;
  let metallbSpeaker = "";
  const trialsOf: Record<SystemName, (number | undefined)[]> = { "metallb-ts": [], MetalLB: [] };
  return {
    id: "l2-failover",
    title: "4. Layer 2 failover",
    description: (quick) =>
      `Three node namespaces (n1–n3) and a client on one bridge, each node running the system's speaker (metallb-ts: \`metallb-ts speaker\` with its defaults; MetalLB: its v0.16.1 speaker binary with the DaemonSet's flags and environment, memberlist on, its speaker Pods written by hand for peer discovery). One LoadBalancer Service requests ${L2_VIP} from pool ${L2_POOL} (assigned by the system's controller), externalTrafficPolicy Cluster, a serving endpoint on every node. The client broadcasts an ARP who-has for it every 10 ms. ${String(trials(quick))} trials per run (with more than one run per system, the figures are over all of its trials together): the node whose MAC answers (the last 20 answers agree) has its bridge port set down; figure = link down → first ARP reply from another node; then the link comes back and the next trial waits until the cut node is again the only one answering for ${String(SETTLED_STEADY_MS / 1000)} s (both systems hand the VIP back to it once every speaker counts it in). Timeouts = trials with no answer from another node within ${String(DEADLINE_MS / 1000)} s; the percentiles are over the answered trials.`,
    mustBeZero: ["failover_timeouts"],
    pooled: () => ({
      "metallb-ts": figures(trialsOf["metallb-ts"]),
      MetalLB: figures(trialsOf.MetalLB),
    }),
    setUp: async (env: SetUpContext) => {
      metallbSpeaker = env.metallbSpeaker;
      env.log("4. Layer 2 failover: building the namespace LAN");
      const lab = await createL2Lab(env.cp);
      l2 = lab;
      return async () => {
        l2 = undefined;
        await lab.tearDown();
      };
    },
    run: async (ctx: ScenarioContext, system: RunningSystem) => {
      if (l2 === undefined) throw new Error("the l2-failover scenario runs only after its setUp");
      await createService(l2, ctx);
      const speakers = await startSpeakers(system.name, l2, {
        lbClass: ctx.lbClass,
        logDir: ctx.logDir,
        metallbSpeaker,
      });
      const probe = arpProbe(l2.lab.lan);
      try {
        const samples = await measure(l2, ctx, probe);
        trialsOf[system.name].push(...samples);
        return figures(samples);
      } finally {
        await probe.stop();
        await speakers.stop();
      }
    },
  };
}
