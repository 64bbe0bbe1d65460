// Starts a reconciler: caches, optional leader election, metrics server.
// Used by `metallb-ts reconciler`, the cluster tests and the bench.
import { shutdownSignal } from "../cli/shutdown-signal.ts";
import { errorText } from "../core/errors.ts";
import { ApiClient } from "../core/kube/api-client.ts";
import { loadApiConfig } from "../core/kube/api-config.ts";
import { createLogger } from "../core/logger.ts";
import { discoverClusterFamilies, parseFamilies } from "../webhook/cluster-families.ts";
import type { ReconcilerFlags } from "./command.ts";
import type { Server } from "node:http";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "../core/logger.ts";
import type { IpFamily } from "../core/net/ip-address-text.ts";
import { LeaderElector } from "./leader-election.ts";
import { ensureMemberlistSecret } from "./memberlist-secret.ts";
import { startMetricsServer } from "../core/metrics-server.ts";
import { ReconcilerMetrics } from "./metrics.ts";
import { Reconciler } from "./reconciler.ts";

export interface LeaseTimings {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export interface StartReconcilerOptions {
  readonly api: ApiClient;
  readonly namespace: string;
  readonly lbClass: string | undefined;
  readonly clusterFamilies: readonly IpFamily[];
  readonly orphanGraceMs: number;
  readonly log: Logger;
  /** undefined: no metrics server; 0: any free port. */
  readonly metricsPort?: number | undefined;
  readonly metricsHost?: string | undefined;
  /** undefined: no leader election (this replica always acts). */
  readonly lease?:
    ({ readonly name: string; readonly identity?: string } & Partial<LeaseTimings>) | undefined;
  readonly concurrency?: number | undefined;
}

export interface RunningReconciler {
  readonly reconciler: Reconciler;
  readonly metrics: ReconcilerMetrics;
  readonly metricsPort: number | undefined;
  readonly isLeader: () => boolean;
  stop(): Promise<void>;
}

export async function startReconciler(options: StartReconcilerOptions): Promise<RunningReconciler> {
  const controller = new AbortController();
  const metrics = new ReconcilerMetrics();
  const reconciler = new Reconciler({ ...options, signal: controller.signal, metrics });
  let server: Server | undefined;
  if (options.metricsPort !== undefined) {
    server = await startMetricsServer({
      port: options.metricsPort,
      host: options.metricsHost,
      registry: metrics.registry,
      beforeScrape: () => {
        metrics.refreshPools(reconciler.view);
      },
      ready: () => reconciler.synced,
    });
  }
  await reconciler.start();
  ensureMemberlistSecret(options.api, options.namespace, options.log, controller.signal).catch(
    (e: unknown) => {
      options.log.warn(
        { err: errorText(e) },
        "memberlist Secret not ensured; speakers heartbeat unauthenticated until it exists",
      );
    },
  );
  let leading = false;
  let election: Promise<void> | undefined;
  if (options.lease === undefined) {
    leading = true;
    reconciler.setActive(true);
  } else {
    const elector = new LeaderElector({
      api: options.api,
      namespace: options.namespace,
      name: options.lease.name,
      identity: options.lease.identity ?? `${hostname()}_${randomBytes(4).toString("hex")}`,
      leaseDurationMs: options.lease.leaseDurationMs,
      renewDeadlineMs: options.lease.renewDeadlineMs,
      retryPeriodMs: options.lease.retryPeriodMs,
      log: options.log,
      onStartedLeading: () => {
        leading = true;
        reconciler.setActive(true);
      },
      onStoppedLeading: () => {
        leading = false;
        reconciler.setActive(false);
      },
    });
    election = elector.run(controller.signal);
  }
  const address = server?.address();
  return {
    reconciler,
    metrics,
    metricsPort: typeof address === "object" && address !== null ? address.port : undefined,
    isLeader: () => leading,
    stop: async () => {
      reconciler.stop();
      controller.abort();
      await election;
      await new Promise<void>((resolve) => {
        if (server === undefined) resolve();
        else
          server.close(() => {
            resolve();
          });
      });
    },
  };
}

/** What `metallb-ts reconciler` runs (reconciler/command.ts holds its flags). */
export async function runReconciler(
  flags: ReconcilerFlags & { readonly orphanGraceMs: number },
): Promise<void> {
  const log = createLogger("controller", flags.logLevel);
  const api = new ApiClient(loadApiConfig(flags.kubeconfig));
  const families =
    flags.serviceIpFamilies === "auto"
      ? ((await discoverClusterFamilies(api, log)) ?? ["IPv4"])
      : parseFamilies(flags.serviceIpFamilies);
  log.info({ families, lbClass: flags.lbClass ?? null }, "starting reconciler");
  const running = await startReconciler({
    api,
    namespace: flags.namespace,
    lbClass: flags.lbClass,
    clusterFamilies: families,
    orphanGraceMs: flags.orphanGraceMs,
    log,
    metricsPort: Number(flags.metricsPort),
    lease: flags.leaderElect ? { name: flags.leaseName } : undefined,
  });
  const signal = shutdownSignal(log);
  await new Promise<void>((resolve) => {
    signal.addEventListener("abort", () => {
      resolve();
    });
  });
  await running.stop();
  log.info("stopped");
  process.exit(0);
}
