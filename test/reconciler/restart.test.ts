// Restarts and leader election: a reconciler stopped and started again in the
// middle of a churn of creates and deletes never publishes one IP twice,
// never moves an assigned IP, and leaves no claim behind; of two replicas on
// one Lease only the leader acts, and the other takes over when it stops.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningReconciler } from "../../reconciler/run.ts";
import { freePort } from "../control-plane/cluster.ts";
import { controlPlane, kubeConfig, kubectl, uniqueName, withNamespace } from "../kube.ts";
import { applyCrds, clearMetallbNamespace } from "../webhook-harness.ts";
import {
  allPublished,
  apply,
  claims,
  createServices,
  FAST_LEASE,
  GRACE_MS,
  l2All,
  pool,
  publishedIps,
  runReconciler,
  service,
  until,
} from "./reconciler-harness.ts";

const ns = withNamespace("rec-restart");
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await applyCrds();
  await clearMetallbNamespace();
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await kubectl(["delete", "services", "--all", "-n", ns.name, "--wait=true"]);
  await clearMetallbNamespace();
});

async function started(
  extra: Parameters<typeof runReconciler>[0] = {},
): Promise<RunningReconciler> {
  const r = await runReconciler(extra);
  stops.push(() => r.stop());
  return r;
}

/** `metallb-ts reconciler` as a separate process (so it can be SIGKILLed); ready once /readyz says so. */
async function reconcilerProcess(): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL("../../bin/metallb-ts.js", import.meta.url)),
      "reconciler",
      `--kubeconfig=${controlPlane().kubeconfig}`,
      "--service-ip-families=IPv4,IPv6",
      `--orphan-grace=${GRACE_MS / 1000}s`,
      `--metrics-port=${port}`,
      "--no-leader-elect",
      "--log-level=warn",
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  stops.push(() => {
    child.kill("SIGKILL");
    return Promise.resolve();
  });
  await until(
    "the reconciler process is ready",
    () =>
      fetch(`http://127.0.0.1:${port}/readyz`)
        .then((r) => (r.status === 200 ? true : undefined))
        .catch(() => undefined),
    30_000,
  );
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  return child;
}

/** Watches published IPs: none twice at once, none changed for a Service (by UID). */
function watchInvariants(namespace: string): { stop: () => Promise<string[]> } {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  const first = new Map<string, string>();
  const problems: string[] = [];
  const state = { running: true };
  const loop = (async () => {
    while (state.running) {
      const list = await core.listNamespacedService({ namespace });
      const seen = new Map<string, string>();
      for (const s of list.items) {
        const ips = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "").join(",");
        if (ips === "") continue;
        const uid = s.metadata?.uid ?? "";
        const other = seen.get(ips);
        if (other !== undefined)
          problems.push(`${ips} published for ${other} and ${s.metadata?.name ?? ""}`);
        seen.set(ips, s.metadata?.name ?? "");
        const was = first.get(uid);
        if (was !== undefined && was !== ips)
          problems.push(`${s.metadata?.name ?? ""} moved ${was} → ${ips}`);
        first.set(uid, ips);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      state.running = false;
      await loop;
      return problems;
    },
  };
}

describe("restart and leader election", () => {
  it("a reconciler killed (SIGKILL) and restarted during churn keeps every IP, never duplicates one, and leaks no claim", async () => {
    await apply(pool("web", ["198.51.100.0/25"]), l2All);
    const child = await reconcilerProcess();
    const invariants = watchInvariants(ns.name);
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const alive: string[] = [];
    let n = 0;
    const churnUntil = Date.now() + 6_000;
    let restarted = false;
    while (Date.now() < churnUntil) {
      const name = `c${n++}`;
      await createServices([service(name, ns.name)]);
      alive.push(name);
      if (n % 3 === 0) {
        const victim = alive.splice(Math.floor(alive.length / 2), 1)[0] ?? "";
        await core.deleteNamespacedService({ name: victim, namespace: ns.name });
      }
      if (!restarted && Date.now() > churnUntil - 4_000) {
        restarted = true;
        child.kill("SIGKILL");
        await new Promise((res) => setTimeout(res, 500));
        await started();
      }
      await new Promise((res) => setTimeout(res, 40));
    }
    await allPublished(ns.name, alive.length, 10_000);
    await new Promise((res) => setTimeout(res, GRACE_MS + 1_500));
    const problems = await invariants.stop();
    expect(problems).toEqual([]);
    const holders = (await claims()).flatMap((c) => c.spec.holders.map((h) => h.name)).sort();
    expect(holders).toEqual([...alive].sort());
    const ips = await publishedIps(ns.name);
    expect(ips.size).toBe(alive.length);
  });

  it("of two replicas on one Lease only the leader acts; the other takes over when it stops", async () => {
    await apply(pool("web", ["198.51.100.0/29"]), l2All);
    const lease = { name: uniqueName("lease"), ...FAST_LEASE };
    const a = await started({ lease: { ...lease, identity: "replica-a" } });
    const b = await started({ lease: { ...lease, identity: "replica-b" } });
    const leader = await until("a leader", () => {
      const leaders = [a, b].filter((x) => x.isLeader());
      return Promise.resolve(leaders.length === 1 ? leaders[0] : undefined);
    });
    await new Promise((res) => setTimeout(res, 1_000));
    expect([a, b].filter((x) => x.isLeader())).toHaveLength(1);
    const follower = leader === a ? b : a;
    await createServices([service("one", ns.name)]);
    const before = await allPublished(ns.name, 1);
    await leader.stop();
    await until(
      "the other replica leads",
      () => Promise.resolve(follower.isLeader() ? true : undefined),
      5_000,
    );
    await createServices([service("two", ns.name)]);
    const after = await allPublished(ns.name, 2);
    expect(after.get("one")).toBe(before.get("one"));
    const r = await kubectl(["get", "lease", lease.name, "-n", "metallb-system", "-o", "json"]);
    const spec = (JSON.parse(r.stdout) as { spec: { holderIdentity: string; renewTime: string } })
      .spec;
    expect(spec.holderIdentity).toBe(follower === a ? "replica-a" : "replica-b");
    expect(spec.renewTime).toMatch(/\.\d{6}Z$/);
  });
});
