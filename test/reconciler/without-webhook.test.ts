// The reconciler alone (no mutating webhook registered): it assigns, publishes,
// releases, re-addresses on pool shrink and puts back hand-edited status.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { kubeConfig, kubectl } from "../kube.ts";
import {
  allPublished,
  apply,
  claims,
  createServices,
  expectUnique,
  l2All,
  pool,
  publishedIps,
  readService,
  reconcilerSuite,
  service,
  until,
} from "./reconciler-harness.ts";

const { ns, running } = reconcilerSuite("reconcile", { metricsPort: 0, metricsHost: "127.0.0.1" });

describe("reconciler without the webhook", () => {
  // Issue 4's "within 2 s" is a speed target, measured by `npm run bench --
  // reconciler` (its burst of 50, BENCHMARKS.md), not asserted here: on CI's
  // two cores, shared with the other suites, the timed assertion failed now and then.
  it("gives 50 LoadBalancer Services IPs, unique, with claims, condition and pool status", async () => {
    await apply(pool("web", ["198.51.100.0/26"]), l2All);
    await until("pool in the view", () =>
      Promise.resolve(running().reconciler.view.pools().length > 0 ? true : undefined),
    );
    const svcs = Array.from({ length: 50 }, (_, i) =>
      service(`s${String(i).padStart(2, "0")}`, ns.name),
    );
    await createServices(svcs);
    const ips = await allPublished(ns.name, 50, 10_000);
    expectUnique(ips.values());
    const svc = await readService(ns.name, "s00");
    expect(svc.metadata?.annotations?.["metallb.io/allocated-ips"]).toBe(ips.get("s00"));
    const condition = (svc.status?.conditions ?? []).find(
      (c) => c.type === "metallb.io/IPAssigned",
    );
    expect(condition).toMatchObject({ status: "True", reason: "IPAllocated" });
    const held = await claims();
    expect(held).toHaveLength(50);
    expect(held.every((c) => c.spec.holders[0]?.uid !== undefined)).toBe(true);
    await until("pool status", async () => {
      const r = await kubectl([
        "get",
        "ipaddresspool",
        "web",
        "-n",
        "metallb-system",
        "-o",
        "json",
      ]);
      const status = (
        JSON.parse(r.stdout) as { status?: { assignedIPv4?: number; availableIPv4?: number } }
      ).status;
      return status?.assignedIPv4 === 50 && status.availableIPv4 === 14 ? true : undefined;
    });
    const metrics = await fetch(`http://127.0.0.1:${running().metricsPort ?? 0}/metrics`).then(
      (r) => r.text(),
    );
    expect(metrics).toContain('metallb_allocator_addresses_in_use_total{pool="web"} 50');
    expect(metrics).toContain('metallb_allocator_ipv4_addresses_total{pool="web"} 64');
    expect(metrics).toContain("metallb_k8s_client_updates_total");
    expect(metrics).toContain("metallb_ts_reconcile_duration_seconds_bucket");
    expect((await fetch(`http://127.0.0.1:${running().metricsPort ?? 0}/readyz`)).status).toBe(200);
  });

  it("deleting one Service changes no other IP, and the oldest pending Service gets the freed IP", async () => {
    await apply(pool("small", ["198.51.100.64/30"]), l2All);
    await createServices(
      ["a", "b", "c", "d"].map((n) => service(n, ns.name)),
      1,
    );
    const before = await allPublished(ns.name, 4);
    await createServices([service("p1", ns.name)]);
    await new Promise((r) => setTimeout(r, 1_100)); // creationTimestamp has second resolution
    await createServices([service("p2", ns.name)]);
    const p1 = await until("p1 pending condition", async () => {
      const s = await readService(ns.name, "p1");
      const c = (s.status?.conditions ?? []).find((x) => x.type === "metallb.io/IPAssigned");
      return c?.reason === "PoolExhausted" ? c : undefined;
    });
    expect(p1.status).toBe("False");
    await kubectl(["delete", "service", "b", "-n", ns.name]);
    const after = await until("p1 gets b's IP", async () => {
      const ips = await publishedIps(ns.name);
      return ips.get("p1") === before.get("b") ? ips : undefined;
    });
    for (const name of ["a", "c", "d"]) expect(after.get(name)).toBe(before.get(name));
    expect(after.get("p2")).toBe("");
    expect((await claims()).map((c) => c.spec.holders[0]?.name).sort()).toEqual([
      "a",
      "c",
      "d",
      "p1",
    ]);
  });

  it("releases the IP of a Service turned ClusterIP", async () => {
    await apply(pool("web", ["198.51.100.0/30"]), l2All);
    await createServices([service("a", ns.name)]);
    await allPublished(ns.name, 1);
    await kubectl([
      "patch",
      "service",
      "a",
      "-n",
      ns.name,
      "--type=merge",
      "-p",
      '{"spec":{"type":"ClusterIP"}}',
    ]);
    await until("claim released", async () => ((await claims()).length === 0 ? true : undefined));
    const svc = await until("annotations removed", async () => {
      const s = await readService(ns.name, "a");
      return s.metadata?.annotations?.["metallb.io/allocated-ips"] === undefined ? s : undefined;
    });
    expect(svc.status?.loadBalancer?.ingress ?? []).toEqual([]);
  });

  it("moves only the Service whose IP left the pool, with a ClearAssignment event", async () => {
    await apply(pool("web", ["198.51.100.0/29"]), l2All);
    await createServices(
      ["a", "b", "c"].map((n) => service(n, ns.name)),
      1,
    );
    const before = await allPublished(ns.name, 3);
    const moving = [...before.entries()].find(([, ip]) => ip === "198.51.100.2")?.[0] ?? "";
    // Shrink the pool below the third address, and add room elsewhere.
    await apply(pool("web", ["198.51.100.0-198.51.100.1", "203.0.113.8/30"]));
    const after = await until("the Service moves", async () => {
      const ips = await publishedIps(ns.name);
      return ips.get(moving) === "203.0.113.8" ? ips : undefined;
    });
    for (const [name, ip] of before) if (name !== moving) expect(after.get(name)).toBe(ip);
    await until("ClearAssignment event", async () => {
      const r = await kubectl([
        "get",
        "events",
        "-n",
        ns.name,
        "--field-selector",
        `involvedObject.name=${moving}`,
        "-o",
        "json",
      ]);
      const items = (JSON.parse(r.stdout) as { items: { reason: string }[] }).items;
      return items.some((e) => e.reason === "ClearAssignment") ? true : undefined;
    });
  });

  it("puts back status edited by hand", async () => {
    await apply(pool("web", ["198.51.100.0/30"]), l2All);
    await createServices([service("a", ns.name)]);
    const before = await allPublished(ns.name, 1);
    const core = kubeConfig().makeApiClient(CoreV1Api);
    await core.patchNamespacedServiceStatus(
      {
        name: "a",
        namespace: ns.name,
        body: { status: { loadBalancer: { ingress: [{ ip: "10.9.9.9" }] } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await until("status restored", async () => {
      const ips = await publishedIps(ns.name);
      return ips.get("a") === before.get("a") ? true : undefined;
    });
  });
});
