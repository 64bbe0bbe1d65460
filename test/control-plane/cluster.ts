// A real, minimal Kubernetes control plane for the cluster tests: etcd,
// kube-apiserver and kube-controller-manager, all bound to 127.0.0.1, started
// as plain child processes (no containers: this machine has no container
// engine). No scheduler, kubelet or kube-proxy: tests create Nodes and drive
// status themselves (test-infra.md §4.5); kube-controller-manager is there for
// what tests cannot fake well: garbage collection, namespace deletion,
// ServiceAccounts and EndpointSlices.
//
// Every process started is recorded by PID in <dir>/state.json, and stopping
// kills exactly those PIDs (after checking they are still the processes we
// started), never anything found by name.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureControlPlaneBinaries, type ControlPlaneBinaries } from "./binaries.ts";
import { generatePki, type Pki } from "./pki.ts";

/** TEST-NET-2: an allocator range only; nothing routes it (no kube-proxy). */
// Dual-stack, IPv4 primary, so Services of every ipFamilyPolicy can be created.
// 198.18.0.0/16 is benchmarking space (RFC 2544) and 2001:db8::/32 documentation
// (RFC 3849); nothing routes either here. A /16 because suites and benches
// create thousands of Services, each taking a cluster IP.
const serviceClusterIpRange = "198.18.0.0/16,2001:db8:5e::/112";
const firstServiceIp = "198.18.0.1";

/**
 * The kube-controller-manager controllers the tests rely on, by the names
 * `kube-controller-manager --help` (v1.36) lists under --controllers.
 * root-ca-certificate-publisher makes the kube-root-ca.crt ConfigMap appear in
 * each namespace, as on a real cluster.
 */
export const controllers = [
  "garbage-collector-controller",
  "namespace-controller",
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "endpointslice-controller",
  "root-ca-certificate-publisher-controller",
] as const;

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
}

export interface StartedProcess {
  name: string;
  pid: number;
  /** argv[0] as spawned: used to check that a PID still is our process. */
  binary: string;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22), against PID reuse. */
  startTicks: number;
  log: string;
}

export interface ControlPlaneState {
  dir: string;
  server: string;
  kubeconfig: string;
  caCert: string;
  etcdDataDir: string;
  ports: Ports;
  processes: StartedProcess[];
  startedAt: string;
}

export interface ControlPlane {
  dir: string;
  kubeconfig: string;
  server: string;
  caCert: string;
  caKey: string;
  webhookCert: string;
  webhookKey: string;
  pki: Pki;
  ports: Ports;
  binaries: ControlPlaneBinaries;
  statePath: string;
  /** Kills exactly the processes started here and removes the etcd data. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Scratch directory for certificates, logs and state.json. */
  dir: string;
  /** Defaults to a free port. */
  apiserverPort?: number;
  log?: (line: string) => void;
  /**
   * Own session and no ties to this process, so the control plane outlives it
   * (the CLI's `up`). Left false under vitest so a Ctrl-C reaches the children too.
   */
  detached?: boolean;
  /** Already ensured binaries; built/looked up when omitted. */
  binaries?: ControlPlaneBinaries;
  /** Time limit for the daemons to become ready (default 90 s), after binaries and certificates. */
  timeoutMs?: number;
}

export function statePath(dir: string): string {
  return join(dir, "state.json");
}

async function writeState(state: ControlPlaneState): Promise<void> {
  await writeFile(statePath(state.dir), JSON.stringify(state, null, 2) + "\n");
}

export async function readState(dir: string): Promise<ControlPlaneState | undefined> {
  try {
    return JSON.parse(await readFile(statePath(dir), "utf8")) as ControlPlaneState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Ports

async function listenOnce(port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen({ host: "127.0.0.1", port, exclusive: true }, ok);
  });
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("unexpected server address");
  return {
    port: addr.port,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => {
          ok();
        });
      }),
  };
}

/**
 * Distinct free loopback ports. All listeners stay open until every port is
 * picked so the kernel cannot hand out the same one twice; there is still a
 * small window before the daemons bind, which is acceptable for tests.
 */
export async function freePorts(n: number): Promise<number[]> {
  const held = [];
  try {
    for (let i = 0; i < n; i++) held.push(await listenOnce(0));
    return held.map((h) => h.port);
  } finally {
    await Promise.all(held.map((h) => h.close()));
  }
}

async function assertPortFree(port: number): Promise<void> {
  try {
    await (await listenOnce(port)).close();
  } catch (e) {
    throw new Error(`127.0.0.1:${port} is already in use (${(e as Error).message})`, { cause: e });
  }
}

// ---------------------------------------------------------------------------
// /proc helpers: liveness and identity of a PID, without relying on it being our child.

async function procStartTicks(
  pid: number,
): Promise<{ ticks: number; zombie: boolean } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses; fields
  // after the last ')' are plain: state is field 3, starttime field 22.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = rest[0];
  const ticks = Number(rest[19]);
  return { ticks, zombie: state === "Z" || state === "X" };
}

async function procArgv0(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0")[0];
  } catch {
    return undefined;
  }
}

/** True while `p` is alive and still the process we started (same argv[0] and start time). */
async function isOurs(p: StartedProcess): Promise<boolean> {
  const st = await procStartTicks(p.pid);
  if (!st || st.zombie || st.ticks !== p.startTicks) return false;
  return (await procArgv0(p.pid)) === p.binary;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

async function waitGone(p: StartedProcess, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await isOurs(p))) return true;
    await sleep(50);
  }
  return !(await isOurs(p));
}

/**
 * SIGTERM, then SIGKILL after `graceMs`. Returns a line per process saying
 * what happened. Processes are stopped in reverse start order so the
 * apiserver still has etcd while it shuts down.
 */
async function terminate(processes: StartedProcess[], graceMs = 5_000): Promise<string[]> {
  const report: string[] = [];
  for (const p of [...processes].reverse()) {
    if (!(await isOurs(p))) {
      report.push(`${p.name} (pid ${p.pid}) was not running`);
      continue;
    }
    signal(p.pid, "SIGTERM");
    if (await waitGone(p, graceMs)) {
      report.push(`${p.name} (pid ${p.pid}) stopped`);
      continue;
    }
    signal(p.pid, "SIGKILL");
    const gone = await waitGone(p, 5_000);
    report.push(
      gone
        ? `${p.name} (pid ${p.pid}) killed after ${graceMs} ms`
        : `${p.name} (pid ${p.pid}) did not exit even after SIGKILL`,
    );
  }
  return report;
}

// ---------------------------------------------------------------------------
// Probes

interface Tls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Only for the controller-manager's self-signed serving cert: a liveness probe of our own child. */
  insecure?: boolean;
}

export function httpsGet(
  url: string,
  tls: Tls,
  timeoutMs = 2_000,
): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(
      url,
      {
        method: "GET",
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        rejectUnauthorized: !tls.insecure,
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => {
          ok({ status: res.statusCode ?? 0, body });
        });
        res.on("error", fail);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", fail);
    req.end();
  });
}

async function lastLines(path: string, n: number): Promise<string> {
  try {
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    return lines.slice(-n).join("\n");
  } catch (e) {
    return `(cannot read ${path}: ${(e as Error).message})`;
  }
}

// ---------------------------------------------------------------------------
// Start

interface Launched {
  proc: StartedProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface LaunchOptions {
  name: string;
  binary: string;
  args: string[];
  logPath: string;
  /** Outlives this process (its own process group, unref'd). */
  detached: boolean;
}

function launch({ name, binary, args, logPath, detached }: LaunchOptions): Launched {
  // The log file is the child's stdout/stderr directly (not a pipe through
  // us), so a detached control plane keeps logging after the CLI is gone.
  const fd = openSync(logPath, "a");
  try {
    writeSync(fd, `# ${new Date().toISOString()} ${[binary, ...args].join(" ")}\n`);
    const child = spawn(binary, args, { stdio: ["ignore", fd, fd], detached });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (ok, fail) => {
        child.once("exit", (code, sig) => {
          ok({ code, signal: sig });
        });
        child.once("error", fail);
      },
    );
    if (child.pid === undefined) {
      // spawn failed synchronously (e.g. ENOENT); the 'error' event carries why.
      return { proc: { name, pid: -1, binary, startTicks: -1, log: logPath }, exited };
    }
    if (detached) child.unref();
    return { proc: { name, pid: child.pid, binary, startTicks: -1, log: logPath }, exited };
  } finally {
    closeSync(fd);
  }
}

async function tmpfsDir(): Promise<string> {
  // etcd's WAL and bbolt files on tmpfs: fsync and page-cache writes cost nothing.
  let base = "/dev/shm";
  try {
    if (!(await stat(base)).isDirectory()) base = tmpdir();
  } catch {
    base = tmpdir();
  }
  const dir = join(base, `metallb-ts-etcd-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

/** Files and folders of a previous run in `dir` that a new start replaces. */
const ownedEntries = [
  "pki",
  "apiserver-certs",
  "kcm-certs",
  "etcd.log",
  "apiserver.log",
  "kube-controller-manager.log",
  "state.json",
];

export async function startControlPlane(opts: StartOptions): Promise<ControlPlane> {
  const log = opts.log ?? (() => undefined);
  const detached = opts.detached ?? false;
  const dir = resolve(opts.dir);
  const t0 = Date.now();
  const since = (): string => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

  await mkdir(dir, { recursive: true });
  const previous = await readState(dir);
  if (previous) {
    const alive = [];
    for (const p of previous.processes) if (await isOurs(p)) alive.push(`${p.name} ${p.pid}`);
    if (alive.length > 0) {
      throw new Error(
        `a control plane from ${dir} is still running (${alive.join(", ")}); stop it first`,
      );
    }
    await rm(previous.etcdDataDir, { recursive: true, force: true });
  }
  await Promise.all(ownedEntries.map((e) => rm(join(dir, e), { recursive: true, force: true })));

  if (opts.apiserverPort !== undefined) await assertPortFree(opts.apiserverPort);
  const picked = await freePorts(opts.apiserverPort === undefined ? 4 : 3);
  const nextPort = (): number => {
    const p = picked.shift();
    if (p === undefined) throw new Error("internal: not enough free ports picked");
    return p;
  };
  const ports: Ports = {
    etcdClient: nextPort(),
    etcdPeer: nextPort(),
    apiserver: opts.apiserverPort ?? nextPort(),
    controllerManager: nextPort(),
  };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const binariesPromise = opts.binaries
    ? Promise.resolve(opts.binaries)
    : ensureControlPlaneBinaries({ log });

  const [binaries, pki] = await Promise.all([
    binariesPromise,
    generatePki({ dir: join(dir, "pki"), server, serviceIp: firstServiceIp }),
  ]);
  log(`certificates in ${pki.dir} (${since()})`);

  // The time limit covers the daemons only, not a (cold, minutes-long) build.
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  const etcdDataDir = await tmpfsDir();
  const state: ControlPlaneState = {
    dir,
    server,
    kubeconfig: pki.adminKubeconfig,
    caCert: pki.caCert,
    etcdDataDir,
    ports,
    processes: [],
    startedAt: new Date().toISOString(),
  };

  // Rejects as soon as any process we started exits while we are still
  // starting up, naming it and quoting its log.
  let starting = true;
  let earlyExit: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, fail) => (earlyExit = fail));
  failed.catch(() => undefined);

  const start = async (
    name: string,
    logFile: string,
    binary: string,
    args: string[],
  ): Promise<void> => {
    const logPath = join(dir, logFile);
    const l = launch({ name, binary, args, logPath, detached });
    void l.exited.then(
      async ({ code, signal: sig }) => {
        if (!starting) return;
        earlyExit(
          new Error(
            `${name} exited during start-up (${sig ?? `exit code ${code}`}); last lines of ${logPath}:\n` +
              (await lastLines(logPath, 30)),
          ),
        );
      },
      (e: unknown) => {
        if (starting) earlyExit(new Error(`cannot start ${name} (${binary}): ${String(e)}`));
      },
    );
    if (l.proc.pid > 0) {
      l.proc.startTicks = (await procStartTicks(l.proc.pid))?.ticks ?? -1;
      state.processes.push(l.proc);
      await writeState(state);
    }
  };

  const waitUntil = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    const poll = async (): Promise<void> => {
      let lastError = "";
      // `starting` turns false when start-up fails elsewhere, so no poll
      // loop outlives the failure and keeps the process alive.
      while (starting && Date.now() < deadline) {
        try {
          if (await check()) return;
        } catch (e) {
          lastError = (e as Error).message;
        }
        await sleep(100);
      }
      throw new Error(
        `timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ""}`,
      );
    };
    await Promise.race([poll(), failed]);
  };

  const stop = async (): Promise<void> => {
    starting = false;
    const report = await terminate(state.processes);
    for (const line of report) log(line);
    await rm(etcdDataDir, { recursive: true, force: true });
    await rm(statePath(dir), { force: true });
  };

  try {
    const ca = await readFile(pki.caCert);
    const cert = await readFile(pki.adminCert);
    const key = await readFile(pki.adminKey);

    const etcdClientUrl = `http://127.0.0.1:${ports.etcdClient}`;
    const etcdPeerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
    await start("etcd", "etcd.log", binaries.etcd, [
      "--name=test",
      `--data-dir=${etcdDataDir}`,
      `--listen-client-urls=${etcdClientUrl}`,
      `--advertise-client-urls=${etcdClientUrl}`,
      `--listen-peer-urls=${etcdPeerUrl}`,
      `--initial-advertise-peer-urls=${etcdPeerUrl}`,
      `--initial-cluster=test=${etcdPeerUrl}`,
      // Throw-away data on tmpfs: durability buys nothing and fsync costs latency.
      "--unsafe-no-fsync",
      // No periodic snapshots of a data set that lives for minutes.
      "--snapshot-count=1000000",
    ]);
    await waitUntil("etcd /health", async () => {
      const res = await fetch(`${etcdClientUrl}/health`, { signal: AbortSignal.timeout(1_000) });
      return res.ok && ((await res.json()) as { health?: string }).health === "true";
    });
    log(`etcd ready on ${etcdClientUrl} (${since()})`);

    await start("kube-apiserver", "apiserver.log", binaries.kubeApiserver, [
      `--etcd-servers=${etcdClientUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${ports.apiserver}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      `--service-cluster-ip-range=${serviceClusterIpRange}`,
      "--authorization-mode=RBAC",
      // These are on by default; naming them documents what the tests rely on.
      "--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ResourceQuota",
      // Otherwise it would write self-signed certs to /var/run/kubernetes.
      `--cert-dir=${join(dir, "apiserver-certs")}`,
      // METALLB_TS_APISERVER_PROFILING=1 serves /debug/pprof for benches that
      // need to see where the API server spends its CPU (BENCHMARKS.md, reconciler).
      `--profiling=${String(process.env.METALLB_TS_APISERVER_PROFILING === "1")}`,
      "--v=1",
    ]);
    await waitUntil("kube-apiserver /readyz", async () => {
      const res = await httpsGet(`${server}/readyz`, { ca, cert, key });
      return res.status === 200 && res.body.trim() === "ok";
    });
    log(`kube-apiserver ready on ${server} (${since()})`);

    // Started only once the apiserver answers: it gives up if the apiserver
    // stays unhealthy for long, which a cold start on 2 cores could cause.
    await start(
      "kube-controller-manager",
      "kube-controller-manager.log",
      binaries.kubeControllerManager,
      [
        `--kubeconfig=${pki.adminKubeconfig}`,
        `--service-account-private-key-file=${pki.saKey}`,
        `--root-ca-file=${pki.caCert}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${ports.controllerManager}`,
        `--cert-dir=${join(dir, "kcm-certs")}`,
        "--leader-elect=false",
        // One identity (admin) for all controllers: no per-controller RBAC to bootstrap.
        "--use-service-account-credentials=false",
        `--controllers=${controllers.join(",")}`,
        "--profiling=false",
        "--v=1",
      ],
    );
    await waitUntil("kube-controller-manager /healthz", async () => {
      const res = await httpsGet(`https://127.0.0.1:${ports.controllerManager}/healthz`, {
        insecure: true,
      });
      return res.status === 200 && res.body.trim() === "ok";
    });
    // /healthz only says the process serves; the default ServiceAccount shows
    // that controllers have synced their informers and are doing work.
    await waitUntil("the default ServiceAccount (serviceaccount-controller)", async () => {
      const res = await httpsGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, {
        ca,
        cert,
        key,
      });
      return res.status === 200;
    });
    log(`kube-controller-manager ready (${since()})`);
    starting = false;
  } catch (e) {
    starting = false;
    await stop().catch((stopError: unknown) => {
      log(`cleanup after failed start also failed: ${String(stopError)}`);
    });
    throw e;
  }

  return {
    dir,
    kubeconfig: pki.adminKubeconfig,
    server,
    caCert: pki.caCert,
    caKey: pki.caKey,
    webhookCert: pki.webhookCert,
    webhookKey: pki.webhookKey,
    pki,
    ports,
    binaries,
    statePath: statePath(dir),
    stop,
  };
}

/**
 * Stops what a (possibly other) process started in `dir`, from state.json.
 * Returns one line per process, or undefined when there is no state.
 */
export async function stopControlPlaneFromState(dir: string): Promise<string[] | undefined> {
  const state = await readState(resolve(dir));
  if (!state) return undefined;
  const report = await terminate(state.processes);
  await rm(state.etcdDataDir, { recursive: true, force: true });
  report.push(`removed etcd data ${state.etcdDataDir}`);
  await rm(statePath(state.dir), { force: true });
  return report;
}

/** Whether every recorded process is still ours and alive. */
export async function runningProcesses(
  state: ControlPlaneState,
): Promise<{ process: StartedProcess; alive: boolean }[]> {
  return Promise.all(state.processes.map(async (p) => ({ process: p, alive: await isOurs(p) })));
}

/** GET /readyz with the admin client certificate of a state's PKI. */
export async function readyz(state: ControlPlaneState): Promise<{ status: number; body: string }> {
  const pkiDir = join(state.dir, "pki");
  const [ca, cert, key] = await Promise.all([
    readFile(state.caCert),
    readFile(join(pkiDir, "admin.crt")),
    readFile(join(pkiDir, "admin.key")),
  ]);
  return httpsGet(`${state.server}/readyz?verbose`, { ca, cert, key });
}

/** One free loopback port (tests and benches that start their own servers). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error("no free port");
  return port;
}

/** kubectl of the control plane's version against it; resolves with stdout, rejects with stderr. */
export function kubectlAt(
  cp: Pick<ControlPlane, "binaries" | "kubeconfig">,
  args: readonly string[],
  input = "",
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cp.binaries.kubectl, [`--kubeconfig=${cp.kubeconfig}`, ...args]);
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`kubectl ${args.join(" ")}: ${err}`));
    });
    child.stdin.end(input);
  });
}

/** `kubectl apply` of objects as one List. */
export function applyAt(
  cp: Pick<ControlPlane, "binaries" | "kubeconfig">,
  objects: readonly unknown[],
): Promise<string> {
  const list = { apiVersion: "v1", kind: "List", items: objects };
  return kubectlAt(cp, ["apply", "-f", "-"], JSON.stringify(list));
}

/** Merges `status` into an object through its status subresource (no kubelet or controller here writes it). */
export function patchStatusAt(
  cp: Pick<ControlPlane, "binaries" | "kubeconfig">,
  target: { kind: string; name: string; namespace?: string | undefined },
  status: unknown,
): Promise<string> {
  return kubectlAt(cp, [
    "patch",
    target.kind,
    target.name,
    ...(target.namespace === undefined ? [] : ["-n", target.namespace]),
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status }),
  ]);
}

/**
 * Writes a kubeconfig at `path` that authenticates as a ServiceAccount with a
 * bound token (TokenRequest, as a Pod's projected token), so a component runs
 * with the identity and RBAC it has in a cluster instead of the admin's client
 * certificate.
 */
export async function serviceAccountKubeconfig(
  cp: Pick<ControlPlane, "binaries" | "kubeconfig" | "server" | "caCert">,
  account: { namespace: string; name: string },
  path: string,
): Promise<string> {
  const token = await kubectlAt(cp, [
    "create",
    "token",
    account.name,
    `--namespace=${account.namespace}`,
    // As long as a lab may be left running (`npm run lab` has no end).
    "--duration=8760h",
  ]);
  const user = `system:serviceaccount:${account.namespace}:${account.name}`;
  // JSON is YAML: no quoting rules to get wrong.
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: "local", cluster: { server: cp.server, "certificate-authority": cp.caCert } },
    ],
    users: [{ name: user, user: { token: token.trim() } }],
    contexts: [{ name: "local", context: { cluster: "local", user } }],
    "current-context": "local",
  };
  await writeFile(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}
