// `npm run bench -- api-writes [N] [rounds]`: what the control plane itself
// spends on the two writes every Service costs the reconciler in a cold start
// (issue 4): one claim create (ClaimWriter.create) and one status write
// (the merge patch reconciler.ts sends, built by decide.ts's `publication`),
// plus the status PUT considered instead of the patch. N of each per round
// (default 1,000), at the reconciler's 16 writes in flight, rounds interleaved
// (default 3) so that the API server's GC cycles fall on every variant alike.
// CPU is read from /proc/PID/stat of kube-apiserver, etcd and
// kube-controller-manager before and after each batch, nothing else runs.
//
// The figure it derives is a floor: 10,000 Services × (control-plane CPU per
// claim + per status) ÷ this machine's cores is the least time a cold start
// can take here, even with a reconciler that costs nothing and no watcher.
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseIp, type IpAddress } from "../core/net/ip-address-text.ts";
import { MERGE_PATCH, type ApiClient } from "../core/kube/api-client.ts";
import { ClaimWriter } from "../core/kube/claim-writer.ts";
import { apiClientFor, loadKubeConfig } from "../core/kube/kube-config.ts";
import { componentRbac, SERVICE_ACCOUNTS } from "../manifests/install/rbac.ts";
import { publication, type ServiceObject } from "../reconciler/decide.ts";
import {
  applyAt,
  kubectlAt,
  serviceAccountKubeconfig,
  startControlPlane,
  type ControlPlane,
} from "../test/control-plane/cluster.ts";
import { percentile, printJsonLine, round } from "./bench-stats.ts";
import { installCrds } from "./install-crds.ts";
import {
  CONTROL_PLANE_PROCESSES,
  controlPlanePids,
  cpuSecondsOf,
  type ControlPlaneProcess,
} from "./process-cpu.ts";

const NAMESPACE = "bench";
const POOL = "bench";
const IN_FLIGHT = 16;
const COLD_START_SERVICES = 10_000;
const PROCESSES = CONTROL_PLANE_PROCESSES;
type ProcessName = ControlPlaneProcess;
const VARIANTS = ["claim create", "status merge patch", "status PUT"] as const;
type Variant = (typeof VARIANTS)[number];

async function inParallel(n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
}

function ipOf(i: number): IpAddress {
  const ip = parseIp(`10.200.${String(i >> 8)}.${String(i & 255)}`);
  if (ip === undefined) throw new Error(`no IPv4 address for index ${String(i)}`);
  return ip;
}

const serviceName = (i: number): string => `svc-${String(i)}`;
const servicePath = (i: number): string =>
  `/api/v1/namespaces/${NAMESPACE}/services/${serviceName(i)}`;

async function createServices(admin: ApiClient, n: number): Promise<void> {
  await inParallel(n, (i) =>
    admin.call("POST", `/api/v1/namespaces/${NAMESPACE}/services`, {
      body: {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: serviceName(i), namespace: NAMESPACE },
        spec: {
          type: "LoadBalancer",
          allocateLoadBalancerNodePorts: false,
          selector: { app: serviceName(i) },
          ports: [{ port: 80 }],
        },
      },
    }),
  );
}

/** One write of `variant` for Service/IP index `i` (`svc` read beforehand for the status writes). */
async function write(
  api: ApiClient,
  variant: Variant,
  i: number,
  svc: ServiceObject | undefined,
): Promise<void> {
  if (variant === "claim create") {
    // The holder the reconciler writes for the bench's Services (port 80, TCP).
    const holder = {
      serviceKey: `${NAMESPACE}/${serviceName(i)}`,
      backendKey: "",
      ports: [{ protocol: "TCP" as const, port: 80 }],
    };
    const outcome = await new ClaimWriter(api, "metallb-system").create(ipOf(i), POOL, holder);
    if (!outcome.ok) throw new Error(`claim ${String(i)} already exists`);
    return;
  }
  if (svc === undefined) throw new Error(`Service ${String(i)} was not read`);
  const pub = publication(
    svc,
    { kind: "assigned", allocation: { pool: POOL, ips: [ipOf(i)] } },
    new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  );
  const patch = { ...pub.annotations, ...pub.status };
  if (variant === "status merge patch") {
    await api.call("PATCH", `${servicePath(i)}/status`, { body: patch, contentType: MERGE_PATCH });
    return;
  }
  const body = {
    ...svc,
    metadata: { ...svc.metadata, ...pub.annotations?.metadata },
    ...pub.status,
  };
  await api.call("PUT", `${servicePath(i)}/status`, { body });
}

interface Batch {
  readonly variant: Variant;
  readonly perSecond: number;
  readonly cpuMs: Record<ProcessName, number>;
}

async function batch(args: {
  api: ApiClient;
  pids: Record<ProcessName, number>;
  variant: Variant;
  first: number;
  n: number;
}): Promise<Batch> {
  const { api, pids, variant, first, n } = args;
  // The status writes start from the Service as read (the reconciler's informer has it).
  const services: ServiceObject[] = [];
  if (variant !== "claim create") {
    await inParallel(n, async (k) => {
      services[k] = await api.call<ServiceObject>("GET", servicePath(first + k));
    });
  }
  const before = await cpuSecondsOf(pids);
  const t0 = performance.now();
  await inParallel(n, (k) => write(api, variant, first + k, services[k]));
  const seconds = (performance.now() - t0) / 1000;
  const after = await cpuSecondsOf(pids);
  const cpuMs = {} as Record<ProcessName, number>;
  for (const p of PROCESSES) cpuMs[p] = ((after[p] - before[p]) * 1000) / n;
  return { variant, perSecond: n / seconds, cpuMs };
}

async function setUp(cp: ControlPlane, dir: string): Promise<ApiClient> {
  await installCrds(cp);
  await kubectlAt(cp, ["create", "namespace", "metallb-system"]);
  await kubectlAt(cp, ["create", "namespace", NAMESPACE]);
  // The reconciler's identity: a token costs the API server less than a client certificate.
  await applyAt(
    cp,
    componentRbac("controller").map((m) => m.object),
  );
  // Our RBAC grants patch, not update, on services/status; the PUT variant
  // gets update here, in the bench's namespace only.
  const subject = {
    kind: "ServiceAccount",
    namespace: "metallb-system",
    name: SERVICE_ACCOUNTS.controller,
  };
  const role = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "status-put", namespace: NAMESPACE },
  };
  await applyAt(cp, [
    { ...role, rules: [{ apiGroups: [""], resources: ["services/status"], verbs: ["update"] }] },
    {
      ...role,
      kind: "RoleBinding",
      subjects: [subject],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "status-put" },
    },
  ]);
  const kubeconfig = await serviceAccountKubeconfig(
    cp,
    { namespace: "metallb-system", name: SERVICE_ACCOUNTS.controller },
    join(dir, "controller.kubeconfig"),
  );
  return apiClientFor(loadKubeConfig(kubeconfig));
}

function median(batches: readonly Batch[], variant: Variant, p: ProcessName): number {
  return percentile(
    batches.filter((b) => b.variant === variant).map((b) => b.cpuMs[p]),
    50,
  );
}

export default async function apiWritesBench(args: readonly string[]): Promise<void> {
  const n = Number(args[0] ?? 1_000);
  const rounds = Number(args[1] ?? 3);
  const dir = await mkdtemp(join(tmpdir(), "metallb-ts-bench-"));
  const cp = await startControlPlane({ dir, log: () => undefined });
  try {
    const pids = await controlPlanePids(cp);
    const api = await setUp(cp, dir);
    const admin = apiClientFor(loadKubeConfig(cp.kubeconfig));
    const statusVariants = VARIANTS.filter((v) => v !== "claim create").length;
    await createServices(admin, n * rounds * statusVariants);
    const batches: Batch[] = [];
    let services = 0;
    let claims = 0;
    for (let r = 0; r < rounds; r++) {
      for (const variant of VARIANTS) {
        const claim = variant === "claim create";
        const first = claim ? claims : services;
        if (claim) claims += n;
        else services += n;
        const b = await batch({ api, pids, variant, first, n });
        batches.push(b);
        const cpu = PROCESSES.map((p) => `${p} ${round(b.cpuMs[p], 2).toString()}`).join(", ");
        console.log(
          `round ${String(r + 1)} ${variant.padEnd(18)} ${round(b.perSecond, 0).toString()}/s; CPU ms per write: ${cpu}`,
        );
      }
    }
    const cores = availableParallelism();
    const perService = (status: Variant): number =>
      PROCESSES.reduce(
        (sum, p) => sum + median(batches, "claim create", p) + median(batches, status, p),
        0,
      );
    const patchMs = perService("status merge patch");
    const floorSeconds = (COLD_START_SERVICES * patchMs) / 1000 / cores;
    console.log(
      `control plane CPU per Service (claim create + status merge patch, medians): ${round(patchMs, 2).toString()} ms; with a status PUT: ${round(perService("status PUT"), 2).toString()} ms`,
    );
    console.log(
      `floor for a cold start over ${String(COLD_START_SERVICES)} Services on ${String(cores)} cores: ${round(floorSeconds, 1).toString()} s, before the reconciler's own CPU and the watches`,
    );
    const figures: Record<string, number> = { writesPerVariant: n, rounds, cores };
    for (const v of VARIANTS) {
      const key = v.replace(/ (\w)/g, (_m, c: string) => c.toUpperCase()).replace("PUT", "Put");
      for (const p of PROCESSES) {
        const short = p === "kube-apiserver" ? "Apiserver" : p === "etcd" ? "Etcd" : "Kcm";
        figures[`${key}${short}Ms`] = round(median(batches, v, p), 3);
      }
    }
    printJsonLine("api-writes", {
      ...figures,
      controlPlaneMsPerService: round(patchMs, 2),
      coldStartFloorSeconds: round(floorSeconds, 1),
    });
  } finally {
    await cp.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
