// The flags every in-cluster component takes the same way, so `webhook`,
// `reconciler` and `speaker` cannot drift apart in name, default or help text.
import { Option, type Command } from "commander";
import { DEFAULT_NAMESPACE } from "../core/api/kind-names.ts";
import { LOG_LEVELS } from "../core/logger.ts";

export interface ConnectionFlags {
  namespace: string;
  kubeconfig?: string;
  lbClass?: string;
  logLevel: (typeof LOG_LEVELS)[number];
}

export interface ClusterFlags extends ConnectionFlags {
  serviceIpFamilies: string;
}

/** Namespace, API access, load balancer class, log level. */
export function withConnectionOptions(command: Command, namespaceHelp: string): Command {
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
    .addOption(
      new Option("--log-level <level>", "least severe level logged")
        .choices(LOG_LEVELS)
        .default("info"),
    );
}

/** The connection flags plus the cluster's Service IP families (components that allocate). */
export function withClusterOptions(command: Command, namespaceHelp: string): Command {
  return withConnectionOptions(command, namespaceHelp).option(
    "--service-ip-families <list>",
    "the cluster's Service IP families, primary first (IPv4, IPv6 or both comma-separated); 'auto' reads the default ServiceCIDR",
    "auto",
  );
}
