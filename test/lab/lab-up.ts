// `npm run lab -- up`: the whole system on one machine, left running.
// Every step prints its name and time; a failing step is named with the log
// to read, and what was made so far is stopped (logs are kept).
import { chmod, mkdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { allCrds, CONVERSION_PATH } from "../../core/api/crd-manifests.ts";
import { DEFAULT_NAMESPACE, KINDS } from "../../core/api/kinds.ts";
import {
  mutatingWebhookConfiguration,
  validatingWebhookConfiguration,
} from "../../core/api/webhook-configurations.ts";
import {
  ensureControlPlaneBinaries,
  type ControlPlaneBinaries,
} from "../control-plane/binaries.ts";
import { startControlPlane, type ControlPlane } from "../control-plane/cluster.ts";
import { startApiRelay } from "./api-access.ts";
import { waitFor } from "./exec.ts";
import { startFrr } from "./frr.ts";
import { addVip, startHttpListener } from "./l2.ts";
import {
  DEMO_NAMESPACE,
  DEMO_PORT,
  demoServices,
  exampleConfiguration,
  ROUTER_ASN,
} from "./lab-demo.ts";
import {
  demoServiceIps,
  formatReport,
  kubectlFor,
  waitForReport,
  type Kubectl,
} from "./lab-report.ts";
import {
  startReconcilerProcess,
  startWebhookProcess,
  waitUntilAssignmentAnswers,
} from "./components.ts";
import { teardownLab, writeLabState, type LabState } from "./lab-state.ts";
import { prepareSpeakerFiles, SpeakerLab, speakerFilesIn } from "./speaker-lab.ts";
import { createLan, LAN_V4, type Lan } from "./topology.ts";

export const NODES = 3;
const TOTAL_STEPS = 13;

export interface UpOptions {
  readonly dir: string;
  readonly name: string;
  /** Progress (stderr). */
  readonly progress: (line: string) => void;
  /** The report and instructions (stdout). */
  readonly out: (text: string) => void;
  /** How the user runs the CLI (for the instructions printed), e.g. "npm run lab --". */
  readonly command: string;
}

export class StepFailed extends Error {
  readonly step: string;
  readonly logs: string;

  constructor(step: string, logs: string, cause: unknown) {
    super(`step "${step}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.step = step;
    this.logs = logs;
  }
}

class Steps {
  #n = 0;
  readonly #progress: (line: string) => void;

  constructor(progress: (line: string) => void) {
    this.#progress = progress;
  }

  async run<T>(title: string, logs: string, fn: () => Promise<T>): Promise<T> {
    this.#n++;
    this.#progress(`[${String(this.#n)}/${String(TOTAL_STEPS)}] ${title}`);
    const t0 = Date.now();
    try {
      const v = await fn();
      this.#progress(`      ok (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      return v;
    } catch (e: unknown) {
      throw new StepFailed(title, logs, e);
    }
  }
}

const nodeNames = (): string[] => Array.from({ length: NODES }, (_, i) => `n${String(i + 1)}`);

async function caBundle(cp: ControlPlane): Promise<string> {
  return (await readFile(cp.caCert)).toString("base64");
}

async function applyCrdsAndWait(lab: SpeakerLab, conversion?: { url: string; caBundle: string }) {
  await lab.kubectl(
    ["apply", "--server-side", "--force-conflicts", "-f", "-"],
    allCrds(conversion)
      .map((c) => stringify(c))
      .join("---\n"),
  );
  await lab.kubectl([
    "wait",
    "--for=condition=established",
    "--timeout=60s",
    ...Object.values(KINDS).map((k) => `crd/${k.plural}.metallb.io`),
  ]);
}

async function waitLogLine(log: string, text: string, what: string, exited: () => number | null) {
  return waitFor(
    `${what} (log ${log})`,
    async () => {
      const body = await readFile(log, "utf8").catch(() => "");
      if (exited() !== null) throw new Error(`exited with ${String(exited())}; see ${log}`);
      return body.includes(text) ? body : undefined;
    },
    { timeoutMs: 30_000, stepMs: 100 },
  );
}

/** Two `metallb-ts webhook` processes behind the round-robin proxy; returns the proxy's URL. */
async function startWebhooks(lan: Lan, cp: ControlPlane, dir: string): Promise<string> {
  const webhooks = await Promise.all(
    [1, 2].map((i) => startWebhookProcess(lan, cp, { name: `webhook-${String(i)}`, dir })),
  );
  const ports = webhooks.map((w) => w.port);
  const log = join(dir, "webhook-proxy.log");
  const proxy = lan.spawnRoot(
    "webhook-proxy",
    [process.execPath, join(import.meta.dirname, "webhook-proxy.ts"), ...ports.map(String)],
    { log },
  );
  const body = await waitLogLine(log, "READY ", "webhook proxy", () => proxy.exitCode);
  const port = /READY (\d+)/.exec(body)?.[1];
  if (port === undefined) throw new Error(`no port in ${log}`);
  return `https://127.0.0.1:${port}`;
}

async function registerWebhooks(lab: SpeakerLab, url: string): Promise<void> {
  const bundle = await caBundle(lab.cp);
  await applyCrdsAndWait(lab, { url: `${url}${CONVERSION_PATH}`, caBundle: bundle });
  await lab.apply([
    validatingWebhookConfiguration({ url, caBundle: bundle }),
    mutatingWebhookConfiguration({ url, caBundle: bundle }),
  ]);
  await waitUntilAssignmentAnswers(lab.cp);
}

async function startReconciler(lan: Lan, cp: ControlPlane, dir: string): Promise<string> {
  return (await startReconcilerProcess(lan, cp, { name: "reconciler", dir })).log;
}

/** Creates the demo Services, waits for their IPs, writes EndpointSlices and puts the IPs on every node's lo. */
async function createDemo(lab: SpeakerLab, kubectl: Kubectl): Promise<void> {
  await lab.apply([{ apiVersion: "v1", kind: "Namespace", metadata: { name: DEMO_NAMESPACE } }]);
  const services = demoServices();
  // Created (not applied server-side): the mutating webhook assigns in this very call.
  for (const s of services) await lab.kubectl(["create", "-f", "-"], JSON.stringify(s.manifest));
  const expected = new Map(services.map((s) => [s.name, s.name === "web-dual" ? 2 : 1]));
  const withIps = await waitFor(
    "an EXTERNAL-IP on every demo Service (the reconciler publishes what the webhook assigned)",
    async () => {
      const got = await demoServiceIps(kubectl);
      return got.every((g) => g.ips.length === expected.get(g.name)) ? got : undefined;
    },
    { timeoutMs: 30_000, stepMs: 250 },
  );
  for (const s of services) await lab.setEndpoints(s.name, nodeNames(), DEMO_NAMESPACE);
  // No kube-proxy here: each node takes the VIPs on lo (without answering
  // ARP for them itself) and serves them with its HTTP listener.
  for (const node of nodeNames()) {
    for (const svc of withIps) for (const ip of svc.ips) await addVip(lab.lan, node, ip);
    await startHttpListener(lab.lan, node, DEMO_PORT);
  }
}

async function startSpeakers(lab: SpeakerLab): Promise<void> {
  await Promise.all(nodeNames().map((n) => lab.startSpeaker(n)));
}

function usage(o: UpOptions, state: LabState): string {
  const ns = (h: string): string => `${state.name}-${h}`;
  return [
    "The lab keeps running. Use it with:",
    `  export KUBECONFIG=${state.kubeconfig ?? "?"}`,
    `  export PATH=${dirname(state.kubectl ?? "")}:$PATH   # kubectl of the control plane's version`,
    "  kubectl get svc -A",
    "  kubectl get ipaddresspools,l2advertisements,bgppeers,bgpadvertisements -n metallb-system",
    "  kubectl get servicel2statuses,servicebgpstatuses -n metallb-system",
    `  ip netns exec ${ns("client")} curl http://192.0.2.100:${String(DEMO_PORT)}/`,
    `  ip netns exec ${ns("rtr")} ip route show 203.0.113.0/28`,
    `  ip netns exec ${ns("rtr")} vtysh --vty_socket ${join(state.dir, "frr-rtr")} -c 'show bgp summary'`,
    `Logs: ${state.dir}/*.log (webhook-1, webhook-2, reconciler, n1-speaker-…), control plane in ${state.cpDir}`,
    `Status: ${o.command} status    Stop and remove everything: ${o.command} down`,
    "",
  ].join("\n");
}

async function bringUp(o: UpOptions, state: LabState, steps: Steps): Promise<number> {
  const { dir } = state;
  const binaries = await steps.run(
    "control-plane binaries (built once from the Go module proxy, then cached)",
    "the go build output above",
    (): Promise<ControlPlaneBinaries> =>
      ensureControlPlaneBinaries({
        log: (l) => {
          o.progress(`      ${l}`);
        },
      }),
  );
  const cp = await steps.run(
    "control plane: etcd, kube-apiserver, kube-controller-manager",
    `${state.cpDir}/{etcd,apiserver,kube-controller-manager}.log`,
    () =>
      startControlPlane({
        dir: state.cpDir,
        binaries,
        detached: true,
        log: (l) => {
          o.progress(`      ${l}`);
        },
      }),
  );
  state.kubeconfig = cp.kubeconfig;
  state.kubectl = binaries.kubectl;
  await writeLabState(state);
  const kubectl = kubectlFor(binaries.kubectl, cp.kubeconfig);
  const lan = await steps.run(
    `LAN: bridge ${state.name}-lan, nodes n1…n${String(NODES)}, client, router (namespaces ${state.name}-*)`,
    dir,
    () =>
      createLan({
        name: state.name,
        nodes: NODES,
        client: true,
        router: true,
        dir,
        detached: true,
      }),
  );
  const frrDir = join(dir, "frr-rtr");
  await steps.run(
    `router rtr: FRR bgpd + zebra, AS ${String(ROUTER_ASN)}, any speaker in ${LAN_V4} may connect`,
    `${frrDir}/bgpd.log, ${frrDir}/zebra.log`,
    () =>
      startFrr(lan, {
        asn: ROUTER_ASN,
        routerId: "192.0.2.1",
        listenRanges: [LAN_V4],
        zebra: true,
      }),
  );
  await steps.run("API relays into the node namespaces", `${dir}/*api-relay*.log`, () =>
    startApiRelay(lan, { port: cp.ports.apiserver }),
  );
  const files = speakerFilesIn(dir);
  await steps.run(
    "memberlist key; the speaker's ServiceAccount, RBAC and token",
    files.kubeconfig,
    () => prepareSpeakerFiles(cp, files),
  );
  const lab = new SpeakerLab(lan, cp, dir, files, []);
  await steps.run(
    `CRDs, namespace ${DEFAULT_NAMESPACE}, Node objects`,
    `${state.cpDir}/apiserver.log`,
    async () => {
      await applyCrdsAndWait(lab);
      await lab.apply([
        { apiVersion: "v1", kind: "Namespace", metadata: { name: DEFAULT_NAMESPACE } },
      ]);
      await lab.createNodes();
    },
  );
  const webhookLogs = `${dir}/webhook-1.log, ${dir}/webhook-2.log, ${dir}/webhook-proxy.log`;
  state.webhookUrl = await steps.run(
    "webhook ×2 behind a round-robin proxy; CRD conversion and admission registered",
    webhookLogs,
    async () => {
      const url = await startWebhooks(lan, cp, dir);
      await registerWebhooks(lab, url);
      return url;
    },
  );
  await writeLabState(state);
  await steps.run("reconciler", `${dir}/reconciler.log`, () => startReconciler(lan, cp, dir));
  await steps.run(
    `speakers in ${nodeNames().join(", ")}`,
    nodeNames()
      .map((n) => lab.speakerLog(n))
      .join(", "),
    () => startSpeakers(lab),
  );
  await steps.run(
    "example configuration: IPAddressPools lan and bgp, L2Advertisement, BGPPeer rtr, BGPAdvertisement",
    webhookLogs,
    () => lab.apply(exampleConfiguration()),
  );
  await steps.run(
    `demo Services in namespace ${DEMO_NAMESPACE}: web-l2, web-dual, web-bgp`,
    `${dir}/reconciler.log, ${webhookLogs}`,
    () => createDemo(lab, kubectl),
  );
  const report = await steps.run(
    "probing from the client: ARP/NDP owners, router next hops, curl (up to 60 s)",
    `${dir}/n*-speaker-*.log, ${frrDir}/bgpd.log`,
    () => waitForReport(lan, kubectl, frrDir, 60_000),
  );
  o.out("\n" + formatReport(report) + "\n" + usage(o, state));
  return report.ok ? 0 : 1;
}

/** zebra runs as user frr: every directory above the lab's must let others through. */
async function assertReachableByFrr(dir: string): Promise<void> {
  for (let d = dirname(dir); ; d = dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) {
      throw new Error(
        `FRR's zebra runs as user frr and cannot reach ${dir}: ${d} is not searchable by others ` +
          `(chmod o+x ${d}, or choose another --dir)`,
      );
    }
    if (d === dirname(d)) return;
  }
}

/** Brings the lab up in o.dir. Resolves with the exit code. */
export async function labUp(o: UpOptions): Promise<number> {
  await mkdir(o.dir, { recursive: true });
  await assertReachableByFrr(o.dir);
  // zebra runs as user frr and must traverse to its directory below this one.
  await chmod(o.dir, 0o755);
  const state: LabState = {
    name: o.name,
    dir: o.dir,
    nodes: NODES,
    cpDir: join(o.dir, "control-plane"),
    startedAt: new Date().toISOString(),
  };
  await writeLabState(state);
  o.progress(`lab directory ${o.dir} (state, configs, logs)`);
  const steps = new Steps(o.progress);
  // Ctrl-C while starting: stop what was made so far instead of leaving half a lab.
  const onSignal = (): void => {
    o.progress("\ninterrupted: stopping what was started (logs are kept)…");
    void teardownLab(o.dir, { keepLogs: true })
      .then((lines) => {
        for (const line of lines) o.progress(`  ${line}`);
      })
      .catch((e: unknown) => {
        o.progress(`cleanup failed: ${e instanceof Error ? e.message : String(e)}`);
      })
      .finally(() => {
        o.progress(`logs kept in ${o.dir}; '${o.command} down' removes them`);
        process.exit(130);
      });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await bringUp(o, state, steps);
  } catch (e: unknown) {
    const msg = e instanceof Error ? e.message : String(e);
    o.progress(`\nFAILED: ${msg}`);
    if (e instanceof StepFailed) o.progress(`read: ${e.logs}`);
    o.progress("stopping what was started (logs are kept)…");
    for (const line of await teardownLab(o.dir, { keepLogs: true })) o.progress(`  ${line}`);
    o.progress(`logs kept in ${o.dir}; '${o.command} down' removes them`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
