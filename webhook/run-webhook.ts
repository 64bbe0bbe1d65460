// What `metallb-ts webhook` runs (webhook/command.ts holds its flags).
import {
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  type KubeConfig,
} from "@kubernetes/client-node";
import { shutdownSignal } from "../cli/shutdown-signal.ts";
import { AllocationView } from "../core/kube/allocation-view.ts";
import { ClaimWriter } from "../core/kube/claim-writer.ts";
import { EventRecorder } from "../core/kube/event-recorder.ts";
import { apiClientFor, loadKubeConfig } from "../core/kube/kube-config.ts";
import { createLogger, type Logger } from "../core/logger.ts";
import { discoverClusterFamilies, parseFamilies } from "./cluster-families.ts";
import type { WebhookFlags } from "./command.ts";
import { apiConfigSource } from "./config-source.ts";
import type { MutatingOptions } from "./mutating-handler.ts";
import { startWebhookServer } from "./server.ts";

export async function runWebhook(flags: WebhookFlags): Promise<void> {
  const log = createLogger("webhook", flags.logLevel);
  const kc = loadKubeConfig(flags.kubeconfig);
  const signal = shutdownSignal(log);
  const tls = { certFile: flags.tlsCert, keyFile: flags.tlsKey };
  if (flags.selfManagedTls) {
    const { startSelfManagedTls, WEBHOOK_SERVICE_NAME } = await import("./self-managed-tls.ts");
    await startSelfManagedTls({
      kc,
      namespace: flags.namespace,
      secretName: flags.tlsSecret,
      serviceName: WEBHOOK_SERVICE_NAME,
      files: tls,
      log,
      signal,
    });
  }
  const mutating = flags.assign ? await startAssignment({ kc, flags, log, signal }) : undefined;
  await startWebhookServer({
    host: flags.listen,
    port: Number(flags.port),
    tls,
    metallbNamespace: flags.namespace,
    configSource: apiConfigSource(kc.makeApiClient(CustomObjectsApi)),
    ...(mutating === undefined ? {} : { mutating }),
    log,
    signal,
  });
}

/** The allocation view, synced before the server answers its first Service. */
async function startAssignment(args: {
  kc: KubeConfig;
  flags: WebhookFlags;
  log: Logger;
  signal: AbortSignal;
}): Promise<MutatingOptions> {
  const { kc, flags, log, signal } = args;
  const view = new AllocationView({
    api: apiClientFor(kc),
    namespace: flags.namespace,
    log,
    signal,
  });
  await view.start();
  const families =
    flags.serviceIpFamilies === "auto"
      ? ((await discoverClusterFamilies(kc.makeApiClient(NetworkingV1Api), log)) ?? ["IPv4"])
      : parseFamilies(flags.serviceIpFamilies);
  log.info({ families }, "cluster Service IP families");
  return {
    view,
    writer: new ClaimWriter(kc.makeApiClient(CustomObjectsApi), flags.namespace),
    events: new EventRecorder(kc.makeApiClient(CoreV1Api), "metallb-ts-webhook", log),
    lbClass: flags.lbClass,
    clusterFamilies: () => families,
    log,
  };
}
