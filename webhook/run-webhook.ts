// What `metallb-ts webhook` runs (webhook/command.ts holds its flags). The
// webhook talks to the API through the slim client (docs/adr/0008); only
// --self-managed-tls loads @kubernetes/client-node, for its certificate work.
import { shutdownSignal } from "../cli/shutdown-signal.ts";
import { ApiClient } from "../core/kube/api-client.ts";
import { loadApiConfig } from "../core/kube/api-config.ts";
import { AllocationView } from "../core/kube/allocation-view.ts";
import { ClaimWriter } from "../core/kube/claim-writer.ts";
import { EventRecorder } from "../core/kube/event-recorder.ts";
import { createLogger, type Logger } from "../core/logger.ts";
import { discoverClusterFamilies, parseFamilies } from "./cluster-families.ts";
import type { WebhookFlags } from "./command.ts";
import { apiConfigSource } from "./config-source.ts";
import type { MutatingOptions } from "./mutating-handler.ts";
import { startWebhookServer } from "./server.ts";

export async function runWebhook(flags: WebhookFlags): Promise<void> {
  const log = createLogger("webhook", flags.logLevel);
  const api = new ApiClient(loadApiConfig(flags.kubeconfig));
  const signal = shutdownSignal(log);
  const tls = { certFile: flags.tlsCert, keyFile: flags.tlsKey };
  if (flags.selfManagedTls) {
    const [{ startSelfManagedTls, WEBHOOK_SERVICE_NAME }, { loadKubeConfig }] = await Promise.all([
      import("./self-managed-tls.ts"),
      import("../core/kube/kube-config.ts"),
    ]);
    await startSelfManagedTls({
      kc: loadKubeConfig(flags.kubeconfig),
      namespace: flags.namespace,
      secretName: flags.tlsSecret,
      serviceName: WEBHOOK_SERVICE_NAME,
      files: tls,
      log,
      signal,
    });
  }
  const mutating = flags.assign ? await startAssignment({ api, flags, log, signal }) : undefined;
  await startWebhookServer({
    host: flags.listen,
    port: Number(flags.port),
    tls,
    metallbNamespace: flags.namespace,
    configSource: apiConfigSource(api),
    ...(mutating === undefined ? {} : { mutating }),
    log,
    signal,
  });
}

/** The allocation view, synced before the server answers its first Service. */
async function startAssignment(args: {
  api: ApiClient;
  flags: WebhookFlags;
  log: Logger;
  signal: AbortSignal;
}): Promise<MutatingOptions> {
  const { api, flags, log, signal } = args;
  const view = new AllocationView({ api, namespace: flags.namespace, log, signal });
  await view.start();
  const families =
    flags.serviceIpFamilies === "auto"
      ? ((await discoverClusterFamilies(api, log)) ?? ["IPv4"])
      : parseFamilies(flags.serviceIpFamilies);
  log.info({ families }, "cluster Service IP families");
  return {
    view,
    writer: new ClaimWriter(api, flags.namespace),
    events: new EventRecorder(api, "metallb-ts-webhook", log),
    lbClass: flags.lbClass,
    clusterFamilies: () => families,
    log,
  };
}
