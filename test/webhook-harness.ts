// Runs our webhook server inside the test process on 127.0.0.1 (the API
// server calls it by URL, test-infra.md §4.3), registers it with the test
// control plane, and resets the shared metallb-system namespace.
import { CustomObjectsApi } from "@kubernetes/client-node";
import { apiClientFor } from "../core/kube/kube-config.ts";
import { readFile } from "node:fs/promises";
import { stringify } from "yaml";
import { allCrds, CONVERSION_PATH } from "../core/api/crd-manifests.ts";
import { DEFAULT_NAMESPACE, KINDS } from "../core/api/kinds.ts";
import {
  MUTATING_CONFIGURATION_NAME,
  mutatingWebhookConfiguration,
  validatingWebhookConfiguration,
  VALIDATING_CONFIGURATION_NAME,
} from "../core/api/webhook-configurations.ts";
import { createLogger } from "../core/logger.ts";
import { apiConfigSource } from "../webhook/config-source.ts";
import { startWebhookServer, type RunningWebhook } from "../webhook/server.ts";
import { controlPlane, kubeConfig, kubectl } from "./kube.ts";

export interface TestWebhook {
  readonly webhook: RunningWebhook;
  readonly url: string;
  stop(): Promise<void>;
}

async function caBundle64(): Promise<string> {
  return (await readFile(controlPlane().caCert)).toString("base64");
}

/** Applies the CRDs, with BGPPeer conversion pointed at `url` when given. */
export async function applyCrds(url?: string): Promise<void> {
  const conversion =
    url === undefined
      ? undefined
      : { url: `${url}${CONVERSION_PATH}`, caBundle: await caBundle64() };
  const docs = allCrds(conversion)
    .map((c) => stringify(c))
    .join("---\n");
  await kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], { input: docs });
  await kubectl([
    "wait",
    "--for=condition=established",
    "--timeout=60s",
    ...Object.values(KINDS).map((k) => `crd/${k.plural}.metallb.io`),
  ]);
  await kubectl(["create", "namespace", DEFAULT_NAMESPACE], { allowFailure: true });
}

/**
 * Starts the webhook, installs CRDs that convert through it and the
 * ValidatingWebhookConfiguration, and waits until the API server calls it.
 */
export async function startTestWebhook(): Promise<TestWebhook> {
  const cp = controlPlane();
  const controller = new AbortController();
  const webhook = await startWebhookServer({
    host: "127.0.0.1",
    port: 0,
    tls: { certFile: cp.webhookCert, keyFile: cp.webhookKey },
    metallbNamespace: DEFAULT_NAMESPACE,
    configSource: apiConfigSource(apiClientFor(kubeConfig())),
    log: createLogger("webhook", "warn"),
    signal: controller.signal,
  });
  const url = `https://127.0.0.1:${webhook.port}`;
  await applyCrds(url);
  const config = validatingWebhookConfiguration({ url, caBundle: await caBundle64() });
  await kubectl(["apply", "-f", "-"], { input: JSON.stringify(config) });
  await waitUntilWebhookAnswers();
  return {
    webhook,
    url,
    stop: async () => {
      await kubectl([
        "delete",
        "validatingwebhookconfiguration",
        VALIDATING_CONFIGURATION_NAME,
        "--ignore-not-found",
      ]);
      controller.abort();
      await webhook.close();
    },
  };
}

/** Registration is asynchronous in the API server: probe with a pool only the webhook refuses. */
async function waitUntilWebhookAnswers(): Promise<void> {
  const probe = {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name: "webhook-probe", namespace: "default" },
    spec: { addresses: ["192.0.2.0/32"] },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await kubectl(["create", "--dry-run=server", "-f", "-"], {
      input: JSON.stringify(probe),
      allowFailure: true,
    });
    if (r.code !== 0 && r.stderr.includes("WRONG_NAMESPACE")) return;
    if (Date.now() > deadline)
      throw new Error(`the API server never called the webhook: ${r.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Deletes every metallb.io configuration object in metallb-system (files share the namespace). */
export async function clearMetallbNamespace(): Promise<void> {
  // One DELETE per kind (deletecollection): kubectl's --all deletes object by
  // object, which takes minutes for the hundreds of claims some suites leave.
  // KINDS lists BGPPeer before BFDProfile, so no profile is still in use when
  // its deletion is admitted.
  const api = kubeConfig().makeApiClient(CustomObjectsApi);
  for (const kind of Object.values(KINDS)) {
    const version = kind.versions.find((v) => v.storage)?.name ?? "v1beta1";
    await api.deleteCollectionNamespacedCustomObject({
      group: "metallb.io",
      version,
      namespace: DEFAULT_NAMESPACE,
      plural: kind.plural,
    });
  }
}

/** Registers both webhook configurations for a webhook at `url` (https://127.0.0.1:PORT). */
export async function registerWebhooks(url: string): Promise<void> {
  const caBundle = await caBundle64();
  for (const config of [
    validatingWebhookConfiguration({ url, caBundle }),
    mutatingWebhookConfiguration({ url, caBundle }),
  ]) {
    await kubectl(["apply", "-f", "-"], { input: JSON.stringify(config) });
  }
}

export async function unregisterWebhooks(): Promise<void> {
  await kubectl([
    "delete",
    `mutatingwebhookconfiguration/${MUTATING_CONFIGURATION_NAME}`,
    `validatingwebhookconfiguration/${VALIDATING_CONFIGURATION_NAME}`,
    "--ignore-not-found",
  ]);
}
