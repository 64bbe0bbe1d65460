// `metallb-ts webhook` and `metallb-ts reconciler` as lab processes in the
// machine's namespace (next to the control plane), each waited for until its
// /readyz answers, and the probe that tells the API server really calls the
// mutating webhook. Shared by `npm run lab` and the benches.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { freePorts, httpsGet, type ControlPlane } from "../control-plane/cluster.ts";
import { tryRun, waitFor } from "./exec.ts";
import { METALLB_TS } from "./speaker-lab.ts";
import type { Lan } from "./topology.ts";
import { webhookArgs } from "../webhook-child.ts";

export interface LabComponent {
  readonly pid: number;
  readonly port: number;
  readonly log: string;
}

interface ComponentOptions {
  /** Process name in the lab's records, and its log file name. */
  readonly name: string;
  readonly dir: string;
  readonly extraArgs?: readonly string[];
}

async function waitReady(
  what: string,
  exitCode: () => number | null,
  log: string,
  ready: () => Promise<boolean>,
): Promise<void> {
  await waitFor(
    `${what} (log ${log})`,
    async () => {
      if (exitCode() !== null) throw new Error(`exited; see ${log}`);
      return ready();
    },
    { timeoutMs: 30_000, stepMs: 200 },
  );
}

/** One webhook on 127.0.0.1 with the control plane's serving certificate. */
export async function startWebhookProcess(
  lan: Lan,
  cp: ControlPlane,
  o: ComponentOptions,
): Promise<LabComponent & { url: string }> {
  const [port = 0] = await freePorts(1);
  const log = join(o.dir, `${o.name}.log`);
  const child = lan.spawnRoot(
    o.name,
    [process.execPath, METALLB_TS, ...webhookArgs(cp, port), ...(o.extraArgs ?? [])],
    { log },
  );
  const ca = await readFile(cp.caCert);
  const url = `https://127.0.0.1:${String(port)}`;
  await waitReady(
    `${o.name} /readyz on ${url}`,
    () => child.exitCode,
    log,
    async () => {
      return (await httpsGet(`${url}/readyz`, { ca })).status === 200;
    },
  );
  return { pid: child.pid ?? 0, port, log, url };
}

/** The reconciler, with its metrics/health server on a free 127.0.0.1 port. */
export async function startReconcilerProcess(
  lan: Lan,
  cp: ControlPlane,
  o: ComponentOptions,
): Promise<LabComponent> {
  const [port = 0] = await freePorts(1);
  const log = join(o.dir, `${o.name}.log`);
  const child = lan.spawnRoot(
    o.name,
    [
      process.execPath,
      METALLB_TS,
      "reconciler",
      `--kubeconfig=${cp.kubeconfig}`,
      `--metrics-port=${String(port)}`,
      ...(o.extraArgs ?? []),
    ],
    { log },
  );
  await waitReady(
    `${o.name} /readyz on 127.0.0.1:${String(port)}`,
    () => child.exitCode,
    log,
    async () => (await fetch(`http://127.0.0.1:${String(port)}/readyz`)).status === 200,
  );
  return { pid: child.pid ?? 0, port, log };
}

/** Registration reaches the API server asynchronously: probe until our mutating webhook refuses a bad request. */
export async function waitUntilAssignmentAnswers(cp: ControlPlane): Promise<void> {
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
