// An unreachable webhook blocks metallb.io objects (failurePolicy Fail: an
// unchecked pool could break every Service) and nothing else.
import { afterAll, beforeAll, expect, it } from "vitest";
import { kubectl, withNamespace } from "../kube.ts";
import {
  applyCrds,
  clearMetallbNamespace,
  registerWebhooks,
  unregisterWebhooks,
} from "../webhook-harness.ts";

const ns = withNamespace("unreachable");

beforeAll(async () => {
  await applyCrds();
  // Port 9 (discard) on loopback: nothing listens there in the test sandbox.
  await registerWebhooks("https://127.0.0.1:9");
});

afterAll(async () => {
  await unregisterWebhooks();
  await clearMetallbNamespace();
});

it("refuses metallb.io objects while the webhook is unreachable", async () => {
  let r = { code: 0, stderr: "" };
  // Registration reaches the API server asynchronously: wait until it bites.
  for (let i = 0; r.code === 0 && i < 50; i++) {
    r = await kubectl(["create", "--dry-run=server", "-f", "-"], {
      allowFailure: true,
      input: JSON.stringify({
        apiVersion: "metallb.io/v1beta1",
        kind: "IPAddressPool",
        metadata: { name: "blocked", namespace: "metallb-system" },
        spec: { addresses: ["203.0.113.0/30"] },
      }),
    });
    if (r.code === 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("failed calling webhook");
});

it("creates ConfigMaps and every kind of Service, LoadBalancer included, without waiting for it", async () => {
  const cm = await kubectl(["create", "configmap", "free", "-n", ns.name]);
  expect(cm.code).toBe(0);
  for (const type of ["ClusterIP", "NodePort", "LoadBalancer"]) {
    const svc = await kubectl(["create", "-n", ns.name, "-o", "json", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: type.toLowerCase() },
        spec: { type, selector: { app: "x" }, ports: [{ port: 80 }] },
      }),
    });
    expect(svc.code).toBe(0);
    // failurePolicy Ignore: the LoadBalancer Service is created without an IP.
    expect(svc.stdout).not.toContain("metallb.io/allocated-ips");
  }
});
