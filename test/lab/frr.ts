// FRR (bgpd, optionally zebra) as a router in a lab namespace, exactly as
// test-infra.md §2.1 verified it: every instance has its own --vty_socket
// directory, pid files and zserv socket, so several labs never share one;
// bgpd runs as root (-S); zebra has no -S and runs as user frr, so its
// directory is chowned to frr. Both stay in the foreground, and `ip netns
// exec` execs in place, so the PIDs the lab records are the daemons'.
import { chown, mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { waitFor } from "./exec.ts";
import { LabDaemon } from "./lab-daemon.ts";
import type { Lan } from "./topology.ts";

export type Family = "ipv4" | "ipv6";
export type RemoteAs = number | "external" | "internal";

export interface FrrPeer {
  address: string;
  asn: RemoteAs;
  /** Wait for the peer to connect (default false: FRR dials, with a 1 s connect timer). */
  passive?: boolean;
  /** TCP MD5 (RFC 2385). */
  password?: string;
  /** Address families to activate (default: the address's own family). */
  families?: readonly Family[];
}

export interface FrrOptions {
  /** Lab host to run in (default "rtr"). */
  host?: string;
  asn: number;
  routerId: string;
  /** Dynamic neighbours: any speaker in these ranges may connect (passive). */
  listenRanges?: readonly string[];
  /** remote-as of the dynamic neighbours (default "external"). */
  listenRemoteAs?: RemoteAs;
  /** Fixed neighbours. */
  peers?: readonly FrrPeer[];
  /** Run zebra too, so the selected (ECMP) routes reach the namespace's kernel table. */
  zebra: boolean;
  /** Keepalive and hold time in seconds (default 1 and 3). */
  keepalive?: number;
  holdTime?: number;
  /** Appended to bgpd.conf as is (FRR config is additive: `router bgp ASN` may be reopened). */
  extraConfig?: string;
}

const familyOf = (address: string): Family => (isIPv6(address) ? "ipv6" : "ipv4");

function peerLines(p: FrrPeer, timers: string): string[] {
  const lines = [
    `neighbor ${p.address} remote-as ${String(p.asn)}`,
    `neighbor ${p.address} timers ${timers}`,
  ];
  lines.push(
    p.passive === true ? `neighbor ${p.address} passive` : `neighbor ${p.address} timers connect 1`,
  );
  if (p.password !== undefined) lines.push(`neighbor ${p.address} password ${p.password}`);
  return lines;
}

function familyBlock(af: Family, opts: FrrOptions): string[] {
  const names: string[] = [];
  if ((opts.listenRanges ?? []).length > 0) names.push("SPEAKERS");
  for (const p of opts.peers ?? [])
    if ((p.families ?? [familyOf(p.address)]).includes(af)) names.push(p.address);
  return [
    ` address-family ${af} unicast`,
    // route-map NONE out: the router never re-advertises speakers' routes back.
    ...names.flatMap((n) => [`  neighbor ${n} activate`, `  neighbor ${n} route-map NONE out`]),
    "  maximum-paths 8",
    "  maximum-paths ibgp 8",
    " exit-address-family",
  ];
}

/** bgpd.conf for these options. Pure. */
export function frrConfig(opts: FrrOptions): string {
  const timers = `${String(opts.keepalive ?? 1)} ${String(opts.holdTime ?? 3)}`;
  const ranges = opts.listenRanges ?? [];
  const body = [
    "bgp router-id " + opts.routerId,
    // FRR ≥ 7.4 drops eBGP routes without a policy otherwise (RFC 8212).
    "no bgp ebgp-requires-policy",
    "no bgp default ipv4-unicast",
    "no bgp network import-check",
    // ECMP across speakers with different ASNs too.
    "bgp bestpath as-path multipath-relax",
  ];
  if (ranges.length > 0) {
    body.push(
      "neighbor SPEAKERS peer-group",
      `neighbor SPEAKERS remote-as ${String(opts.listenRemoteAs ?? "external")}`,
      `neighbor SPEAKERS timers ${timers}`,
      ...ranges.map((r) => `bgp listen range ${r} peer-group SPEAKERS`),
    );
  }
  for (const p of opts.peers ?? []) body.push(...peerLines(p, timers));
  return [
    "frr defaults datacenter",
    `hostname ${opts.host ?? "rtr"}`,
    "!",
    `router bgp ${String(opts.asn)}`,
    ...body.map((l) => ` ${l}`),
    " !",
    ...familyBlock("ipv4", opts),
    " !",
    ...familyBlock("ipv6", opts),
    "!",
    "route-map NONE deny 10",
    "!",
    opts.extraConfig ?? "",
    "",
  ].join("\n");
}

/** One path of `show bgp <afi> unicast <prefix> json`. */
export interface FrrPath {
  peer: string;
  nexthop: string | undefined;
  best: boolean;
  multipath: boolean;
  raw: Record<string, unknown>;
}

interface FrrPathJson {
  peer?: { peerId?: string };
  nexthops?: { ip?: string }[];
  multipath?: boolean;
  bestpath?: { overall?: boolean };
}

export class Frr extends LabDaemon {
  /** vtysh against this instance only; resolves with its output. */
  vtysh(...commands: string[]): Promise<string> {
    return this.lan.exec(this.host, [
      "vtysh",
      "--vty_socket",
      this.dir,
      ...commands.flatMap((c) => ["-c", c]),
    ]);
  }

  /** A `... json` show command, parsed. */
  async json<T = unknown>(command: string): Promise<T> {
    const out = await this.vtysh(command);
    try {
      return JSON.parse(out) as T;
    } catch (e: unknown) {
      throw new Error(`vtysh -c '${command}' did not print JSON: ${out.slice(0, 500)}`, {
        cause: e,
      });
    }
  }

  /** The paths FRR holds for a prefix (empty when none). */
  async paths(prefix: string): Promise<FrrPath[]> {
    const af = familyOf(prefix.split("/")[0] ?? prefix);
    const j = await this.json<{ paths?: FrrPathJson[] }>(`show bgp ${af} unicast ${prefix} json`);
    return (j.paths ?? []).map((p) => ({
      peer: p.peer?.peerId ?? "",
      nexthop: p.nexthops?.[0]?.ip,
      best: p.bestpath?.overall === true,
      multipath: p.multipath === true,
      raw: p as Record<string, unknown>,
    }));
  }

  /** bgpState of a neighbour ("Established", "Active", …), undefined when unknown. */
  async neighborState(address: string): Promise<string | undefined> {
    const j = await this.json<Record<string, { bgpState?: string } | undefined>>(
      `show bgp neighbors ${address} json`,
    );
    return j[address]?.bgpState;
  }

  /** Next-hop gateways of the namespace's kernel route to `prefix` (zebra only); empty when no route. */
  async kernelNexthops(prefix: string): Promise<string[]> {
    return kernelNexthops(this.lan, this.host, prefix);
  }
}

interface KernelRoute {
  dst: string;
  gateway?: string;
  nexthops?: { gateway?: string }[];
}

/** Gateways of the kernel route to `prefix` in a lab host (one with one path, several with ECMP). */
export async function kernelNexthops(lan: Lan, host: string, prefix: string): Promise<string[]> {
  const [addr] = prefix.split("/");
  const out = await lan.exec(host, [
    "ip",
    "-j",
    isIPv6(addr ?? "") ? "-6" : "-4",
    "route",
    "show",
    prefix,
  ]);
  const routes = JSON.parse(out || "[]") as KernelRoute[];
  const r = routes[0];
  if (!r) return [];
  if (r.nexthops) return r.nexthops.map((n) => n.gateway ?? "").sort();
  return r.gateway === undefined ? [] : [r.gateway];
}

function frrUid(): { uid: number; gid: number } {
  const uid = Number(execFileSync("id", ["-u", "frr"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "frr"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

/** Starts FRR in a lab host (default "rtr") and resolves once bgpd answers vtysh. */
export async function startFrr(lan: Lan, opts: FrrOptions): Promise<Frr> {
  const host = opts.host ?? "rtr";
  lan.host(host);
  const dir = join(lan.dir, `frr-${host}`);
  await mkdir(dir, { recursive: true });
  const { uid, gid } = frrUid();
  // zebra drops to user frr and creates its sockets and pid file here.
  await chown(dir, uid, gid);
  await writeFile(join(dir, "bgpd.conf"), frrConfig({ ...opts, host }));
  const frr = new Frr(lan, host, dir);
  const zserv = join(dir, "zserv.api");
  const common = ["--vty_socket", dir];
  if (opts.zebra) {
    await writeFile(join(dir, "zebra.conf"), `hostname ${host}\n`);
    const zebra = lan.spawn(
      host,
      [
        "/usr/lib/frr/zebra",
        "-f",
        join(dir, "zebra.conf"),
        ...common,
        "-i",
        join(dir, "zebra.pid"),
        "-z",
        zserv,
        "--log",
        `file:${join(dir, "zebra.log")}`,
      ],
      { log: join(dir, "zebra.out"), name: `${host}:zebra` },
    );
    await waitFor(
      `zebra in ${host} (see ${dir})`,
      () => {
        if (zebra.exitCode !== null) throw new Error(`zebra exited with ${String(zebra.exitCode)}`);
        return existsSync(zserv) && existsSync(join(dir, "zebra.vty"));
      },
      { timeoutMs: 15_000, stepMs: 50 },
    );
  }
  const zebraArgs = opts.zebra ? ["-z", zserv] : ["-Z"];
  const bgpd = lan.spawn(
    host,
    [
      "/usr/lib/frr/bgpd",
      "-S",
      "-f",
      join(dir, "bgpd.conf"),
      ...common,
      "-i",
      join(dir, "bgpd.pid"),
      ...zebraArgs,
      "--log",
      `file:${join(dir, "bgpd.log")}`,
    ],
    { log: join(dir, "bgpd.out"), name: `${host}:bgpd` },
  );
  await waitFor(
    `bgpd in ${host} (see ${dir})`,
    async () => {
      if (bgpd.exitCode !== null) throw new Error(`bgpd exited with ${String(bgpd.exitCode)}`);
      await frr.json("show bgp summary json");
      return true;
    },
    { timeoutMs: 20_000, stepMs: 100 },
  );
  return frr;
}
