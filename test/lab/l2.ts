// Layer 2 helpers for the lab: VIPs on node loopbacks, HTTP listeners that
// say which node served, and the client-side probes a test asserts with
// (curl, arping, ndisc6, the kernel neighbour table). test-infra.md §1.1–1.3.
import type { ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { waitFor } from "./exec.ts";
import type { Lan } from "./topology.ts";

/**
 * Puts a VIP on the host's `lo` so its kernel accepts traffic for it, with
 * arp_ignore=1/arp_announce=2 so that kernel never answers ARP for it itself
 * (with the defaults every node's kernel answers: a conflict the speaker
 * does not control). IPv6: the kernel does not answer NS for a /128 on lo.
 */
export async function addVip(lan: Lan, host: string, ip: string): Promise<void> {
  await lan.sysctl(host, {
    "net.ipv4.conf.all.arp_ignore": 1,
    "net.ipv4.conf.all.arp_announce": 2,
  });
  const len = isIPv6(ip) ? 128 : 32;
  await lan.exec(host, ["ip", "addr", "add", `${ip}/${len}`, "dev", "lo"]);
}

export async function removeVip(lan: Lan, host: string, ip: string): Promise<void> {
  const len = isIPv6(ip) ? 128 : 32;
  await lan.exec(host, ["ip", "addr", "del", `${ip}/${len}`, "dev", "lo"]);
}

/** Starts the HTTP listener (http-listener.ts, on Node 24) in the host's namespace on [::]:port; resolves once it listens. */
export async function startHttpListener(
  lan: Lan,
  host: string,
  port: number,
): Promise<ChildProcess> {
  const log = lan.logPath(host, `http-${port}`);
  const script = join(import.meta.dirname, "http-listener.ts");
  const child = lan.spawn(host, [process.execPath, script, host, String(port)], {
    log,
    name: `${host}:http:${port}`,
  });
  await waitFor(
    `HTTP listener in ${host} on port ${port} (log ${log})`,
    async () => {
      if (child.exitCode !== null)
        throw new Error(`exited with ${child.exitCode}: ${await readFile(log, "utf8")}`);
      return (await readFile(log, "utf8")).includes(`READY ${host} ${port}`);
    },
    { timeoutMs: 15_000, stepMs: 50 },
  );
  return child;
}

function urlOf(ip: string, port: number): string {
  return isIPv6(ip) ? `http://[${ip}]:${port}/` : `http://${ip}:${port}/`;
}

/** GET http://ip:port/ from `from` (default the client): the name of the node that answered, or undefined on failure/timeout. */
export async function curl(
  lan: Lan,
  ip: string,
  port: number,
  opts: { from?: string; timeoutS?: number } = {},
): Promise<string | undefined> {
  const timeout = String(opts.timeoutS ?? 2);
  const r = await lan.tryExec(opts.from ?? "client", [
    "curl",
    "-s",
    "--globoff",
    "--noproxy",
    "*",
    "--max-time",
    timeout,
    urlOf(ip, port),
  ]);
  if (r.code !== 0) return undefined;
  return r.stdout.trim();
}

const macPattern = /\[([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})\]/;

/**
 * ARP-resolves `ip` from the client's eth0 with iputils arping and returns
 * every distinct MAC that replied (lower case; empty when nobody did).
 * With -w, arping waits for `count` replies or the deadline, so with
 * count ≥ 2 a second responder to the first request is seen too (a third
 * may be missed: count them with a capture). arping uses
 * its own packet socket: it does not fill the kernel neighbour table.
 */
export async function arping(
  lan: Lan,
  ip: string,
  opts: { from?: string; count?: number; timeoutS?: number } = {},
): Promise<string[]> {
  // -b: every probe is broadcast (iputils otherwise unicasts to the first
  // responder after its reply, and a second owner would go unnoticed).
  const r = await lan.tryExec(opts.from ?? "client", [
    "arping",
    "-b",
    "-c",
    String(opts.count ?? 2),
    "-w",
    String(opts.timeoutS ?? 2),
    "-I",
    "eth0",
    ip,
  ]);
  // Exit 0: replies; 1: none — or a usage/setup error, which prints no "ARPING" banner.
  if (r.code !== 0 && !(r.code === 1 && r.stdout.startsWith("ARPING"))) {
    throw new Error(`arping ${ip} failed (${String(r.code)}): ${r.stderr.trim()}`);
  }
  const macs = new Set<string>();
  for (const line of r.stdout.split("\n")) {
    const m = line.includes("reply from") ? macPattern.exec(line) : null;
    if (m?.[1]) macs.add(m[1].toLowerCase());
  }
  return [...macs];
}

/** NDP-resolves `ip` from the client's eth0 with ndisc6: the first answering MAC (lower case), or undefined. */
export async function ndisc6(
  lan: Lan,
  ip: string,
  opts: { from?: string; retries?: number; waitMs?: number } = {},
): Promise<string | undefined> {
  const macs = await ndisc6Run(lan, ip, ["-1"], opts);
  return macs[0];
}

/** Every MAC that answers an NS for `ip` within the wait (ndisc6 -m). */
export function ndisc6All(
  lan: Lan,
  ip: string,
  opts: { from?: string; retries?: number; waitMs?: number } = {},
): Promise<string[]> {
  return ndisc6Run(lan, ip, ["-m"], opts);
}

async function ndisc6Run(
  lan: Lan,
  ip: string,
  mode: string[],
  opts: { from?: string; retries?: number; waitMs?: number },
): Promise<string[]> {
  const r = await lan.tryExec(opts.from ?? "client", [
    "ndisc6",
    "-q",
    "-n",
    ...mode,
    "-r",
    String(opts.retries ?? 2),
    "-w",
    String(opts.waitMs ?? 500),
    ip,
    "eth0",
  ]);
  // Exit 0: answered; 2: "No response."; anything else is an error.
  if (r.code !== 0 && r.code !== 2)
    throw new Error(`ndisc6 ${ip} failed (${String(r.code)}): ${r.stderr.trim()}`);
  const macs = r.stdout
    .split("\n")
    .map((l) => l.trim().toLowerCase())
    .filter((l) => /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(l));
  return [...new Set(macs)];
}

export interface NeighbourEntry {
  dst: string;
  dev?: string;
  lladdr?: string;
  state?: string[];
}

/** The client's (or `from`'s) kernel neighbour entry for ip (`ip -j neigh`), or undefined. */
export async function neighbour(
  lan: Lan,
  ip: string,
  opts: { from?: string } = {},
): Promise<NeighbourEntry | undefined> {
  const out = await lan.exec(opts.from ?? "client", [
    "ip",
    "-j",
    "neigh",
    "show",
    "to",
    ip,
    "dev",
    "eth0",
  ]);
  const entries = JSON.parse(out || "[]") as NeighbourEntry[];
  return entries.find((e) => e.dst === ip);
}

/** One ping from the client (or `from`): makes the kernel resolve the neighbour. True if answered. */
export async function ping(
  lan: Lan,
  ip: string,
  opts: { from?: string; timeoutS?: number } = {},
): Promise<boolean> {
  const r = await lan.tryExec(opts.from ?? "client", [
    "ping",
    "-n",
    "-c",
    "1",
    "-W",
    String(opts.timeoutS ?? 1),
    ip,
  ]);
  return r.code === 0;
}
