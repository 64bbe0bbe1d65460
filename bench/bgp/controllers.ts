// The admission path for the BGP bench: one `metallb-ts webhook` process
// (Service IP assignment in the create call) registered as the mutating
// webhook, and the `metallb-ts reconciler` (publishes status.loadBalancer).
// Both run in the machine's namespace as lab processes, so the lab's destroy
// stops them if the bench fails.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  MUTATING_CONFIGURATION_NAME,
  mutatingWebhookConfiguration,
} from "../../core/api/webhook-configurations.ts";
import { freePorts, httpsGet } from "../../test/control-plane/cluster.ts";
import { tryRun, waitFor } from "../../test/lab/exec.ts";
import { METALLB_TS, type SpeakerLab } from "../../test/lab/speaker-lab.ts";

export interface Controllers {
  /** Removes the mutating webhook registration and stops both processes. */
  stop(): Promise<void>;
}

async function startWebhook(lab: SpeakerLab): Promise<{ url: string; pid: number }> {
  const [port = 0] = await freePorts(1);
  const { cp, lan } = lab;
  const log = join(lan.dir, "webhook.log");
  const child = lan.spawnRoot(
    "webhook",
    [
      process.execPath,
      METALLB_TS,
      "webhook",
      "--listen=127.0.0.1",
      `--port=${String(port)}`,
      `--tls-cert=${cp.webhookCert}`,
      `--tls-key=${cp.webhookKey}`,
      `--kubeconfig=${cp.kubeconfig}`,
      "--log-level=warn",
    ],
    { log },
  );
  const ca = await readFile(cp.caCert);
  await waitFor(
    `webhook /readyz on 127.0.0.1:${String(port)} (log ${log})`,
    async () => {
      if (child.exitCode !== null) throw new Error(`exited; see ${log}`);
      const r = await httpsGet(`https://127.0.0.1:${String(port)}/readyz`, { ca });
      return r.status === 200;
    },
    { timeoutMs: 30_000, stepMs: 200 },
  );
  return { url: `https://127.0.0.1:${String(port)}`, pid: child.pid ?? 0 };
}

async function startReconciler(lab: SpeakerLab): Promise<number> {
  const [port = 0] = await freePorts(1);
  const log = join(lab.lan.dir, "reconciler.log");
  const child = lab.lan.spawnRoot(
    "reconciler",
    [
      process.execPath,
      METALLB_TS,
      "reconciler",
      `--kubeconfig=${lab.cp.kubeconfig}`,
      `--metrics-port=${String(port)}`,
      "--no-leader-elect",
      "--log-level=warn",
    ],
    { log },
  );
  await waitFor(
    `reconciler /readyz on 127.0.0.1:${String(port)} (log ${log})`,
    async () => {
      if (child.exitCode !== null) throw new Error(`exited; see ${log}`);
      const r = await fetch(`http://127.0.0.1:${String(port)}/readyz`);
      return r.status === 200;
    },
    { timeoutMs: 30_000, stepMs: 200 },
  );
  return child.pid ?? 0;
}

/** Registration reaches the API server asynchronously: probe until our webhook refuses a bad request. */
async function waitUntilAssignmentAnswers(lab: SpeakerLab): Promise<void> {
  const probe = {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "bench-probe",
      namespace: "default",
      annotations: { "metallb.io/loadBalancerIPs": "not-an-ip" },
    },
    spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
  };
  const { cp } = lab;
  await waitFor(
    "the API server calling the mutating webhook",
    async () => {
      const r = await tryRun(
        [
          cp.binaries.kubectl,
          `--kubeconfig=${cp.kubeconfig}`,
          "create",
          "--dry-run=server",
          "-f",
          "-",
        ],
        { input: JSON.stringify(probe) },
      );
      if (r.stderr.includes("REQUESTED_IP_INVALID")) return true;
      throw new Error(r.stderr.trim() || "the probe Service was admitted");
    },
    { timeoutMs: 30_000, stepMs: 250 },
  );
}

/** Webhook (+ reconciler unless told not to) running, the mutating webhook registered and answering. */
export async function startControllers(
  lab: SpeakerLab,
  opts: { reconciler?: boolean } = {},
): Promise<Controllers> {
  const [{ url, pid }, reconcilerPid] = await Promise.all([
    startWebhook(lab),
    opts.reconciler === false ? Promise.resolve(undefined) : startReconciler(lab),
  ]);
  const caBundle = (await readFile(lab.cp.caCert)).toString("base64");
  await lab.apply([mutatingWebhookConfiguration({ url, caBundle })]);
  await waitUntilAssignmentAnswers(lab);
  return {
    stop: async () => {
      await lab.kubectl([
        "delete",
        "mutatingwebhookconfiguration",
        MUTATING_CONFIGURATION_NAME,
        "--ignore-not-found",
      ]);
      await lab.lan.processes.stop(pid);
      if (reconcilerPid !== undefined) await lab.lan.processes.stop(reconcilerPid);
    },
  };
}
