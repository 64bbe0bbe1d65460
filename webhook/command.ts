// `metallb-ts webhook`: the admission server.
import {
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  type KubeConfig,
} from "@kubernetes/client-node";
import { Command, Option } from "commander";
import { DEFAULT_NAMESPACE } from "../core/api/kinds.ts";
import { EventRecorder } from "../core/kube/event-recorder.ts";
import { createLogger, LOG_LEVELS, type Logger } from "../core/logger.ts";
import { AllocationView } from "../core/kube/allocation-view.ts";
import { ClaimWriter } from "../core/kube/claim-writer.ts";
import { discoverClusterFamilies, parseFamilies } from "./cluster-families.ts";
import type { MutatingOptions } from "./mutating-handler.ts";
import { loadKubeConfig } from "../core/kube/kube-config.ts";
import { apiConfigSource } from "./config-source.ts";
import { startWebhookServer } from "./server.ts";

/** Kubernetes' default terminationGracePeriodSeconds is 30 s; leave before it. */
const SHUTDOWN_DEADLINE_MS = 10_000;

interface WebhookFlags {
  assign: boolean;
  lbClass?: string;
  serviceIpFamilies: string;
  listen: string;
  port: string;
  tlsCert: string;
  tlsKey: string;
  namespace: string;
  kubeconfig?: string;
  logLevel: (typeof LOG_LEVELS)[number];
}

export function webhookCommand(): Command {
  return new Command("webhook")
    .description(
      "Serve the admission webhooks over HTTPS: IP assignment for LoadBalancer Services, validation of every metallb.io kind, and BGPPeer v1beta1/v1beta2 conversion.",
    )
    .option("--listen <address>", "address to listen on", "0.0.0.0")
    .option("--port <port>", "HTTPS port the API server calls", "9443")
    .option(
      "--tls-cert <file>",
      "PEM serving certificate; re-read every 10 s, so a renewed certificate is served without a restart",
      "/tmp/k8s-webhook-server/serving-certs/tls.crt",
    )
    .option(
      "--tls-key <file>",
      "PEM private key for --tls-cert",
      "/tmp/k8s-webhook-server/serving-certs/tls.key",
    )
    .option(
      "--namespace <name>",
      "namespace holding the metallb.io configuration (objects elsewhere are refused)",
      process.env.METALLB_NAMESPACE ?? DEFAULT_NAMESPACE,
    )
    .option(
      "--kubeconfig <file>",
      "kubeconfig to reach the API (default: $KUBECONFIG or in-cluster)",
    )
    .option(
      "--no-assign",
      "serve only validation and conversion, not IP assignment for Services (/mutate-v1-service)",
    )
    .option(
      "--lb-class <name>",
      "handle only Services with this spec.loadBalancerClass (default: only Services without one), as MetalLB's --lb-class",
    )
    .option(
      "--service-ip-families <list>",
      "the cluster's Service IP families, primary first (IPv4, IPv6 or both comma-separated); 'auto' reads the default ServiceCIDR",
      "auto",
    )
    .addOption(
      new Option("--log-level <level>", "least severe level logged")
        .choices(LOG_LEVELS)
        .default("info"),
    )
    .action(async (flags: WebhookFlags) => {
      const log = createLogger("webhook", flags.logLevel);
      const kc = loadKubeConfig(flags.kubeconfig);
      const controller = new AbortController();
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        process.once(signal, () => {
          log.info({ signal }, "shutting down");
          controller.abort();
          // Everything stops on abort; this only bounds a hung connection.
          setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS).unref();
        });
      }
      const mutating = flags.assign
        ? await startAssignment({ kc, flags, log, signal: controller.signal })
        : undefined;
      await startWebhookServer({
        host: flags.listen,
        port: Number(flags.port),
        tls: { certFile: flags.tlsCert, keyFile: flags.tlsKey },
        metallbNamespace: flags.namespace,
        configSource: apiConfigSource(kc.makeApiClient(CustomObjectsApi)),
        ...(mutating === undefined ? {} : { mutating }),
        log,
        signal: controller.signal,
      });
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
  const view = new AllocationView({ kc, namespace: flags.namespace, log, signal });
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
