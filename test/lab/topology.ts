// A test LAN in network namespaces (test-infra.md §1): namespace `<name>-lan`
// holds bridge br0, the switch; every host namespace `<name>-<host>` has one
// eth0, a veth whose peer `p-<host>` is a port of br0. Addresses come from
// the documentation ranges (RFC 5737 192.0.2.0/24, RFC 3849 2001:db8::/32),
// so nothing the lab sends can mean anything outside it, and the bridge
// namespace has no link to the outside at all.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { run, tryRun, type RunOptions, type RunResult } from "./exec.ts";
import { ProcessTracker, stopProcesses, type ProcessRecord } from "./processes.ts";

export type Role = "router" | "bird" | "gobgp" | "client" | "node";
export type ExtraRouter = "bird" | "gobgp";

export interface LabHost {
  /** Short name: rtr, bird, gobgp, client, n1, n2, … */
  name: string;
  /** Network namespace (`ip netns`). */
  ns: string;
  role: Role;
  ipv4: string;
  ipv6: string;
  mac: string;
}

export interface LanOptions {
  /** Start of the name: [a-z][a-z0-9]{0,5}. The pid and a random suffix are appended. */
  prefix?: string;
  /** The exact name instead ([a-z][a-z0-9]{0,11}), for a lab that must be found by name. */
  name?: string;
  /** Node namespaces n1…nN at .11, .12, … (default 3, at most 20). */
  nodes?: number;
  /** A client namespace at .10 (default true). */
  client?: boolean;
  /** A router namespace `rtr` at .1 that forwards (default false). */
  router?: boolean;
  /** More router namespaces: `bird` at .2, `gobgp` at .3. */
  extra?: readonly ExtraRouter[];
  /** Scratch directory for configs, logs and state (default: a new one under the tmp dir). */
  dir?: string;
  /** Processes outlive this one (npm run lab). */
  detached?: boolean;
}

export interface LanState {
  name: string;
  dir: string;
  namespaces: string[];
  processes: ProcessRecord[];
}

/** The LAN's prefixes; BGP VIPs come from VIP_RANGE_*. */
export const LAN_V4 = "192.0.2.0/24";
export const LAN_V6 = "2001:db8:1::/64";
/** Where BGP VIPs come from (RFC 5737 TEST-NET-3, RFC 3849): routed by the router. */
export const VIP_RANGE_V4 = "203.0.113.0/24";
export const VIP_RANGE_V6 = "2001:db8:ff::/64";

const lastOctet: Record<Exclude<Role, "node">, number> = {
  router: 1,
  bird: 2,
  gobgp: 3,
  client: 10,
};
const hostNameOf: Record<Exclude<Role, "node">, string> = {
  router: "rtr",
  bird: "bird",
  gobgp: "gobgp",
  client: "client",
};

function hostAt(lanName: string, name: string, role: Role, octet: number): LabHost {
  return {
    name,
    ns: `${lanName}-${name}`,
    role,
    ipv4: `192.0.2.${octet}`,
    // Same digits as the IPv4 octet, as in the test-infra.md table (…::11 for .11).
    ipv6: `2001:db8:1::${octet}`,
    mac: `02:00:00:00:00:${octet.toString(16).padStart(2, "0")}`,
  };
}

/** The hosts a LAN with these options has, in creation order. Pure. */
export function planHosts(lanName: string, opts: LanOptions): LabHost[] {
  const nodes = opts.nodes ?? 3;
  if (!Number.isInteger(nodes) || nodes < 0 || nodes > 20) {
    throw new Error(`nodes must be an integer 0…20, got ${String(nodes)}`);
  }
  const roles: Exclude<Role, "node">[] = [];
  if (opts.router === true) roles.push("router");
  for (const e of opts.extra ?? []) if (!roles.includes(e)) roles.push(e);
  if (opts.client ?? true) roles.push("client");
  const hosts = roles.map((r) => hostAt(lanName, hostNameOf[r], r, lastOctet[r]));
  for (let i = 1; i <= nodes; i++) hosts.push(hostAt(lanName, `n${i}`, "node", 10 + i));
  return hosts;
}

/** A unique LAN name: prefix + pid + random, e.g. `lab3f2a9c`. */
export function lanName(prefix = "lab"): string {
  if (!/^[a-z][a-z0-9]{0,5}$/.test(prefix)) {
    throw new Error(`prefix must match [a-z][a-z0-9]{0,5}, got ${JSON.stringify(prefix)}`);
  }
  return `${prefix}${process.pid.toString(36)}${randomBytes(2).toString("hex")}`;
}

export class Lan {
  readonly name: string;
  readonly dir: string;
  /** The bridge namespace. */
  readonly lanNs: string;
  readonly hosts: readonly LabHost[];
  readonly detached: boolean;
  readonly processes: ProcessTracker;
  readonly #namespaces: string[] = [];
  #logSeq = 0;

  constructor(name: string, dir: string, hosts: readonly LabHost[], detached: boolean) {
    this.name = name;
    this.dir = dir;
    this.lanNs = `${name}-lan`;
    this.hosts = hosts;
    this.detached = detached;
    this.processes = new ProcessTracker(() => {
      this.#saveState();
    });
  }

  get nodes(): LabHost[] {
    return this.hosts.filter((h) => h.role === "node");
  }

  /** The host called `name` (rtr, bird, gobgp, client, n1, …). */
  host(name: string): LabHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h)
      throw new Error(
        `no host ${name} in LAN ${this.name} (has ${this.hosts.map((x) => x.name).join(", ")})`,
      );
    return h;
  }

  /** Namespace of a host, or of the bridge for "lan". */
  nsOf(host: string): string {
    return host === "lan" ? this.lanNs : this.host(host).ns;
  }

  /** Runs argv inside the host's namespace; resolves with stdout, rejects on a non-zero exit. */
  exec(host: string, argv: readonly string[], opts?: RunOptions): Promise<string> {
    return run(["ip", "netns", "exec", this.nsOf(host), ...argv], opts);
  }

  /** Runs argv inside the host's namespace; resolves with exit status and output. */
  tryExec(host: string, argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return tryRun(["ip", "netns", "exec", this.nsOf(host), ...argv], opts);
  }

  /** Sets sysctls inside the host's namespace (`sysctl -w` there: /proc/sys is per namespace). */
  async sysctl(host: string, settings: Record<string, string | number>): Promise<void> {
    const args = Object.entries(settings).map(([k, v]) => `${k}=${String(v)}`);
    await this.exec(host, ["sysctl", "-qw", ...args]);
  }

  /** A fresh log path in the lab directory. */
  logPath(host: string, what: string): string {
    this.#logSeq++;
    return join(this.dir, `${host}-${what.replace(/[^A-Za-z0-9_.-]/g, "_")}-${this.#logSeq}.log`);
  }

  /**
   * Starts argv inside the host's namespace. `ip netns exec` execs in place,
   * so the returned ChildProcess's PID is the daemon's own; destroy() stops it.
   */
  spawn(
    host: string,
    argv: readonly string[],
    opts: { log?: string; name?: string; env?: NodeJS.ProcessEnv } = {},
  ): ChildProcess {
    const name = opts.name ?? `${host}:${argv[0] ?? ""}`;
    const log = opts.log ?? this.logPath(host, argv[0]?.split("/").pop() ?? "proc");
    return this.processes.spawn(name, ["ip", "netns", "exec", this.nsOf(host), ...argv], {
      log,
      detached: this.detached,
      ...(opts.env === undefined ? {} : { env: opts.env }),
    });
  }

  /** Starts argv in the machine's own namespace (e.g. the API relay's host side); destroy() stops it. */
  spawnRoot(name: string, argv: readonly string[], opts: { log?: string } = {}): ChildProcess {
    const log = opts.log ?? this.logPath("root", name);
    return this.processes.spawn(name, argv, { log, detached: this.detached });
  }

  /** Takes the host's bridge port down: its link is cut, as when a node fails. */
  async linkDown(host: string): Promise<void> {
    await run(["ip", "-n", this.lanNs, "link", "set", `p-${this.host(host).name}`, "down"]);
  }

  async linkUp(host: string): Promise<void> {
    await run(["ip", "-n", this.lanNs, "link", "set", `p-${this.host(host).name}`, "up"]);
  }

  /** Namespaces this LAN created (and will delete). */
  get namespaces(): readonly string[] {
    return this.#namespaces;
  }

  /** What another process needs to tear this LAN down (destroyLanFromState). */
  state(): LanState {
    return {
      name: this.name,
      dir: this.dir,
      namespaces: [...this.#namespaces],
      processes: [...this.processes.records],
    };
  }

  /** Path of the state file kept up to date in the lab directory. */
  get statePath(): string {
    return join(this.dir, "lab-state.json");
  }

  #saveState(): void {
    writeFileSync(this.statePath, JSON.stringify(this.state(), null, 2) + "\n");
  }

  /** ip netns add, recorded only once it exists, so destroy() never deletes a namespace it did not make. */
  async addNamespace(ns: string): Promise<void> {
    await run(["ip", "netns", "add", ns]);
    this.#namespaces.push(ns);
    this.#saveState();
    await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
  }

  /**
   * Stops every process this LAN started (only those), deletes its
   * namespaces, and removes its directory unless `keepDir` (or the
   * KEEP_LAB_DIR environment variable) is set. Idempotent.
   */
  async destroy(opts: { keepDir?: boolean } = {}): Promise<void> {
    await this.processes.stopAll();
    await deleteNamespaces(this.#namespaces);
    this.#namespaces.length = 0;
    if (opts.keepDir === true || process.env["KEEP_LAB_DIR"]) {
      this.#saveState();
    } else {
      await rm(this.dir, { recursive: true, force: true });
    }
  }
}

async function deleteNamespaces(namespaces: readonly string[]): Promise<void> {
  const existing = new Set(
    (await run(["ip", "netns", "list"])).split("\n").map((l) => l.split(" ")[0] ?? ""),
  );
  // Hosts first, the bridge last: its veth peers vanish with each host.
  for (const ns of [...namespaces].reverse()) {
    if (existing.has(ns)) await run(["ip", "netns", "del", ns]);
  }
}

/** Tears down a LAN from its saved state (e.g. in a later `npm run lab -- down`). */
export async function destroyLanFromState(state: LanState): Promise<void> {
  await stopProcesses(state.processes);
  await deleteNamespaces(state.namespaces);
  await rm(state.dir, { recursive: true, force: true });
}

async function addHost(lan: Lan, h: LabHost): Promise<void> {
  await lan.addNamespace(h.ns);
  const port = `p-${h.name}`;
  await run(["ip", ...addVethArgs(h.ns, port, lan.lanNs)]);
  await run(["ip", "-n", lan.lanNs, "link", "set", port, "master", "br0", "up"]);
  // No DAD: addresses are usable at once instead of "tentative" for 1–2 s.
  await lan.sysctl(h.name, {
    "net.ipv6.conf.all.accept_dad": 0,
    "net.ipv6.conf.default.accept_dad": 0,
    "net.ipv6.conf.eth0.accept_dad": 0,
  });
  await run(["ip", "-n", h.ns, "link", "set", "eth0", "address", h.mac]);
  await run(["ip", "-n", h.ns, "addr", "add", `${h.ipv4}/24`, "dev", "eth0"]);
  await run(["ip", "-n", h.ns, "addr", "add", `${h.ipv6}/64`, "dev", "eth0", "nodad"]);
  await run(["ip", "-n", h.ns, "link", "set", "eth0", "up"]);
}

async function setUpRouting(lan: Lan): Promise<void> {
  const rtr = lan.hosts.find((h) => h.role === "router");
  if (rtr) {
    await lan.sysctl(rtr.name, {
      "net.ipv4.ip_forward": 1,
      "net.ipv6.conf.all.forwarding": 1,
      // L4 hashing: flows, not just hosts, spread over ECMP next hops.
      "net.ipv4.fib_multipath_hash_policy": 1,
      "net.ipv6.fib_multipath_hash_policy": 1,
      // Client and nodes share the router's one link: no redirects, or the
      // client would bypass the router (and its ECMP) after the first packet.
      "net.ipv4.conf.all.send_redirects": 0,
      "net.ipv4.conf.eth0.send_redirects": 0,
    });
  }
  const client = lan.hosts.find((h) => h.role === "client");
  if (!client) return;
  await lan.sysctl(client.name, {
    "net.ipv4.conf.all.accept_redirects": 0,
    "net.ipv6.conf.all.accept_redirects": 0,
    "net.ipv6.conf.eth0.accept_redirects": 0,
  });
  if (!rtr) return;
  await run(["ip", "-n", client.ns, "route", "add", VIP_RANGE_V4, "via", rtr.ipv4]);
  await run(["ip", "-n", client.ns, "-6", "route", "add", VIP_RANGE_V6, "via", rtr.ipv6]);
}

/**
 * `ip` arguments that add bridge br0 in namespace `ns`, the LAN of every
 * namespace topology here: STP off and no forward delay, so ports forward at
 * once; no multicast snooping, so NDP's solicited-node multicast reaches
 * every port.
 */
export function addBridgeArgs(ns: string): string[] {
  const options = ["stp_state", "0", "forward_delay", "0", "mcast_snooping", "0"];
  return ["-n", ns, "link", "add", "br0", "type", "bridge", ...options];
}

/**
 * `ip` arguments that add a veth pair: `eth0` in namespace `ns`, its peer
 * `peer` in `peerNs` (for a LAN host, the bridge's namespace). Both ends are
 * created in their namespaces, so no link ever shows up in the caller's.
 */
export function addVethArgs(ns: string, peer: string, peerNs: string): string[] {
  const peerEnd = ["peer", "name", peer, "netns", peerNs];
  return ["link", "add", "eth0", "netns", ns, "type", "veth", ...peerEnd];
}

/**
 * Creates the LAN. On any failure it removes what it had made (processes,
 * namespaces, directory) before rejecting.
 */
export async function createLan(opts: LanOptions = {}): Promise<Lan> {
  if (opts.name !== undefined && !/^[a-z][a-z0-9]{0,11}$/.test(opts.name)) {
    throw new Error(`name must match [a-z][a-z0-9]{0,11}, got ${JSON.stringify(opts.name)}`);
  }
  const name = opts.name ?? lanName(opts.prefix);
  const hosts = planHosts(name, opts);
  let dir = opts.dir;
  if (dir === undefined) {
    dir = await mkdtemp(join(tmpdir(), `metallb-lab-${name}-`));
  } else {
    await mkdir(dir, { recursive: true });
  }
  // zebra drops to user frr and must reach its directory below this one.
  await chmod(dir, 0o755);
  const lan = new Lan(name, dir, hosts, opts.detached ?? false);
  try {
    await lan.addNamespace(lan.lanNs);
    await run(["ip", ...addBridgeArgs(lan.lanNs)]);
    await run(["ip", "-n", lan.lanNs, "link", "set", "br0", "up"]);
    for (const h of hosts) await addHost(lan, h);
    await setUpRouting(lan);
  } catch (e: unknown) {
    await lan.destroy({ keepDir: true }).catch(() => undefined);
    throw new Error(
      `cannot create LAN ${name} (logs in ${dir}): ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
  return lan;
}
