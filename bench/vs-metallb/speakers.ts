// Both systems' speakers in a namespace LAN's node namespaces, one per node,
// for one run of scenario 4 (Layer 2, three nodes) or 5 (BGP, one node). metallb-ts: `metallb-ts speaker` with its defaults
// (test/lab/speaker-lab.ts starts it). MetalLB: its own speaker binary, run
// as its DaemonSet runs it (config/manifests/metallb-native.yaml: --port=9120
// --log-level=info and the METALLB_* environment from the Pod's fields), with
// memberlist on, since that is MetalLB's fast failover path. There is no
// kubelet: the speaker Pods memberlist discovers its peers by (label
// app=metallb,component=speaker, status.podIP) are written here, bound to
// their node and with the status a kubelet would report for a hostNetwork Pod.
import type { ChildProcess } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { waitFor } from "../../test/lab/exec.ts";
import type { SpeakerLab } from "../../test/lab/speaker-lab.ts";
import type { LabHost } from "../../test/lab/topology.ts";
import { METALLB_VERSION } from "./metallb-binaries.ts";
import { METALLB_NAMESPACE, type SystemName } from "./systems.ts";

const METALLB_SPEAKER_LABELS = "app=metallb,component=speaker";
/** MetalLB's default health probe port (speaker --health-probe-port), on 127.0.0.1 in each node. */
const METALLB_HEALTH_PORT = 17472;

export interface SpeakerRun {
  readonly lbClass: string;
  /** The run's log directory: each speaker's output ends up in `speaker-<node>.log` there. */
  readonly logDir: string;
  readonly metallbSpeaker: string;
}

/** The LAN the speakers run in (l2-lab.ts's L2Lab, bgp-lab.ts's BgpLab). */
export interface SpeakerLan {
  /** The LAN, the Node objects and our speaker's start/stop. */
  readonly lab: SpeakerLab;
  /** The directory holding the memberlist `secretkey` both speakers read. */
  readonly keyDir: string;
}

export interface RunningSpeakers {
  /** The PID of the speaker process in `node` (its own, not a wrapper's). */
  pid(node: string): number | undefined;
  /** SIGTERM to every speaker (their graceful leave), and what they left behind removed. */
  stop(): Promise<void>;
}

function speakerPod(node: LabHost): unknown {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `speaker-${node.name}`,
      namespace: METALLB_NAMESPACE,
      labels: { app: "metallb", component: "speaker" },
    },
    spec: {
      nodeName: node.name,
      hostNetwork: true,
      automountServiceAccountToken: false,
      // What the DaemonSet controller adds to every daemon Pod.
      tolerations: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
      ],
      containers: [{ name: "speaker", image: `quay.io/metallb/speaker:${METALLB_VERSION}` }],
    },
  };
}

/** The status a kubelet reports for a running hostNetwork Pod: its IPs are the node's. */
function runningStatus(node: LabHost): unknown {
  const ready = (type: string) => ({ type, status: "True" });
  return {
    status: {
      phase: "Running",
      hostIP: node.ipv4,
      hostIPs: [{ ip: node.ipv4 }],
      podIP: node.ipv4,
      podIPs: [{ ip: node.ipv4 }],
      conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map(ready),
    },
  };
}

async function createSpeakerPods(l2: SpeakerLan): Promise<void> {
  const { lab } = l2;
  await lab.apply(lab.lan.nodes.map(speakerPod));
  for (const node of lab.lan.nodes) {
    await lab.kubectl([
      "patch",
      "pod",
      `speaker-${node.name}`,
      `--namespace=${METALLB_NAMESPACE}`,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify(runningStatus(node)),
    ]);
  }
}

async function deleteSpeakerPods(l2: SpeakerLan): Promise<void> {
  // Bound to a node without a kubelet: only a forced delete removes them.
  await l2.lab.kubectl([
    "delete",
    "pod",
    `--namespace=${METALLB_NAMESPACE}`,
    `--selector=${METALLB_SPEAKER_LABELS}`,
    "--grace-period=0",
    "--force",
    "--ignore-not-found",
  ]);
}

function metallbEnv(l2: SpeakerLan, node: LabHost): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KUBECONFIG: l2.lab.cp.kubeconfig,
    METALLB_NAMESPACE,
    METALLB_NODE_NAME: node.name,
    METALLB_POD_NAME: `speaker-${node.name}`,
    METALLB_HOST: node.ipv4,
    METALLB_ML_BIND_ADDR: node.ipv4,
    METALLB_ML_BIND_PORT: "7946",
    METALLB_ML_LABELS: METALLB_SPEAKER_LABELS,
    METALLB_ML_SECRET_KEY_PATH: l2.keyDir,
  };
}

async function startMetallbSpeaker(
  l2: SpeakerLan,
  node: LabHost,
  run: SpeakerRun,
): Promise<ChildProcess> {
  const { lan } = l2.lab;
  const log = join(run.logDir, `speaker-${node.name}.log`);
  const child = lan.spawn(
    node.name,
    [run.metallbSpeaker, "--port=9120", "--log-level=info", `--lb-class=${run.lbClass}`],
    { log, name: `${node.name}:metallb-speaker`, env: metallbEnv(l2, node) },
  );
  await waitFor(
    `MetalLB's speaker in ${node.name} ready (log ${log})`,
    async () => {
      if (child.exitCode !== null) {
        throw new Error(`exited (${String(child.exitCode)}): ${await readFile(log, "utf8")}`);
      }
      const r = await lan.tryExec(node.name, [
        "curl",
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        `http://127.0.0.1:${String(METALLB_HEALTH_PORT)}/readyz`,
      ]);
      return r.stdout === "200";
    },
    { timeoutMs: 60_000, stepMs: 200 },
  );
  return child;
}

async function startMetallbSpeakers(l2: SpeakerLan, run: SpeakerRun): Promise<RunningSpeakers> {
  await createSpeakerPods(l2);
  const children: ChildProcess[] = [];
  const pidByNode = new Map<string, number>();
  const stop = async (): Promise<void> => {
    const pids = children.flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
    await Promise.all(pids.map((pid) => l2.lab.lan.processes.stop(pid, 5_000)));
    await deleteSpeakerPods(l2);
  };
  try {
    for (const node of l2.lab.lan.nodes) {
      const child = await startMetallbSpeaker(l2, node, run);
      children.push(child);
      // `ip netns exec` execs the speaker: the child's PID is the speaker's.
      if (child.pid !== undefined) pidByNode.set(node.name, child.pid);
    }
  } catch (e: unknown) {
    await stop();
    throw e;
  }
  return {
    pid: (node) => pidByNode.get(node),
    stop,
  };
}

async function startOurSpeakers(l2: SpeakerLan, run: SpeakerRun): Promise<RunningSpeakers> {
  const { lab } = l2;
  const nodes = lab.lan.nodes.map((n) => n.name);
  // The lab keeps one log per node across runs: this run's part is copied out at the end.
  const offsets = new Map<string, number>();
  const pidByNode = new Map<string, number>();
  for (const node of nodes) {
    offsets.set(node, (await readFile(lab.speakerLog(node), "utf8").catch(() => "")).length);
  }
  const stop = async (): Promise<void> => {
    for (const node of nodes) await lab.stopSpeaker(node);
    for (const node of nodes) {
      const text = await readFile(lab.speakerLog(node), "utf8").catch(() => "");
      await writeFile(join(run.logDir, `speaker-${node}.log`), text.slice(offsets.get(node) ?? 0));
    }
  };
  try {
    for (const node of nodes) {
      const child = await lab.startSpeaker(node, [`--lb-class=${run.lbClass}`, "--log-level=info"]);
      if (child.pid !== undefined) pidByNode.set(node, child.pid);
    }
  } catch (e: unknown) {
    await stop();
    throw e;
  }
  return {
    pid: (node) => pidByNode.get(node),
    stop,
  };
}

export function startSpeakers(
  system: SystemName,
  l2: SpeakerLan,
  run: SpeakerRun,
): Promise<RunningSpeakers> {
  return system === "MetalLB" ? startMetallbSpeakers(l2, run) : startOurSpeakers(l2, run);
}
