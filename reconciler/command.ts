// `metallb-ts reconciler`: the controller users read with
// `kubectl logs deployment/controller`. Publishes assigned IPs in Service
// status, assigns Services that arrived without one, releases and collects
// claims, writes IPAddressPool status; one active replica (Lease).
import { Command } from "commander";
import { withClusterOptions, type ClusterFlags } from "../cli/cluster-options.ts";
import { parseDuration } from "../cli/flag-values.ts";

export interface ReconcilerFlags extends ClusterFlags {
  orphanGrace: string;
  metricsPort: string;
  leaderElect: boolean;
  leaseName: string;
}

export function reconcilerCommand(): Command {
  const command = new Command("reconciler")
    .description(
      "Run the controller: publish assigned IPs in Service status, assign LoadBalancer Services that arrived without one (in creation order), release IPs of deleted or changed Services, collect orphaned claims, and write IPAddressPool status.",
    )
    .option(
      "--orphan-grace <duration>",
      "how long a claim holder whose Service does not exist is kept before it is released (e.g. 60s)",
      "60s",
    )
    .option("--metrics-port <port>", "port of /metrics, /healthz and /readyz", "7472")
    .option("--no-leader-elect", "act without a Lease (only for a single replica)")
    .option(
      "--lease-name <name>",
      "coordination.k8s.io Lease used for leader election",
      "metallb-ts-controller",
    );
  return withClusterOptions(
    command,
    "namespace holding the metallb.io configuration, the claims and the Lease",
  ).action(async (flags: ReconcilerFlags) => {
    // Loaded on use: `metallb-ts validate` should not pay for the API client.
    const { runReconciler } = await import("./run.ts");
    await runReconciler({ ...flags, orphanGraceMs: parseDuration(flags.orphanGrace) });
  });
}
