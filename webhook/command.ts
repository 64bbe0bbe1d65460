// `metallb-ts webhook`: the admission server.
import { Command, Option } from "commander";
import { DEFAULT_NAMESPACE } from "../core/api/kinds.ts";
import { LOG_LEVELS } from "../core/logger.ts";

export interface WebhookFlags {
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
      // Loaded on use: `metallb-ts validate` should not pay for the API client and express.
      const { runWebhook } = await import("./run-webhook.ts");
      await runWebhook(flags);
    });
}
