// SIGTERM/SIGINT handling shared by the long-running commands: one
// AbortSignal that every loop, watch and server listens to, plus a deadline
// that bounds a hung connection.
import type { Logger } from "../core/logger.ts";

/** Kubernetes' default terminationGracePeriodSeconds is 30 s; leave well before it. */
const SHUTDOWN_DEADLINE_MS = 10_000;

export function shutdownSignal(log: Logger, deadlineMs = SHUTDOWN_DEADLINE_MS): AbortSignal {
  const controller = new AbortController();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      log.info({ signal }, "shutting down");
      controller.abort();
      // Everything stops on abort; this only bounds what does not.
      setTimeout(() => process.exit(0), deadlineMs).unref();
    });
  }
  return controller.signal;
}
