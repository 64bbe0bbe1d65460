// `npm run bench -- admission`: what IP assignment at admission costs a
// Service create. One run, one local control plane: 1,000 creates paced at
// 50/s without our webhook, the same with two webhook replicas (child
// processes behind a round-robin proxy), then each mode at a fixed concurrency
// for creates/s; plus the replicas' own handler-time summaries.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api } from "@kubernetes/client-node";
import { loadKubeConfig } from "../core/kube/kube-config.ts";
import { stringify } from "yaml";
import { allCrds } from "../core/api/crd-manifests.ts";
import { mutatingWebhookConfiguration } from "../core/api/webhook-configurations.ts";
import {
  freePort,
  kubectlAt,
  startControlPlane,
  type ControlPlane,
} from "../test/control-plane/cluster.ts";
import { repoRoot } from "../test/control-plane/binaries.ts";
import { startRoundRobinProxy } from "../test/round-robin-proxy.ts";
import { percentile, printJsonLine, round } from "./bench-stats.ts";

const CREATES = 1000;
const RATE_PER_S = 50;
const CONCURRENCY = 16;

function httpsGet(
  port: number,
  path: string,
  ca: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, ca }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

async function startReplica(
  cp: ControlPlane,
  ca: Buffer,
): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, "bin/metallb-ts.js"),
      "webhook",
      "--listen=127.0.0.1",
      `--port=${port}`,
      `--tls-cert=${cp.webhookCert}`,
      `--tls-key=${cp.webhookKey}`,
      `--kubeconfig=${cp.kubeconfig}`,
      "--log-level=warn",
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  for (let i = 0; i < 300; i++) {
    const ready = await httpsGet(port, "/readyz", ca).catch(() => undefined);
    if (ready?.status === 200) return { child, port };
    await sleep(100);
  }
  child.kill();
  throw new Error(`webhook replica on port ${port} never became ready`);
}

interface Phase {
  latenciesMs: number[];
  assigned: number;
  elapsedMs: number;
}

async function createServices(opts: {
  api: CoreV1Api;
  namespace: string;
  prefix: string;
  pacing: { ratePerS: number } | { concurrency: number };
}): Promise<Phase> {
  const latenciesMs: number[] = [];
  let assigned = 0;
  const one = async (i: number) => {
    const start = performance.now();
    const svc = await opts.api.createNamespacedService({
      namespace: opts.namespace,
      body: {
        metadata: { name: `${opts.prefix}-${i}` },
        // No NodePorts: 4,000 Services would exhaust the 2,768-port default range.
        spec: {
          type: "LoadBalancer",
          allocateLoadBalancerNodePorts: false,
          selector: { app: `a${i}` },
          ports: [{ port: 80 }],
        },
      },
    });
    latenciesMs.push(performance.now() - start);
    if (svc.metadata?.annotations?.["metallb.io/allocated-ips"] !== undefined) assigned++;
  };
  const t0 = performance.now();
  if ("ratePerS" in opts.pacing) {
    const interval = 1000 / opts.pacing.ratePerS;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < CREATES; i++) {
      const due = t0 + i * interval - performance.now();
      if (due > 0) await sleep(due);
      pending.push(one(i));
    }
    await Promise.all(pending);
  } else {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < CREATES; i = next++) await one(i);
    };
    await Promise.all(Array.from({ length: opts.pacing.concurrency }, worker));
  }
  return { latenciesMs, assigned, elapsedMs: performance.now() - t0 };
}

function handlerQuantile(metrics: string, quantile: string): number {
  const line = metrics
    .split("\n")
    .find(
      (l) =>
        l.startsWith("metallb_ts_webhook_handler_seconds{") &&
        l.includes('route="/mutate-v1-service"') &&
        l.includes(`quantile="${quantile}"`),
    );
  return line === undefined ? Number.NaN : Number(line.split(" ").pop()) * 1000;
}

export default async function admissionBench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "metallb-ts-bench-"));
  const cp = await startControlPlane({ dir, log: () => undefined });
  const replicas: ChildProcess[] = [];
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
    // One namespace per phase: deleting 1,000 Services between phases takes
    // the API server minutes, and the pool (2,048 addresses) holds both
    // webhook phases' claims.
    for (const phase of ["off-paced", "off-burst", "on-paced", "on-burst"]) {
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

    const withoutPaced = await createServices({
      api,
      namespace: "off-paced",
      prefix: "s",
      pacing: { ratePerS: RATE_PER_S },
    });
    const withoutBurst = await createServices({
      api,
      namespace: "off-burst",
      prefix: "s",
      pacing: { concurrency: CONCURRENCY },
    });

    const started = [await startReplica(cp, ca), await startReplica(cp, ca)];
    replicas.push(...started.map((r) => r.child));
    const proxy = await startRoundRobinProxy(started.map((r) => r.port));
    const config = mutatingWebhookConfiguration({
      url: `https://127.0.0.1:${proxy.port}`,
      caBundle: ca.toString("base64"),
    });
    await kubectlAt(cp, ["apply", "-f", "-"], JSON.stringify(config));
    await sleep(2000); // registration reaches the API server's webhook cache asynchronously
    const withPaced = await createServices({
      api,
      namespace: "on-paced",
      prefix: "s",
      pacing: { ratePerS: RATE_PER_S },
    });
    const metricsAfterPaced = await Promise.all(
      started.map((r) => httpsGet(r.port, "/metrics", ca)),
    );
    const withBurst = await createServices({
      api,
      namespace: "on-burst",
      prefix: "s",
      pacing: { concurrency: CONCURRENCY },
    });
    await proxy.close();

    const figures = {
      creates: CREATES,
      paced_rate_per_s: RATE_PER_S,
      without_p50_ms: round(percentile(withoutPaced.latenciesMs, 50)),
      without_p99_ms: round(percentile(withoutPaced.latenciesMs, 99)),
      with_p50_ms: round(percentile(withPaced.latenciesMs, 50)),
      with_p99_ms: round(percentile(withPaced.latenciesMs, 99)),
      added_p99_ms: round(
        percentile(withPaced.latenciesMs, 99) - percentile(withoutPaced.latenciesMs, 99),
      ),
      handler_p50_ms: round(
        Math.max(...metricsAfterPaced.map((m) => handlerQuantile(m.body, "0.5"))),
        3,
      ),
      handler_p99_ms: round(
        Math.max(...metricsAfterPaced.map((m) => handlerQuantile(m.body, "0.99"))),
        3,
      ),
      assigned_in_response: withPaced.assigned,
      concurrency: CONCURRENCY,
      without_creates_per_s: round((CREATES / withoutBurst.elapsedMs) * 1000, 1),
      with_creates_per_s: round((CREATES / withBurst.elapsedMs) * 1000, 1),
      with_burst_assigned: withBurst.assigned,
    };
    console.log(
      `admission: ${CREATES} Service creates at ${RATE_PER_S}/s, then at concurrency ${CONCURRENCY}`,
    );
    console.log(
      `  create latency without webhook  p50 ${figures.without_p50_ms} ms  p99 ${figures.without_p99_ms} ms`,
    );
    console.log(
      `  create latency with 2 replicas  p50 ${figures.with_p50_ms} ms  p99 ${figures.with_p99_ms} ms  (added p99 ${figures.added_p99_ms} ms; target < 5 ms)`,
    );
    console.log(
      `  handler time (worst replica)    p50 ${figures.handler_p50_ms} ms  p99 ${figures.handler_p99_ms} ms`,
    );
    console.log(
      `  IP in the create response       ${withPaced.assigned}/${CREATES} paced, ${withBurst.assigned}/${CREATES} burst`,
    );
    console.log(
      `  creates/s at concurrency ${CONCURRENCY}   without ${figures.without_creates_per_s}  with ${figures.with_creates_per_s}`,
    );
    printJsonLine("admission", figures);
  } finally {
    for (const child of replicas) child.kill("SIGTERM");
    await cp.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
