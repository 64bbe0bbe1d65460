// Two (or more) webhook replicas with Service assignment, behind a
// round-robin proxy, registered with the test control plane as both the
// validating and the mutating webhook: the production topology, on loopback.
import { DEFAULT_NAMESPACE } from "../core/api/kinds.ts";
import { EventRecorder } from "../core/kube/event-recorder.ts";
import { createLogger } from "../core/logger.ts";
import { AllocationView } from "../core/kube/allocation-view.ts";
import { apiClientFor } from "../core/kube/kube-config.ts";
import { ClaimWriter } from "../core/kube/claim-writer.ts";
import { apiConfigSource } from "../webhook/config-source.ts";
import { startWebhookServer, type RunningWebhook } from "../webhook/server.ts";
import { controlPlane, kubeConfig, kubectl } from "./kube.ts";
import { startRoundRobinProxy, type RoundRobinProxy } from "./round-robin-proxy.ts";
import { applyCrds, registerWebhooks, unregisterWebhooks } from "./webhook-harness.ts";

export interface AssignmentWebhooks {
  readonly replicas: readonly RunningWebhook[];
  readonly views: readonly AllocationView[];
  readonly proxy: RoundRobinProxy;
  stop(): Promise<void>;
}

async function startReplica(
  signal: AbortSignal,
): Promise<{ webhook: RunningWebhook; view: AllocationView }> {
  const cp = controlPlane();
  const kc = kubeConfig();
  const log = createLogger("webhook", (process.env.WEBHOOK_LOG_LEVEL ?? "warn") as "warn");
  const api = apiClientFor(kc);
  const view = new AllocationView({
    api,
    namespace: DEFAULT_NAMESPACE,
    log,
    signal,
  });
  await view.start();
  const webhook = await startWebhookServer({
    host: "127.0.0.1",
    port: 0,
    tls: { certFile: cp.webhookCert, keyFile: cp.webhookKey },
    metallbNamespace: DEFAULT_NAMESPACE,
    configSource: apiConfigSource(api),
    mutating: {
      view,
      writer: new ClaimWriter(api, DEFAULT_NAMESPACE),
      events: new EventRecorder(api, "metallb-ts-webhook", log),
      lbClass: undefined,
      // The test API server's --service-cluster-ip-range (control-plane/cluster.ts).
      clusterFamilies: () => ["IPv4", "IPv6"],
      log,
    },
    log,
    signal,
  });
  return { webhook, view };
}

/** CRDs first (the views watch them), then replicas, proxy and both configurations. */
export async function startAssignmentWebhooks(count = 2): Promise<AssignmentWebhooks> {
  await applyCrds();
  const controller = new AbortController();
  const started = await Promise.all(
    Array.from({ length: count }, () => startReplica(controller.signal)),
  );
  const proxy = await startRoundRobinProxy(started.map((s) => s.webhook.port));
  const url = `https://127.0.0.1:${proxy.port}`;
  await applyCrds(url);
  await registerWebhooks(url);
  await waitUntilAssignmentAnswers();
  return {
    replicas: started.map((s) => s.webhook),
    views: started.map((s) => s.view),
    proxy,
    stop: async () => {
      await unregisterWebhooks();
      controller.abort();
      await proxy.close();
      await Promise.all(started.map((s) => s.webhook.close()));
    },
  };
}

/** Registration is asynchronous: probe with a Service only our mutating webhook refuses. */
async function waitUntilAssignmentAnswers(): Promise<void> {
  const probe = {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "assignment-probe",
      namespace: "default",
      annotations: { "metallb.io/loadBalancerIPs": "not-an-ip" },
    },
    spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await kubectl(["create", "--dry-run=server", "-f", "-"], {
      input: JSON.stringify(probe),
      allowFailure: true,
    });
    if (r.stderr.includes("REQUESTED_IP_INVALID")) return;
    if (Date.now() > deadline)
      throw new Error(`the API server never called the mutating webhook: ${r.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
