// A control plane plus a namespace LAN with `metallb-ts speaker` running in
// each node namespace: what the speaker suites, the l2/l2-failover benches
// and `npm run lab` share. Node objects are written by hand (there is no
// kubelet): Ready, with the node's LAN address as InternalIP. Services get
// their IPs and EndpointSlices written directly, so a test controls exactly
// what the speakers see.
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { allCrds } from "../../core/api/crd-manifests.ts";
import { DEFAULT_NAMESPACE, KINDS } from "../../core/api/kinds.ts";
import { ensureControlPlaneBinaries } from "../control-plane/binaries.ts";
import {
  applyAt,
  serviceAccountKubeconfig,
  startControlPlane,
  type ControlPlane,
} from "../control-plane/cluster.ts";
import { startApiRelay } from "./api-access.ts";
import { run, waitFor } from "./exec.ts";
import { createLan, type Lan, type LanOptions } from "./topology.ts";
import { componentRbac, SERVICE_ACCOUNTS } from "../../manifests/install/rbac.ts";
import { newMemberlistKey } from "../../reconciler/memberlist-secret.ts";
import { NODE_PROCESS_ENV, SPEAKER_V8_OPTIONS } from "../../manifests/install/runtime.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const METALLB_TS = join(ROOT, "bin", "metallb-ts.js");
export const NAMESPACE = DEFAULT_NAMESPACE;

/**
 * IPAddressPool `name` of `addresses` and the L2Advertisement of the same
 * name for it, in NAMESPACE: a pool is announced over ARP/NDP only when an
 * L2Advertisement selects it.
 */
export function l2Pool(name: string, addresses: readonly string[]): object[] {
  const metadata = { name, namespace: NAMESPACE };
  return [
    { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata, spec: { addresses } },
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "L2Advertisement",
      metadata,
      spec: { ipAddressPools: [name] },
    },
  ];
}

export interface SpeakerLabOptions extends LanOptions {
  /** Extra flags for every speaker. */
  readonly speakerArgs?: readonly string[];
}

export interface ServiceSpec {
  readonly name: string;
  readonly namespace?: string;
  readonly ips: readonly string[];
  readonly pool: string;
  readonly etpLocal?: boolean;
  /** Nodes hosting a serving endpoint; [] = none anywhere. Default: every node. */
  readonly endpointNodes?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

/** What every speaker is started with. */
export interface SpeakerFiles {
  /** The speaker ServiceAccount's token and RBAC, as the DaemonSet's Pods have. */
  readonly kubeconfig: string;
  readonly memberlistKey: string;
}

export class SpeakerLab {
  readonly lan: Lan;
  readonly cp: ControlPlane;
  readonly #speakers = new Map<string, ChildProcess>();
  readonly #logs = new Map<string, string>();
  readonly #args: readonly string[];
  readonly #files: SpeakerFiles;
  readonly #tmp: string;

  constructor(
    lan: Lan,
    cp: ControlPlane,
    tmp: string,
    files: SpeakerFiles,
    args: readonly string[],
  ) {
    this.lan = lan;
    this.cp = cp;
    this.#tmp = tmp;
    this.#files = files;
    this.#args = args;
  }

  /** kubectl against the lab's control plane, from the machine's namespace. */
  kubectl(args: readonly string[], input?: string): Promise<string> {
    return run([this.cp.binaries.kubectl, `--kubeconfig=${this.cp.kubeconfig}`, ...args], {
      ...(input === undefined ? {} : { input }),
    });
  }

  apply(objects: readonly unknown[]): Promise<string> {
    return this.kubectl(
      ["apply", "--server-side", "--force-conflicts", "-f", "-"],
      objects.map((o) => stringify(o)).join("---\n"),
    );
  }

  /** The speaker's log file in `node` (one per node, appended across restarts). */
  speakerLog(node: string): string {
    const known = this.#logs.get(node);
    if (known !== undefined) return known;
    const log = this.lan.logPath(node, "speaker");
    this.#logs.set(node, log);
    return log;
  }

  /** Starts the speaker in `node`'s namespace and waits until it has synced. */
  async startSpeaker(node: string, extraArgs: readonly string[] = []): Promise<ChildProcess> {
    const log = this.speakerLog(node);
    const offset = (await readFile(log, "utf8").catch(() => "")).length;
    const child = this.lan.spawn(
      node,
      [
        process.execPath,
        ...SPEAKER_V8_OPTIONS,
        METALLB_TS,
        "speaker",
        `--node-name=${node}`,
        `--kubeconfig=${this.#files.kubeconfig}`,
        `--memberlist-key-file=${this.#files.memberlistKey}`,
        "--metrics-port=7472",
        ...this.#args,
        ...extraArgs,
      ],
      { log, name: `${node}:speaker`, env: { ...process.env, ...NODE_PROCESS_ENV } },
    );
    this.#speakers.set(node, child);
    await waitFor(
      `speaker in ${node} started (log ${log})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`speaker in ${node} exited: see ${log}`);
        return (await readFile(log, "utf8")).slice(offset).includes('"msg":"speaker started"');
      },
      { timeoutMs: 30_000, stepMs: 100 },
    );
    return child;
  }

  /** Stops the speaker in `node` with `signal` (SIGTERM: graceful handover; SIGKILL: a crash). */
  async stopSpeaker(node: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.#speakers.get(node);
    if (child?.pid === undefined) return;
    this.#speakers.delete(node);
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  /** Creates Node objects for every lab node: Ready, InternalIP = its LAN IPv4 address. */
  async createNodes(labels: Record<string, Record<string, string>> = {}): Promise<void> {
    await this.apply(
      this.lan.nodes.map((n) => ({
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name: n.name,
          labels: { "kubernetes.io/hostname": n.name, ...labels[n.name] },
        },
      })),
    );
    for (const n of this.lan.nodes) await this.setNodeStatus(n.name, true);
  }

  async setNodeStatus(node: string, ready: boolean): Promise<void> {
    const host = this.lan.host(node);
    const status = {
      conditions: [{ type: "Ready", status: ready ? "True" : "False", reason: "Lab" }],
      addresses: [
        { type: "InternalIP", address: host.ipv4 },
        { type: "Hostname", address: node },
      ],
    };
    await this.kubectl([
      "patch",
      "node",
      node,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status }),
    ]);
  }

  /** A LoadBalancer Service whose IPs are already assigned, plus its EndpointSlice. */
  async createService(spec: ServiceSpec): Promise<void> {
    const namespace = spec.namespace ?? "default";
    await this.apply([
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: spec.name,
          namespace,
          labels: spec.labels ?? {},
          annotations: { "metallb.io/ip-allocated-from-pool": spec.pool },
        },
        spec: {
          type: "LoadBalancer",
          allocateLoadBalancerNodePorts: false,
          externalTrafficPolicy: spec.etpLocal === true ? "Local" : "Cluster",
          ...(spec.ips.some((ip) => ip.includes(":"))
            ? { ipFamilyPolicy: "PreferDualStack", ipFamilies: ["IPv4", "IPv6"] }
            : {}),
          ports: [{ name: "http", port: 8080, protocol: "TCP" }],
        },
      },
    ]);
    await this.kubectl([
      "patch",
      "service",
      spec.name,
      `--namespace=${namespace}`,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: { loadBalancer: { ingress: spec.ips.map((ip) => ({ ip })) } } }),
    ]);
    await this.setEndpoints(
      spec.name,
      spec.endpointNodes ?? this.lan.nodes.map((n) => n.name),
      namespace,
    );
  }

  /** Replaces the Service's EndpointSlice: one serving endpoint per node listed. */
  async setEndpoints(
    service: string,
    nodes: readonly string[],
    namespace = "default",
  ): Promise<void> {
    await this.apply([
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: `${service}-lab`,
          namespace,
          labels: {
            "kubernetes.io/service-name": service,
            "endpointslice.kubernetes.io/managed-by": "speaker-lab",
          },
        },
        addressType: "IPv4",
        endpoints: nodes.map((node) => ({
          addresses: [this.lan.host(node).ipv4],
          nodeName: node,
          conditions: { ready: true, serving: true },
        })),
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      },
    ]);
  }

  async deleteService(name: string, namespace = "default"): Promise<void> {
    await this.kubectl(["delete", "service", name, `--namespace=${namespace}`, "--wait=false"]);
    await this.kubectl([
      "delete",
      "endpointslice",
      `${name}-lab`,
      `--namespace=${namespace}`,
      "--ignore-not-found",
    ]);
  }

  async destroy(): Promise<void> {
    for (const node of [...this.#speakers.keys()]) await this.stopSpeaker(node, "SIGKILL");
    await this.lan.destroy();
    await this.cp.stop();
    await rm(this.#tmp, { recursive: true, force: true });
  }
}

export function speakerFilesIn(dir: string): SpeakerFiles {
  return {
    memberlistKey: join(dir, "memberlist-secretkey"),
    kubeconfig: join(dir, "speaker.kubeconfig"),
  };
}

/**
 * Writes `files`: the memberlist key (MetalLB's Secret, metallb-reference
 * §4.6), and a kubeconfig with a token of the speaker's ServiceAccount once its
 * namespace and RBAC (manifests/install/rbac.ts) are applied, so the speakers
 * here have the permissions the DaemonSet's Pods have and no more.
 */
export async function prepareSpeakerFiles(cp: ControlPlane, files: SpeakerFiles): Promise<void> {
  await writeFile(files.memberlistKey, newMemberlistKey(), { mode: 0o600 });
  await applyAt(cp, [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } },
    ...componentRbac("speaker").map((m) => m.object),
  ]);
  await serviceAccountKubeconfig(
    cp,
    { namespace: NAMESPACE, name: SERVICE_ACCOUNTS.speaker },
    files.kubeconfig,
  );
}

/** Control plane + LAN + API relays + CRDs + Node objects; speakers are started by the caller. */
export async function createSpeakerLab(options: SpeakerLabOptions = {}): Promise<SpeakerLab> {
  const tmp = await mkdtemp(join(tmpdir(), "speaker-lab-"));
  const binaries = await ensureControlPlaneBinaries({});
  const [cp, lan] = await Promise.all([
    startControlPlane({ dir: join(tmp, "cp"), binaries }),
    createLan({ prefix: "spk", ...options }),
  ]);
  const files = speakerFilesIn(tmp);
  const lab = new SpeakerLab(lan, cp, tmp, files, options.speakerArgs ?? []);
  try {
    await startApiRelay(lan, { port: cp.ports.apiserver });
    await lab.apply(allCrds());
    await lab.kubectl([
      "wait",
      "--for=condition=established",
      "--timeout=60s",
      ...Object.values(KINDS).map((k) => `crd/${k.plural}.metallb.io`),
    ]);
    await prepareSpeakerFiles(cp, files);
    await lab.createNodes();
  } catch (e: unknown) {
    await lab.destroy();
    throw e;
  }
  return lab;
}
