// `npm run bench -- admission`: what IP assignment at admission costs a
// Service create. One run, one local control plane: 1,000 creates paced at
// 50/s in each of three modes, interleaved a second at a time: without a
// webhook, behind a no-op webhook (the floor any webhook pays), and with two
// of our webhook replicas (child processes behind a round-robin proxy); then
// without and with ours at a fixed concurrency for creates/s; plus the
// busiest replica's own handler-time summary.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api } from "@kubernetes/client-node";
import { loadKubeConfig } from "../core/kube/kube-config.ts";
import { stringify } from "yaml";
import { allCrds } from "../core/api/crd-manifests.ts";
import {
  MUTATING_CONFIGURATION_NAME,
  mutatingWebhookConfiguration,
} from "../core/api/webhook-configurations.ts";
import { httpsGet, kubectlAt, startControlPlane } from "../test/control-plane/cluster.ts";
import { repoRoot } from "../test/control-plane/binaries.ts";
import { startWebhookChild } from "../test/webhook-child.ts";
import { percentile, printJsonLine, round } from "./bench-stats.ts";

const CREATES = 1000;
const RATE_PER_S = 50;
const CONCURRENCY = 16;
/** Paced creates in a row in one mode before the next mode's turn (1 s at 50/s). */
const BLOCK = 50;
const MODES = { without: "off-paced", noop: "noop-paced", ours: "on-paced" } as const;

/**
 * A helper process that prints "READY <port>" once it listens: the round-robin
 * proxy (as the lab runs it) and the no-op webhook. In this process they would
 * share an event loop (and its GC pauses) with the load generator, and every
 * stall would count as webhook latency.
 */
async function startReadyChild(
  script: string,
  args: readonly string[],
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(repoRoot, script), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  for await (const chunk of child.stdout) {
    out += String(chunk);
    const port = /READY (\d+)/.exec(out)?.[1];
    if (port !== undefined) return { child, port: Number(port) };
  }
  throw new Error(`${script} exited before READY: ${out}`);
}

interface Phase {
  /** Per namespace: create latencies and how many responses carried an IP. */
  readonly byNamespace: Map<string, { latenciesMs: number[]; assigned: number }>;
  readonly elapsedMs: number;
}

/**
 * CREATES Services per namespace. Paced creates go to the namespaces in
 * turn, BLOCK at a time, so that every mode sees the same moments of the run:
 * on 2 shared cores a stall of the machine lands on whichever phase is
 * running, and back-to-back phases made the p99s swing by 100 ms from run to run.
 */
async function createServices(opts: {
  api: CoreV1Api;
  namespaces: readonly string[];
  pacing: { ratePerS: number } | { concurrency: number };
}): Promise<Phase> {
  const byNamespace = new Map(
    opts.namespaces.map((ns) => [ns, { latenciesMs: [] as number[], assigned: 0 }]),
  );
  const total = CREATES * opts.namespaces.length;
  const one = async (i: number) => {
    const namespace = opts.namespaces[Math.floor(i / BLOCK) % opts.namespaces.length] ?? "";
    const start = performance.now();
    const svc = await opts.api.createNamespacedService({
      namespace,
      body: {
        metadata: { name: `s-${String(i)}` },
        // No NodePorts: 5,000 Services would exhaust the 2,768-port default range.
        spec: {
          type: "LoadBalancer",
          allocateLoadBalancerNodePorts: false,
          selector: { app: `a${String(i)}` },
          ports: [{ port: 80 }],
        },
      },
    });
    const phase = byNamespace.get(namespace);
    phase?.latenciesMs.push(performance.now() - start);
    if (
      phase !== undefined &&
      svc.metadata?.annotations?.["metallb.io/allocated-ips"] !== undefined
    )
      phase.assigned++;
  };
  const t0 = performance.now();
  if ("ratePerS" in opts.pacing) {
    const interval = 1000 / opts.pacing.ratePerS;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = t0 + i * interval - performance.now();
      if (due > 0) await sleep(due);
      pending.push(one(i));
    }
    await Promise.all(pending);
  } else {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < total; i = next++) await one(i);
    };
    await Promise.all(Array.from({ length: opts.pacing.concurrency }, worker));
  }
  return { byNamespace, elapsedMs: performance.now() - t0 };
}

/** One sample of the mutating route's handler-time summary, e.g. `quantile="0.99"` or `_count`. */
function handlerFigure(metrics: string, selector: string): number {
  const line = metrics
    .split("\n")
    .find(
      (l) =>
        l.startsWith("metallb_ts_webhook_handler_seconds") &&
        l.includes('route="/mutate-v1-service"') &&
        l.includes(selector),
    );
  return line === undefined ? Number.NaN : Number(line.split(" ").pop());
}

/**
 * The handler time of the replica that served the most admissions: the API
 * server keeps its connection open, so one replica may have served nearly
 * all of them and the other a handful, whose quantiles say nothing.
 */
function busiestReplica(metrics: readonly string[]): { body: string; count: number } {
  const counted = metrics.map((body) => ({
    body,
    count: handlerFigure(body, "_count{") || 0,
  }));
  return counted.reduce((a, b) => (b.count > a.count ? b : a));
}

export default async function admissionBench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "metallb-ts-bench-"));
  const cp = await startControlPlane({ dir, log: () => undefined });
  const children: ChildProcess[] = [];
  /** Registers a mutating webhook behind `proxy` for Services in `namespaces` only. */
  const register = async (args: {
    ca: Buffer;
    proxy: { child: ChildProcess; port: number };
    name: string;
    namespaces: readonly string[];
  }): Promise<void> => {
    children.push(args.proxy.child);
    const config = mutatingWebhookConfiguration({
      url: `https://127.0.0.1:${String(args.proxy.port)}`,
      caBundle: args.ca.toString("base64"),
    });
    const scoped = {
      ...config,
      metadata: { name: args.name },
      webhooks: config.webhooks.map((w) => ({
        ...w,
        namespaceSelector: {
          matchExpressions: [
            { key: "kubernetes.io/metadata.name", operator: "In", values: args.namespaces },
          ],
        },
      })),
    };
    await kubectlAt(cp, ["apply", "-f", "-"], JSON.stringify(scoped));
  };
  try {
    const ca = await readFile(cp.caCert);
    await kubectlAt(
      cp,
      ["apply", "-f", "-"],
      allCrds()
        .map((c) => stringify(c))
        .join("---\n"),
    );
    await kubectlAt(cp, [
      "wait",
      "--for=condition=established",
      "crd/ipaddresspools.metallb.io",
      "crd/ipaddressclaims.metallb.io",
    ]);
    await kubectlAt(cp, ["create", "namespace", "metallb-system"]);
    // One namespace per mode and phase: deleting 1,000 Services between
    // phases takes the API server minutes, and the pool (2,048 addresses)
    // holds both of our phases' claims.
    for (const phase of [...Object.values(MODES), "off-burst", "on-burst"]) {
      await kubectlAt(cp, ["create", "namespace", phase]);
    }
    await kubectlAt(
      cp,
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "metallb.io/v1beta1",
        kind: "IPAddressPool",
        metadata: { name: "bench", namespace: "metallb-system" },
        spec: { addresses: ["198.19.0.0/21"] },
      }),
    );
    // Announced, as in a real setup (otherwise every admission also warns and records an Event).
    await kubectlAt(
      cp,
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "metallb.io/v1beta1",
        kind: "L2Advertisement",
        metadata: { name: "bench", namespace: "metallb-system" },
      }),
    );
    const kc = loadKubeConfig(cp.kubeconfig);
    const api = kc.makeApiClient(CoreV1Api);

    // The floor: the same registration and proxy in front of a webhook that
    // does nothing; ours: two replicas behind the round-robin proxy. Each
    // answers for its own namespaces only, so the modes run side by side.
    const noop = await startReadyChild("bench/admission/noop-webhook.ts", [
      cp.webhookCert,
      cp.webhookKey,
    ]);
    children.push(noop.child);
    const started = [await startWebhookChild(cp, ca), await startWebhookChild(cp, ca)];
    children.push(...started.map((r) => r.child));
    await register({
      ca,
      proxy: await startReadyChild("test/lab/webhook-proxy.ts", [String(noop.port)]),
      name: "bench-noop-webhook",
      namespaces: [MODES.noop],
    });
    await register({
      ca,
      proxy: await startReadyChild(
        "test/lab/webhook-proxy.ts",
        started.map((r) => String(r.port)),
      ),
      name: MUTATING_CONFIGURATION_NAME,
      namespaces: [MODES.ours, "on-burst"],
    });
    await sleep(2000); // registrations reach the API server's webhook cache asynchronously

    const paced = await createServices({
      api,
      namespaces: [MODES.without, MODES.noop, MODES.ours],
      pacing: { ratePerS: RATE_PER_S },
    });
    const busiest = busiestReplica(
      (
        await Promise.all(
          started.map((r) => httpsGet(`https://127.0.0.1:${String(r.port)}/metrics`, { ca })),
        )
      ).map((m) => m.body),
    );
    const withoutBurst = await createServices({
      api,
      namespaces: ["off-burst"],
      pacing: { concurrency: CONCURRENCY },
    });
    const withBurst = await createServices({
      api,
      namespaces: ["on-burst"],
      pacing: { concurrency: CONCURRENCY },
    });
    const latencies = (ns: string) => paced.byNamespace.get(ns)?.latenciesMs ?? [];
    const withoutPaced = latencies(MODES.without);
    const noopPaced = latencies(MODES.noop);
    const withPaced = latencies(MODES.ours);
    const pacedAssigned = paced.byNamespace.get(MODES.ours)?.assigned ?? 0;
    const burstAssigned = withBurst.byNamespace.get("on-burst")?.assigned ?? 0;

    const figures = {
      creates: CREATES,
      paced_rate_per_s: RATE_PER_S,
      without_p50_ms: round(percentile(withoutPaced, 50)),
      without_p99_ms: round(percentile(withoutPaced, 99)),
      with_p50_ms: round(percentile(withPaced, 50)),
      with_p99_ms: round(percentile(withPaced, 99)),
      added_p99_ms: round(percentile(withPaced, 99) - percentile(withoutPaced, 99)),
      noop_p50_ms: round(percentile(noopPaced, 50)),
      noop_p99_ms: round(percentile(noopPaced, 99)),
      added_over_noop_p50_ms: round(percentile(withPaced, 50) - percentile(noopPaced, 50)),
      added_over_noop_p99_ms: round(percentile(withPaced, 99) - percentile(noopPaced, 99)),
      handler_p50_ms: round(handlerFigure(busiest.body, 'quantile="0.5"') * 1000, 3),
      handler_busiest_count: busiest.count,
      handler_p99_ms: round(handlerFigure(busiest.body, 'quantile="0.99"') * 1000, 3),
      assigned_in_response: pacedAssigned,
      concurrency: CONCURRENCY,
      without_creates_per_s: round((CREATES / withoutBurst.elapsedMs) * 1000, 1),
      with_creates_per_s: round((CREATES / withBurst.elapsedMs) * 1000, 1),
      with_burst_assigned: burstAssigned,
    };
    console.log(
      `admission: ${CREATES} Service creates at ${RATE_PER_S}/s, then at concurrency ${CONCURRENCY}`,
    );
    console.log(
      `  create latency without webhook  p50 ${figures.without_p50_ms} ms  p99 ${figures.without_p99_ms} ms`,
    );
    console.log(
      `  create latency, no-op webhook   p50 ${figures.noop_p50_ms} ms  p99 ${figures.noop_p99_ms} ms  (the floor: any webhook behind the same proxy)`,
    );
    console.log(
      `  create latency with 2 replicas  p50 ${figures.with_p50_ms} ms  p99 ${figures.with_p99_ms} ms  (added p99 ${figures.added_p99_ms} ms; target < 5 ms)`,
    );
    console.log(
      `  ours over the no-op webhook     p50 ${figures.added_over_noop_p50_ms} ms  p99 ${figures.added_over_noop_p99_ms} ms`,
    );
    console.log(
      `  handler time (busiest replica, ${String(busiest.count)} admissions)  p50 ${figures.handler_p50_ms} ms  p99 ${figures.handler_p99_ms} ms`,
    );
    console.log(
      `  IP in the create response       ${String(pacedAssigned)}/${String(CREATES)} paced, ${String(burstAssigned)}/${String(CREATES)} burst`,
    );
    console.log(
      `  creates/s at concurrency ${CONCURRENCY}   without ${figures.without_creates_per_s}  with ${figures.with_creates_per_s}`,
    );
    printJsonLine("admission", figures);
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await cp.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
