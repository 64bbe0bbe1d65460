// Proves the test control plane is the real thing: the pinned kube-apiserver
// version, persistence through etcd, and kube-controller-manager's controllers
// (garbage collection, EndpointSlices, ServiceAccounts, namespace deletion)
// actually acting on objects.
import { ApiException, CoreV1Api } from "@kubernetes/client-node";
import { describe, expect, it, vi } from "vitest";
import { createTestNamespace, kubeConfig, kubectl, uniqueName, withNamespace } from "../kube.ts";
import { pinnedVersions } from "./binaries.ts";

interface ObjectMeta {
  name: string;
  uid: string;
  labels?: Record<string, string>;
}

describe("test control plane", () => {
  const ns = withNamespace("control-plane");

  it("serves the Kubernetes version pinned in go-build/go.mod", async () => {
    const { kubernetes } = await pinnedVersions();
    const { stdout } = await kubectl(["get", "--raw", "/version"]);
    const version = JSON.parse(stdout) as { gitVersion: string };
    expect(version.gitVersion).toBe(kubernetes);
  });

  it("round-trips a ConfigMap through kubectl", async () => {
    const name = uniqueName("roundtrip");
    const data = { "pool.yaml": "addresses:\n- 192.0.2.100/32\n", empty: "" };
    const manifest = JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: ns.name },
      data,
    });
    await kubectl(["apply", "-f", "-"], { input: manifest });
    const { stdout } = await kubectl(["get", "configmap", name, "-n", ns.name, "-o", "json"]);
    const got = JSON.parse(stdout) as { data: Record<string, string>; metadata: ObjectMeta };
    expect(got.data).toEqual(data);
    expect(got.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("garbage-collects a dependent once its owner is deleted", async () => {
    // Objects are created from JSON through kubectl: client-node's model
    // classes do not take plain object literals under this lint config.
    const ownerName = uniqueName("owner");
    const { stdout } = await kubectl([
      "create",
      "configmap",
      ownerName,
      "-n",
      ns.name,
      "-o",
      "json",
    ]);
    const ownerUid = (JSON.parse(stdout) as { metadata: ObjectMeta }).metadata.uid;
    expect(ownerUid).not.toBe("");
    const dependentName = uniqueName("dependent");
    await kubectl(["create", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: dependentName,
          namespace: ns.name,
          ownerReferences: [
            { apiVersion: "v1", kind: "ConfigMap", name: ownerName, uid: ownerUid },
          ],
        },
      }),
    });

    const core = kubeConfig().makeApiClient(CoreV1Api);
    const dependent = await core.readNamespacedConfigMap({
      name: dependentName,
      namespace: ns.name,
    });
    expect(dependent.metadata?.ownerReferences?.[0]?.uid).toBe(ownerUid);
    await core.deleteNamespacedConfigMap({ name: ownerName, namespace: ns.name });

    // Only kube-controller-manager's garbage collector deletes the dependent;
    // the apiserver alone would leave it there forever.
    await vi.waitFor(
      async () => {
        const status = await core
          .readNamespacedConfigMap({ name: dependentName, namespace: ns.name })
          .then(
            () => 200,
            (e: unknown) => {
              if (e instanceof ApiException) return e.code;
              throw e;
            },
          );
        expect(status).toBe(404);
      },
      { timeout: 30_000, interval: 200 },
    );
  });

  it("creates an EndpointSlice for a Service with a selector", async () => {
    const svc = uniqueName("web");
    await kubectl(["apply", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: svc, namespace: ns.name },
        spec: { selector: { app: svc }, ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }] },
      }),
    });

    // No Pod matches, so the endpointslice controller writes a slice with no
    // endpoints; its existence is what shows the controller runs.
    const slice = await vi.waitFor(
      async () => {
        const { stdout } = await kubectl([
          "get",
          "endpointslices.discovery.k8s.io",
          "-n",
          ns.name,
          "-l",
          `kubernetes.io/service-name=${svc}`,
          "-o",
          "json",
        ]);
        const list = JSON.parse(stdout) as {
          items: { metadata: ObjectMeta; endpoints?: unknown[] | null }[];
        };
        expect(list.items).toHaveLength(1);
        return list.items[0];
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(slice?.metadata.labels?.["endpointslice.kubernetes.io/managed-by"]).toBe(
      "endpointslice-controller.k8s.io",
    );
    expect(slice?.endpoints ?? []).toHaveLength(0);
  });

  it("gives a new namespace its default ServiceAccount", async () => {
    await vi.waitFor(
      async () => {
        await kubectl(["get", "serviceaccount", "default", "-n", ns.name]);
      },
      { timeout: 30_000, interval: 200 },
    );
  });

  it("finishes deleting a namespace", async () => {
    const doomed = await createTestNamespace("doomed");
    await kubectl(["create", "configmap", "leftover", "-n", doomed.name]);
    await doomed.cleanup();
    // Without the namespace controller it would stay Terminating forever.
    await vi.waitFor(
      async () => {
        const res = await kubectl(["get", "namespace", doomed.name, "-o", "name"], {
          allowFailure: true,
        });
        expect(res.code).not.toBe(0);
        expect(res.stderr).toContain("NotFound");
      },
      { timeout: 30_000, interval: 250 },
    );
  });
});
