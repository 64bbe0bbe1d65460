// The two systems under comparison, started against one local control plane
// as child processes whose PIDs we own: metallb-ts (two webhook replicas
// behind a round-robin proxy, registered as the mutating webhook, plus the
// reconciler) and MetalLB's own controller (webhooks disabled). Each handles
// only Services of its run's spec.loadBalancerClass (both have --lb-class),
// so a run never touches another run's Services.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { mutatingWebhookConfiguration } from "../../core/api/webhook-configurations.ts";
import { repoRoot } from "../../test/control-plane/binaries.ts";
import { freePort, kubectlAt, type ControlPlane } from "../../test/control-plane/cluster.ts";
import { startRoundRobinProxy, type RoundRobinProxy } from "../../test/round-robin-proxy.ts";

export type SystemName = "metallb-ts" | "MetalLB";
export const SYSTEMS: readonly SystemName[] = ["metallb-ts", "MetalLB"];
export const METALLB_NAMESPACE = "metallb-system";
/** The Pod MetalLB's controller looks itself up as (owner of its ConfigurationState). */
export const METALLB_POD = "metallb-controller";
const LOG_LEVEL = "info"; // both systems' default

export interface RunningSystem {
  readonly name: SystemName;
  /** Peak RSS (VmHWM) of each controller-side process, in MB. */
  peakRssMb(): Promise<Record<string, number>>;
  /** Stops the controller (metallb-ts: the reconciler; the webhooks stay up). */
  stopController(): Promise<void>;
  /** Starts it again; resolves with ms from spawn until ready. */
  startController(): Promise<number>;
  stop(): Promise<void>;
}

export interface SystemContext {
  readonly cp: ControlPlane;
  readonly ca: Buffer;
  readonly lbClass: string;
  /** Where the processes' output goes. */
  readonly logDir: string;
  readonly metallbController: string;
}

async function vmHwmMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? "NaN") / 1024;
}

function httpsStatus(port: number, path: string, ca: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => {
      resolve(0);
    });
    req.end();
  });
}

async function httpStatus(port: number, path: string): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return res.status;
  } catch {
    return 0;
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(25);
  }
}

function spawnLogged(
  cmd: string,
  args: readonly string[],
  log: string,
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const out = createWriteStream(log, { flags: "a" });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  return child;
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the child has exited. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(killer);
}

function nodeArgs(): string[] {
  return [join(repoRoot, "bin/metallb-ts.js")];
}

async function startWebhookReplica(sc: SystemContext, n: number) {
  const port = await freePort();
  const child = spawnLogged(
    process.execPath,
    [
      ...nodeArgs(),
      "webhook",
      "--listen=127.0.0.1",
      `--port=${port}`,
      `--tls-cert=${sc.cp.webhookCert}`,
      `--tls-key=${sc.cp.webhookKey}`,
      `--kubeconfig=${sc.cp.kubeconfig}`,
      `--lb-class=${sc.lbClass}`,
      `--log-level=${LOG_LEVEL}`,
    ],
    join(sc.logDir, `webhook-${n}.log`),
  );
  await until(
    `webhook replica ${n} /readyz`,
    async () => (await httpsStatus(port, "/readyz", sc.ca)) === 200,
    60_000,
  );
  return { child, port };
}

async function startReconciler(sc: SystemContext, port: number): Promise<ChildProcess> {
  const child = spawnLogged(
    process.execPath,
    [
      ...nodeArgs(),
      "reconciler",
      `--kubeconfig=${sc.cp.kubeconfig}`,
      "--service-ip-families=IPv4",
      "--no-leader-elect",
      `--metrics-port=${port}`,
      `--lb-class=${sc.lbClass}`,
      `--log-level=${LOG_LEVEL}`,
    ],
    join(sc.logDir, "reconciler.log"),
  );
  await until(
    "reconciler /readyz",
    async () => (await httpStatus(port, "/readyz")) === 200,
    300_000,
  );
  return child;
}

/**
 * A dry-run create our mutating webhook refuses (an unparsable requested IP):
 * true while the API server calls our webhook for this run's class.
 */
async function webhookAnswers(sc: SystemContext): Promise<boolean | undefined> {
  const probe = {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "vs-metallb-probe",
      namespace: "default",
      annotations: { "metallb.io/loadBalancerIPs": "not-an-ip" },
    },
    spec: { type: "LoadBalancer", loadBalancerClass: sc.lbClass, ports: [{ port: 80 }] },
  };
  try {
    await kubectlAt(sc.cp, ["create", "--dry-run=server", "-f", "-"], JSON.stringify(probe));
    return false;
  } catch (e: unknown) {
    // Anything else (an overloaded API server's timeout): ask again.
    return String(e).includes("REQUESTED_IP_INVALID") ? true : undefined;
  }
}

export async function startMetallbTs(sc: SystemContext): Promise<RunningSystem> {
  const replicas = [await startWebhookReplica(sc, 1), await startWebhookReplica(sc, 2)];
  const proxy: RoundRobinProxy = await startRoundRobinProxy(replicas.map((r) => r.port));
  const config = mutatingWebhookConfiguration({
    url: `https://127.0.0.1:${proxy.port}`,
    caBundle: sc.ca.toString("base64"),
  });
  await kubectlAt(sc.cp, ["apply", "-f", "-"], JSON.stringify(config));
  await until(
    "the API server calls our webhook",
    async () => (await webhookAnswers(sc)) === true,
    30_000,
  );
  const metricsPort = await freePort();
  let reconciler = await startReconciler(sc, metricsPort);
  return {
    name: "metallb-ts",
    peakRssMb: async () => ({
      reconciler: await vmHwmMb(reconciler.pid),
      webhooks: (await vmHwmMb(replicas[0]?.child.pid)) + (await vmHwmMb(replicas[1]?.child.pid)),
    }),
    stopController: () => terminate(reconciler),
    startController: async () => {
      const t0 = performance.now();
      reconciler = await startReconciler(sc, metricsPort);
      return performance.now() - t0;
    },
    stop: async () => {
      await kubectlAt(sc.cp, ["delete", "mutatingwebhookconfiguration", config.metadata.name]);
      await until(
        "the API server stops calling our webhook",
        async () => (await webhookAnswers(sc)) === false,
        30_000,
      );
      await terminate(reconciler);
      await proxy.close();
      await Promise.all(replicas.map((r) => terminate(r.child)));
    },
  };
}

/**
 * MetalLB's ServiceReconciler logs `"end reconcile"` for its reprocessAll
 * pass; the first one not preceded by a "force service reload" (a retry) is
 * the initial load done: from then on it has every existing Service's IP.
 */
function watchInitialLoad(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let partial = "";
    let retried = false;
    const onData = (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.includes("ServiceReconciler - reprocessAll")) continue;
        if (line.includes("force service reload")) retried = true;
        else if (line.includes('"end reconcile"') && !retried) {
          child.stdout?.off("data", onData);
          resolve();
          return;
        } else if (line.includes('"start reconcile"')) retried = false;
      }
    };
    child.stdout?.setEncoding("utf8").on("data", onData);
    child.once("exit", (code) => {
      reject(new Error(`MetalLB's controller exited (${code}) before its initial load`));
    });
  });
}

async function startMetallbController(sc: SystemContext, ports: [number, number]) {
  const child = spawnLogged(
    sc.metallbController,
    [
      `--namespace=${METALLB_NAMESPACE}`,
      `--pod-name=${METALLB_POD}`,
      "--webhook-mode=disabled",
      "--disable-cert-rotation",
      `--port=${ports[0]}`,
      `--health-probe-port=${ports[1]}`,
      `--lb-class=${sc.lbClass}`,
      `--log-level=${LOG_LEVEL}`,
    ],
    join(sc.logDir, "metallb-controller.log"),
    { ...process.env, KUBECONFIG: sc.cp.kubeconfig },
  );
  const loaded = watchInitialLoad(child);
  await Promise.race([
    loaded,
    sleep(300_000).then(() =>
      Promise.reject(new Error("MetalLB's controller: no initial load within 300 s")),
    ),
  ]);
  return child;
}

export async function startMetallb(sc: SystemContext): Promise<RunningSystem> {
  const ports: [number, number] = [await freePort(), await freePort()];
  let controller = await startMetallbController(sc, ports);
  return {
    name: "MetalLB",
    peakRssMb: async () => ({ controller: await vmHwmMb(controller.pid) }),
    stopController: () => terminate(controller),
    startController: async () => {
      const t0 = performance.now();
      controller = await startMetallbController(sc, ports);
      return performance.now() - t0;
    },
    stop: async () => {
      await terminate(controller);
    },
  };
}

export function startSystem(name: SystemName, sc: SystemContext): Promise<RunningSystem> {
  return name === "metallb-ts" ? startMetallbTs(sc) : startMetallb(sc);
}
