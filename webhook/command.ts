// `metallb-ts webhook`: the admission server.
import { Command } from "commander";
import { withClusterOptions, type ClusterFlags } from "../cli/cluster-options.ts";

export interface WebhookFlags extends ClusterFlags {
  assign: boolean;
  listen: string;
  port: string;
  tlsCert: string;
  tlsKey: string;
  selfManagedTls: boolean;
  tlsSecret: string;
}

export function webhookCommand(): Command {
  const command = new Command("webhook")
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
      "--self-managed-tls",
      "without cert-manager: keep a CA and serving certificate in the Secret --tls-secret, renew them before expiry, write them to --tls-cert/--tls-key and patch the CA into the webhook configurations and the BGPPeer CRD",
    )
    .option(
      "--tls-secret <name>",
      "Secret (in --namespace) for --self-managed-tls",
      // self-managed-tls.ts SELF_MANAGED_SECRET_NAME; not imported so that other commands do not load node-forge.
      "metallb-webhook-cert",
    )
    .option(
      "--no-assign",
      "serve only validation and conversion, not IP assignment for Services (/mutate-v1-service)",
    );
  return withClusterOptions(
    command,
    "namespace holding the metallb.io configuration (objects elsewhere are refused)",
  ).action(async (flags: WebhookFlags) => {
    // Loaded on use: `metallb-ts validate` should not pay for the API client and express.
    const { runWebhook } = await import("./run-webhook.ts");
    await runWebhook(flags);
  });
}
