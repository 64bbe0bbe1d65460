// Moving from MetalLB: Services that hold IPs only in status (what MetalLB
// leaves behind — no annotation, no claim) keep them when the reconciler
// starts, instead of being given the lowest free IP.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningReconciler } from "../../reconciler/run.ts";
import { kubeConfig, kubectl, withNamespace } from "../kube.ts";
import { applyCrds, clearMetallbNamespace, unregisterWebhooks } from "../webhook-harness.ts";
import {
  apply,
  claims,
  l2All,
  pool,
  readService,
  runReconciler,
  service,
  until,
} from "./reconciler-harness.ts";

const ns = withNamespace("migration");
let running: RunningReconciler | undefined;

beforeAll(async () => {
  // A mutating webhook left registered by another suite would assign IPs at
  // create: these Services must arrive as MetalLB leaves them, without one.
  await unregisterWebhooks();
  await applyCrds();
  await clearMetallbNamespace();
});
afterAll(async () => {
  await running?.stop();
  await kubectl(["delete", "services", "--all", "-n", ns.name, "--wait=true"]);
  await clearMetallbNamespace();
});

describe("Services from MetalLB", () => {
  it("keep the IPs their status shows; one outside every pool gets a new one", async () => {
    await apply(pool("web", ["198.51.100.0/28"]), l2All);
    const core = kubeConfig().makeApiClient(CoreV1Api);
    // What MetalLB left: IPs in status only, not the lowest free ones.
    const previous = { kept: "198.51.100.9", moved: "203.0.113.77" };
    for (const [name, ip] of Object.entries(previous)) {
      await core.createNamespacedService({ namespace: ns.name, body: service(name, ns.name) });
      await core.patchNamespacedServiceStatus(
        {
          name,
          namespace: ns.name,
          body: { status: { loadBalancer: { ingress: [{ ip }] } } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    }
    running = await runReconciler({});
    await until("both Services recorded", async () => {
      const kept = await readService(ns.name, "kept");
      const moved = await readService(ns.name, "moved");
      const a = kept.metadata?.annotations?.["metallb.io/allocated-ips"];
      const b = moved.metadata?.annotations?.["metallb.io/allocated-ips"];
      return a !== undefined && b !== undefined ? true : undefined;
    });
    const kept = await readService(ns.name, "kept");
    expect(kept.metadata?.annotations?.["metallb.io/allocated-ips"]).toBe(previous.kept);
    expect(kept.status?.loadBalancer?.ingress?.map((i) => i.ip)).toEqual([previous.kept]);
    const moved = await readService(ns.name, "moved");
    expect(moved.status?.loadBalancer?.ingress?.[0]?.ip).toMatch(/^198\.51\.100\./);
    // Only this namespace's: LoadBalancer Services other suites left in the
    // shared control plane are adopted by the same reconciler.
    const held = (await claims())
      .flatMap((c) => c.spec.holders.filter((h) => h.namespace === ns.name))
      .map((h) => h.name)
      .sort();
    expect(held).toEqual(["kept", "moved"]);
  });
});
