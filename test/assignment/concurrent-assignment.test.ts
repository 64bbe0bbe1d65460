// 500 Services created by 20 parallel clients against two webhook replicas:
// every Service gets its own IP, decided in its create call, and every IP has
// exactly one claim. The replicas race for the same lowest addresses; the API
// server's AlreadyExists settles each race.
import { CoreV1Api, type V1Service } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { kubeConfig, kubectl, withNamespace } from "../kube.ts";
import { startAssignmentWebhooks, type AssignmentWebhooks } from "../assignment-harness.ts";
import { clearMetallbNamespace } from "../webhook-harness.ts";

const SERVICES = 500;
const CLIENTS = 20;

let hooks: AssignmentWebhooks;
const ns = withNamespace("concurrent");

beforeAll(async () => {
  hooks = await startAssignmentWebhooks(2);
  await kubectl(["apply", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: "big", namespace: "metallb-system" },
      // 512 addresses for 500 Services: no exhaustion expected.
      spec: { addresses: ["198.19.0.0/23"] },
    }),
  });
});
afterAll(async () => {
  // The namespace's deletion (withNamespace) removes the Services.
  await clearMetallbNamespace();
  await hooks.stop();
});

it(`assigns ${SERVICES} distinct IPs to ${SERVICES} Services created by ${CLIENTS} clients`, async () => {
  const api = kubeConfig().makeApiClient(CoreV1Api);
  const created: V1Service[] = [];
  const errors: string[] = [];
  let next = 0;
  const client = async () => {
    for (let i = next++; i < SERVICES; i = next++) {
      try {
        created.push(
          await api.createNamespacedService({
            namespace: ns.name,
            body: {
              metadata: { name: `svc-${i}` },
              spec: { type: "LoadBalancer", selector: { app: `a${i}` }, ports: [{ port: 80 }] },
            },
          }),
        );
      } catch (e: unknown) {
        errors.push(e instanceof Error ? e.message.slice(0, 300) : String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  expect(errors).toEqual([]);
  const ips = created.map((s) => s.metadata?.annotations?.["metallb.io/allocated-ips"]);
  expect(ips.filter((ip) => ip === undefined)).toEqual([]);
  expect(new Set(ips).size).toBe(SERVICES);
  const claims = JSON.parse(
    (await kubectl(["get", "ipaddressclaims", "-n", "metallb-system", "-o", "json"])).stdout,
  ) as { items: { spec: { ip: string; holders: { name: string }[] } }[] };
  expect(claims.items).toHaveLength(SERVICES);
  const byIp = new Map(claims.items.map((c) => [c.spec.ip, c.spec.holders.map((h) => h.name)]));
  for (const s of created) {
    const ip = s.metadata?.annotations?.["metallb.io/allocated-ips"] ?? "";
    expect(byIp.get(ip)).toEqual([s.metadata?.name]);
  }
  expect(hooks.proxy.connections.every((n) => n > 0)).toBe(true);
}, 300_000);
