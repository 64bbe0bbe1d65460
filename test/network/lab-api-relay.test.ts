// The lab's API relay (test/lab/api-relay.ts): kubectl inside a node
// namespace reaches the real test control plane on the machine's
// 127.0.0.1:PORT with the unchanged kubeconfig, through a Unix socket; a node
// namespace without a relay cannot reach it at all.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureControlPlaneBinaries } from "../control-plane/binaries.ts";
import { startControlPlane, type ControlPlane } from "../control-plane/cluster.ts";
import { startApiRelay } from "../lab/api-access.ts";
import { createLan, type Lan } from "../lab/topology.ts";

describe("API relay into node namespaces", () => {
  let cp: ControlPlane | undefined;
  let lan: Lan | undefined;
  let dir = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lab-api-relay-"));
    const binaries = await ensureControlPlaneBinaries({});
    [cp, lan] = await Promise.all([
      startControlPlane({ dir, binaries }),
      createLan({ prefix: "lta", nodes: 2, client: false }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await lan?.destroy();
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("kubectl get ns works inside a node namespace with a relay, and not in one without", async () => {
    if (!cp || !lan) throw new Error("setup failed");
    const relay = await startApiRelay(lan, { port: cp.ports.apiserver, hosts: ["n1"] });
    expect(relay.hosts).toEqual(["n1"]);
    const kubectl = [cp.binaries.kubectl, `--kubeconfig=${cp.kubeconfig}`, "--request-timeout=5s"];
    const out = await lan.exec("n1", [...kubectl, "get", "ns", "-o", "name"]);
    expect(out.split("\n")).toContain("namespace/default");
    // A write and a watch-style long request go through the relay too.
    const ns = `relay-${process.pid}`;
    await lan.exec("n1", [...kubectl, "create", "namespace", ns]);
    expect(
      await lan.exec("n1", [...kubectl, "get", "ns", ns, "-o", "jsonpath={.metadata.name}"]),
    ).toBe(ns);
    await lan.exec("n1", [...kubectl, "delete", "namespace", ns, "--wait=false"]);
    // n2 has no relay: its 127.0.0.1 is its own, where nothing listens.
    const r = await lan.tryExec("n2", [...kubectl, "get", "ns"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/refused/);
  });

  it("the relays are lab processes: destroy() stops them", async () => {
    if (!lan) throw new Error("setup failed");
    const names = lan.processes.records.map((p) => p.name).sort();
    expect(names).toEqual(["api-relay:host", "n1:api-relay"]);
    await lan.destroy();
    const { isRunning } = await import("../lab/processes.ts");
    expect(lan.processes.records.some(isRunning)).toBe(false);
  });
});
