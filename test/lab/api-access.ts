// Makes the test control plane (127.0.0.1:PORT in the machine's namespace)
// reachable at the same 127.0.0.1:PORT inside lab namespaces, through
// api-relay.ts processes and a Unix socket (see there for why).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { waitFor } from "./exec.ts";
import type { Lan } from "./topology.ts";

export interface ApiRelay {
  /** The Unix socket both sides meet at. */
  socket: string;
  port: number;
  /** Namespaced hosts with a relay. */
  hosts: string[];
}

const script = join(import.meta.dirname, "api-relay.ts");

async function waitReady(what: string, log: string, exited: () => number | null): Promise<void> {
  await waitFor(
    `${what} (log ${log})`,
    async () => {
      const text = await readFile(log, "utf8");
      if (exited() !== null) throw new Error(`exited (${String(exited())}): ${text}`);
      return text.includes("READY");
    },
    { timeoutMs: 15_000, stepMs: 50 },
  );
}

/**
 * Starts one relay in the machine's namespace (unix socket → 127.0.0.1:port)
 * and one in each of `hosts` (default: every node) listening on
 * 127.0.0.1:port there. All are lab processes: lan.destroy() stops them.
 */
export async function startApiRelay(
  lan: Lan,
  opts: { port: number; hosts?: readonly string[] },
): Promise<ApiRelay> {
  const socket = join(lan.dir, `api-${opts.port}.sock`);
  const hosts = [...(opts.hosts ?? lan.nodes.map((n) => n.name))];
  const port = String(opts.port);
  const hostLog = lan.logPath("root", "api-relay");
  const main = lan.spawnRoot("api-relay:host", [process.execPath, script, "host", socket, port], {
    log: hostLog,
  });
  await waitReady("API relay (machine side)", hostLog, () => main.exitCode);
  await Promise.all(
    hosts.map(async (h) => {
      const log = lan.logPath(h, "api-relay");
      const child = lan.spawn(h, [process.execPath, script, "ns", socket, port], {
        log,
        name: `${h}:api-relay`,
      });
      await waitReady(`API relay in ${h}`, log, () => child.exitCode);
    }),
  );
  return { socket, port: opts.port, hosts };
}
