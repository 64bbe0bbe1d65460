// The reconciler run in-process against the test control plane, with short
// grace and lease timings, plus helpers to read what it published.
import { CoreV1Api, CustomObjectsApi, type V1Service } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll } from "vitest";
import { DEFAULT_NAMESPACE } from "../../core/api/kinds.ts";
import { apiClientFor } from "../../core/kube/kube-config.ts";
import { createLogger } from "../../core/logger.ts";
import {
  startReconciler,
  type RunningReconciler,
  type StartReconcilerOptions,
} from "../../reconciler/run.ts";
import { kubeConfig, kubectl, withNamespace } from "../kube.ts";
import { applyCrds, clearMetallbNamespace } from "../webhook-harness.ts";

export const GRACE_MS = 3_000;

export function runReconciler(
  extra: Partial<StartReconcilerOptions> = {},
): Promise<RunningReconciler> {
  return startReconciler({
    api: apiClientFor(kubeConfig()),
    namespace: DEFAULT_NAMESPACE,
    lbClass: undefined,
    clusterFamilies: ["IPv4", "IPv6"],
    orphanGraceMs: GRACE_MS,
    log: createLogger("controller", (process.env.RECONCILER_LOG_LEVEL ?? "warn") as "warn"),
    ...extra,
  });
}

/**
 * A suite with one reconciler running throughout and a test namespace whose
 * Services, like the claims in metallb-system, are deleted after each test.
 */
export function reconcilerSuite(
  prefix: string,
  extra: Partial<StartReconcilerOptions> = {},
): { readonly ns: { readonly name: string }; readonly running: () => RunningReconciler } {
  let running: RunningReconciler | undefined;
  const ns = withNamespace(prefix);
  beforeAll(async () => {
    await applyCrds();
    await clearMetallbNamespace();
    running = await runReconciler(extra);
  });
  afterAll(async () => {
    await running?.stop();
  });
  afterEach(async () => {
    await kubectl(["delete", "services", "--all", "-n", ns.name, "--wait=true"]);
    await clearMetallbNamespace();
  });
  return {
    ns,
    running: () => {
      if (running === undefined) throw new Error("reconcilerSuite: no reconciler outside tests");
      return running;
    },
  };
}

export const FAST_LEASE = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 300 };

export async function apply(...docs: object[]): Promise<void> {
  await kubectl(["apply", "-f", "-"], { input: docs.map((d) => JSON.stringify(d)).join("\n") });
}

export function pool(name: string, addresses: string[]): object {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name, namespace: DEFAULT_NAMESPACE },
    spec: { addresses },
  };
}

export const l2All = {
  apiVersion: "metallb.io/v1beta1",
  kind: "L2Advertisement",
  metadata: { name: "all", namespace: DEFAULT_NAMESPACE },
};

export function service(
  name: string,
  namespace: string,
  extra: { labels?: object; spec?: object } = {},
): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels: { app: name, ...extra.labels } },
    spec: { type: "LoadBalancer", selector: { app: name }, ports: [{ port: 80 }], ...extra.spec },
  };
}

const core = (): CoreV1Api => kubeConfig().makeApiClient(CoreV1Api);

export async function createServices(svcs: readonly V1Service[], parallel = 10): Promise<void> {
  const api = core();
  const queue = [...svcs];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
        await api.createNamespacedService({ namespace: s.metadata?.namespace ?? "", body: s });
      }
    }),
  );
}

/** "name" → published ingress IPs (joined), for every Service in the namespace. */
export async function publishedIps(namespace: string): Promise<Map<string, string>> {
  const list = await core().listNamespacedService({ namespace });
  return new Map(
    list.items.map((s) => [
      s.metadata?.name ?? "",
      (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "").join(","),
    ]),
  );
}

export async function readService(namespace: string, name: string): Promise<V1Service> {
  return core().readNamespacedService({ name, namespace });
}

export interface ClaimItem {
  metadata: { name: string };
  spec: { ip: string; pool: string; holders: { namespace: string; name: string; uid?: string }[] };
}

export async function claims(): Promise<ClaimItem[]> {
  const custom = kubeConfig().makeApiClient(CustomObjectsApi);
  const list = (await custom.listNamespacedCustomObject({
    group: "metallb.io",
    version: "v1beta1",
    namespace: DEFAULT_NAMESPACE,
    plural: "ipaddressclaims",
  })) as { items: ClaimItem[] };
  return list.items;
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until every Service in the namespace has an IP; returns name → IPs. */
export function allPublished(
  namespace: string,
  count: number,
  timeoutMs = 10_000,
): Promise<Map<string, string>> {
  return until(
    `${count} Services with status in ${namespace}`,
    async () => {
      const ips = await publishedIps(namespace);
      const done = [...ips.values()].filter((v) => v !== "").length;
      return ips.size === count && done === count ? ips : undefined;
    },
    timeoutMs,
  );
}

export function expectUnique(ips: Iterable<string>): void {
  const all = [...ips].flatMap((v) => v.split(",")).filter((v) => v !== "");
  if (new Set(all).size !== all.length) throw new Error(`duplicate IPs: ${all.sort().join(" ")}`);
}
