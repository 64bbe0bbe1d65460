// webhook/self-managed-tls.ts against the real API server: two replicas
// starting at once agree on one Secret, the caBundle lands in webhook
// configurations and a CRD's conversion webhook through the patches the
// self-managed overlay's RBAC allows, and a renewal reaches the Secret and the
// files. The objects are this file's own (unique names, a made-up API group),
// so no other suite's webhook configuration is touched.
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createLogger } from "../../core/logger.ts";
import {
  serviceDnsNames,
  splitPem,
  startSelfManagedTls,
  type CaBundleTargets,
  type SelfManagedTlsOptions,
} from "../../webhook/self-managed-tls.ts";
import { kubeConfig, kubectl, uniqueName, withNamespace } from "../kube.ts";

const ns = withNamespace("self-managed-tls");
const id = uniqueName("smtls");
const group = `${id}.example.com`;
const targets: CaBundleTargets = {
  validating: `${id}-validating`,
  mutating: `${id}-mutating`,
  crd: `widgets.${group}`,
};
const SECRET = "metallb-webhook-cert";
const controllers: AbortController[] = [];
let dir = "";

function webhook(name: string): Record<string, unknown> {
  return {
    name: `${name}.${group}`,
    admissionReviewVersions: ["v1"],
    // Never called: the rules name only a group nothing uses.
    clientConfig: { url: "https://127.0.0.1:1/never" },
    failurePolicy: "Ignore",
    sideEffects: "None",
    rules: [
      { apiGroups: [group], apiVersions: ["*"], operations: ["CREATE"], resources: ["nothing"] },
    ],
  };
}

const objects = [
  {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: targets.validating },
    webhooks: [webhook("a"), webhook("b")],
  },
  {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: targets.mutating },
    webhooks: [{ ...webhook("m"), reinvocationPolicy: "Never" }],
  },
  {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: targets.crd },
    spec: {
      group,
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: ["v1", "v2"].map((name) => ({
        name,
        served: true,
        storage: name === "v2",
        schema: {
          openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
      })),
      conversion: {
        strategy: "Webhook",
        webhook: {
          conversionReviewVersions: ["v1"],
          clientConfig: { url: "https://127.0.0.1:1/convert" },
        },
      },
    },
  },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "self-managed-tls-"));
  await kubectl(["apply", "-f", "-"], {
    input: objects.map((o) => JSON.stringify(o)).join("\n"),
  });
});

afterAll(async () => {
  for (const c of controllers) c.abort();
  await kubectl([
    "delete",
    `validatingwebhookconfiguration/${targets.validating}`,
    `mutatingwebhookconfiguration/${targets.mutating}`,
    `crd/${targets.crd}`,
    "--ignore-not-found",
    "--wait=false",
  ]);
  await rm(dir, { recursive: true, force: true });
});

function replica(name: string, extra: Partial<SelfManagedTlsOptions> = {}): Promise<void> {
  const controller = new AbortController();
  controllers.push(controller);
  return startSelfManagedTls({
    kc: kubeConfig(),
    namespace: ns.name,
    secretName: SECRET,
    serviceName: "metallb-webhook-service",
    files: { certFile: join(dir, name, "tls.crt"), keyFile: join(dir, name, "tls.key") },
    log: createLogger("test", "silent"),
    signal: controller.signal,
    targets,
    retryMs: 200,
    ...extra,
  });
}

async function secretData(): Promise<Record<string, string>> {
  const out = await kubectl(["get", "secret", SECRET, "-n", ns.name, "-o", "json"]);
  const secret = JSON.parse(out.stdout) as { type: string; data: Record<string, string> };
  expect(secret.type).toBe("kubernetes.io/tls");
  return Object.fromEntries(
    Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
  );
}

async function caBundles(): Promise<string[]> {
  const get = async (what: string): Promise<unknown> =>
    JSON.parse((await kubectl(["get", what, "-o", "json"])).stdout);
  const v = (await get(`validatingwebhookconfiguration/${targets.validating}`)) as {
    webhooks: { clientConfig: { caBundle?: string } }[];
  };
  const m = (await get(`mutatingwebhookconfiguration/${targets.mutating}`)) as typeof v;
  const c = (await get(`crd/${targets.crd}`)) as {
    spec: { conversion: { webhook: { clientConfig: { caBundle?: string } } } };
  };
  return [
    ...v.webhooks.map((w) => w.clientConfig.caBundle ?? ""),
    ...m.webhooks.map((w) => w.clientConfig.caBundle ?? ""),
    c.spec.conversion.webhook.clientConfig.caBundle ?? "",
  ];
}

async function eventually(check: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (e: unknown) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

it("two replicas starting together share one Secret and serve the same certificate", async () => {
  await Promise.all([replica("a"), replica("b")]);
  const data = await secretData();
  expect(Object.keys(data).sort()).toEqual(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
  expect(await readFile(join(dir, "a", "tls.crt"), "utf8")).toBe(data["tls.crt"]);
  expect(await readFile(join(dir, "b", "tls.crt"), "utf8")).toBe(data["tls.crt"]);
  expect(await readFile(join(dir, "b", "tls.key"), "utf8")).toBe(data["tls.key"]);
  const serving = new X509Certificate(data["tls.crt"] ?? "");
  const ca = new X509Certificate(data["ca.crt"] ?? "");
  expect(serving.checkIssued(ca)).toBe(true);
  for (const n of serviceDnsNames("metallb-webhook-service", ns.name)) {
    expect(serving.checkHost(n)).toBe(n);
  }
});

it("patches the CA into every webhook and the CRD's conversion webhook", async () => {
  const expected = Buffer.from((await secretData())["ca.crt"] ?? "").toString("base64");
  await eventually(async () => {
    expect(await caBundles()).toEqual([expected, expected, expected, expected]);
  });
});

it("a replica that finds the serving certificate in its last third renews it under the same CA", async () => {
  const before = await secretData();
  // 300 days on, a one-year certificate has less than a third left.
  const later = new Date(Date.now() + 300 * 86_400_000);
  await replica("c", { now: () => later });
  const after = await secretData();
  expect(after["tls.crt"]).not.toBe(before["tls.crt"]);
  expect(after["ca.crt"]).toBe(before["ca.crt"]);
  expect(splitPem(after["ca.crt"] ?? "")).toHaveLength(1);
  expect(await readFile(join(dir, "c", "tls.crt"), "utf8")).toBe(after["tls.crt"]);
  const serving = new X509Certificate(after["tls.crt"] ?? "");
  expect(Date.parse(serving.validTo)).toBeGreaterThan(later.getTime());
});
