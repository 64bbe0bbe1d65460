// The flags every in-cluster component takes the same way, so `webhook` and
// `reconciler` cannot drift apart in name, default or help text.
import { Option, type Command } from "commander";
import { DEFAULT_NAMESPACE } from "../core/api/kinds.ts";
import { LOG_LEVELS } from "../core/logger.ts";

export interface ClusterFlags {
  namespace: string;
  kubeconfig?: string;
  lbClass?: string;
  serviceIpFamilies: string;
  logLevel: (typeof LOG_LEVELS)[number];
}

export function withClusterOptions(command: Command, namespaceHelp: string): Command {
  return command
    .option("--namespace <name>", namespaceHelp, process.env.METALLB_NAMESPACE ?? DEFAULT_NAMESPACE)
    .option(
      "--kubeconfig <file>",
      "kubeconfig to reach the API (default: $KUBECONFIG or in-cluster)",
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
    );
}
