// Helpers shared by the BGP network tests: namespaces, daemons started and
// killed by PID, gobgpd config, a driver process running BgpSessions, bounded
// polling.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { addVethArgs } from "../../lab/topology.ts";

export function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export const inNs = (ns: string, ...args: string[]): string =>
  sh("ip", ["netns", "exec", ns, ...args]);

export function addNamespace(ns: string): void {
  sh("ip", ["netns", "add", ns]);
  sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
  inNs(ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
}

/** veth `name` in `ns` with addresses; its peer `peerName` in `peerNs` (optionally into bridge br0). */
export function veth(
  ns: string,
  addrs: readonly string[],
  peerNs: string,
  peer: { name: string; addrs?: readonly string[]; bridge?: boolean },
): void {
  sh("ip", addVethArgs(ns, peer.name, peerNs));
  for (const a of addrs) sh("ip", ["-n", ns, "addr", "add", a, "dev", "eth0", "nodad"]);
  sh("ip", ["-n", ns, "link", "set", "eth0", "up"]);
  if (peer.bridge === true) sh("ip", ["-n", peerNs, "link", "set", peer.name, "master", "br0"]);
  for (const a of peer.addrs ?? [])
    sh("ip", ["-n", peerNs, "addr", "add", a, "dev", peer.name, "nodad"]);
  sh("ip", ["-n", peerNs, "link", "set", peer.name, "up"]);
}

/**
 * A daemon in `ns`, its output discarded. `ip netns exec` execs in place, so
 * the child's PID is the daemon's own and kill() stops exactly it.
 */
export function startDaemon(ns: string, argv: readonly string[]): ChildProcess {
  return spawn("ip", ["netns", "exec", ns, ...argv], { stdio: "ignore" });
}

/**
 * A gobgpd.toml [[neighbors]] entry that waits for `address` to dial and
 * carries IPv4 and IPv6 unicast on the one session. Without `timers`, gobgpd's
 * defaults apply.
 */
export function passiveGobgpNeighbor(
  address: string,
  peerAs: number,
  timers?: { holdTime: number; keepalive: number },
): string {
  const timerLines =
    timers === undefined
      ? ""
      : `  [neighbors.timers.config]
    hold-time = ${String(timers.holdTime)}
    keepalive-interval = ${String(timers.keepalive)}
`;
  return `[[neighbors]]
  [neighbors.config]
    neighbor-address = "${address}"
    peer-as = ${String(peerAs)}
${timerLines}  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`;
}

export function deleteNamespace(ns: string): void {
  try {
    sh("ip", ["netns", "del", ns]);
  } catch {
    // already gone
  }
}

export function until<T>(
  probe: () => T | undefined | false,
  what: string,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      let value: T | undefined | false;
      try {
        value = probe();
      } catch {
        value = undefined;
      }
      if (value !== undefined && value !== false) resolve(value);
      else if (Date.now() > end) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 100);
    };
    tick();
  });
}

export interface Driver {
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[];
  send: (cmd: Record<string, unknown>) => void;
}

export function startDriver(ns: string, config: Record<string, unknown>): Driver {
  const script = path.join(import.meta.dirname, "driver.ts");
  const child = spawn(
    "ip",
    ["netns", "exec", ns, process.execPath, script, JSON.stringify(config)],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const events: Record<string, unknown>[] = [];
  let buffer = "";
  child.stdout.on("data", (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const l of lines) if (l !== "") events.push(JSON.parse(l) as Record<string, unknown>);
  });
  return {
    child,
    events,
    send: (cmd) => child.stdin.write(`${JSON.stringify(cmd)}\n`),
  };
}

/** Kills a process this test started, by PID, and waits for it to exit. */
export async function kill(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals = "SIGKILL",
): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
}
