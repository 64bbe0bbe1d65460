// GoBGP (gobgpd 3.10) in a lab namespace: as a router (passive, dynamic
// neighbours, multipath) or as a reference speaker on a node. Configs as in
// test-infra.md §2.3. The gRPC API listens on the namespace's own loopback,
// so `ip netns exec NS gobgp …` reaches exactly this daemon.
import { mkdir, writeFile } from "node:fs/promises";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { waitFor } from "./exec.ts";
import type { Family } from "./frr.ts";
import { LabDaemon } from "./lab-daemon.ts";
import type { Lan } from "./topology.ts";

export interface GobgpNeighbor {
  address: string;
  asn: number;
  /** Default: the address's own family. */
  families?: readonly Family[];
  passive?: boolean;
}

export interface GobgpOptions {
  host: string;
  asn: number;
  routerId: string;
  neighbors?: readonly GobgpNeighbor[];
  /** Accept any peer from these prefixes, with AS `peerAs` (passive). */
  dynamicNeighbors?: { prefixes: readonly string[]; peerAs: number };
  /** Keep several paths per prefix (use-multiple-paths). */
  multipath?: boolean;
  /** BGP port; -1 = do not listen (default 179). */
  port?: number;
  keepalive?: number;
  holdTime?: number;
}

const familyOf = (a: string): Family => (isIPv6(a) ? "ipv6" : "ipv4");

function timers(o: GobgpOptions, indent: string, table: string): string[] {
  return [
    `${indent}[${table}.timers.config]`,
    `${indent}  hold-time = ${String(o.holdTime ?? 3)}`,
    `${indent}  keepalive-interval = ${String(o.keepalive ?? 1)}`,
    `${indent}  connect-retry = 1`,
  ];
}

function afiSafis(families: readonly Family[], table: string): string[] {
  return families.flatMap((f) => [
    `  [[${table}.afi-safis]]`,
    `    [${table}.afi-safis.config]`,
    `      afi-safi-name = "${f}-unicast"`,
  ]);
}

function neighborToml(n: GobgpNeighbor, o: GobgpOptions): string[] {
  const lines = [
    "[[neighbors]]",
    "  [neighbors.config]",
    `    neighbor-address = "${n.address}"`,
    `    peer-as = ${String(n.asn)}`,
    ...timers(o, "  ", "neighbors"),
  ];
  if (n.passive === true) lines.push("  [neighbors.transport.config]", "    passive-mode = true");
  return [...lines, ...afiSafis(n.families ?? [familyOf(n.address)], "neighbors")];
}

function dynamicToml(
  d: { prefixes: readonly string[]; peerAs: number },
  o: GobgpOptions,
): string[] {
  return [
    "[[peer-groups]]",
    "  [peer-groups.config]",
    '    peer-group-name = "dynamic"',
    `    peer-as = ${String(d.peerAs)}`,
    ...timers(o, "  ", "peer-groups"),
    "  [peer-groups.transport.config]",
    "    passive-mode = true",
    ...afiSafis(["ipv4", "ipv6"], "peer-groups"),
    ...d.prefixes.flatMap((p) => [
      "[[dynamic-neighbors]]",
      "  [dynamic-neighbors.config]",
      `    prefix = "${p}"`,
      '    peer-group = "dynamic"',
    ]),
  ];
}

/** gobgpd TOML for these options. Pure. */
export function gobgpConfig(o: GobgpOptions): string {
  const lines = ["[global.config]", `  as = ${String(o.asn)}`, `  router-id = "${o.routerId}"`];
  if (o.port !== undefined) lines.push(`  port = ${String(o.port)}`);
  if (o.multipath === true) lines.push("[global.use-multiple-paths.config]", "  enabled = true");
  for (const n of o.neighbors ?? []) lines.push(...neighborToml(n, o));
  if (o.dynamicNeighbors) lines.push(...dynamicToml(o.dynamicNeighbors, o));
  return lines.join("\n") + "\n";
}

export interface GobgpPath {
  neighbor: string;
  nexthop: string | undefined;
  best: boolean;
  raw: Record<string, unknown>;
}

interface GobgpPathJson {
  best?: boolean;
  "neighbor-ip"?: string;
  attrs?: { type: number; nexthop?: string; nexthop_ip?: string }[];
}

interface GobgpNeighborJson {
  state?: { neighbor_address?: string; session_state?: number };
}

export class Gobgp extends LabDaemon {
  /** The gobgp CLI against this daemon. */
  cli(...args: string[]): Promise<string> {
    return this.lan.exec(this.host, ["gobgp", ...args]);
  }

  /** Every path in the global RIB of a family, by prefix. */
  async rib(family: Family = "ipv4"): Promise<Record<string, GobgpPath[]>> {
    const j = JSON.parse((await this.cli("global", "rib", "-a", family, "-j")) || "{}") as Record<
      string,
      GobgpPathJson[]
    >;
    const out: Record<string, GobgpPath[]> = {};
    for (const [prefix, paths] of Object.entries(j)) {
      out[prefix] = paths.map((p) => {
        // NEXT_HOP (type 3) for IPv4; MP_REACH_NLRI (type 14) carries IPv6's.
        const nh = p.attrs?.find((a) => a.type === 3 || a.type === 14);
        return {
          neighbor: p["neighbor-ip"] ?? "",
          nexthop: nh?.nexthop ?? nh?.nexthop_ip,
          best: p.best === true,
          raw: p as Record<string, unknown>,
        };
      });
    }
    return out;
  }

  /** Originates a prefix (next hop: the session's local address). */
  async announce(prefix: string): Promise<void> {
    await this.cli("global", "rib", "add", prefix, "-a", familyOf(prefix.split("/")[0] ?? ""));
  }

  async withdraw(prefix: string): Promise<void> {
    await this.cli("global", "rib", "del", prefix, "-a", familyOf(prefix.split("/")[0] ?? ""));
  }

  /** Neighbour address → established (session_state 6). */
  async established(): Promise<Record<string, boolean>> {
    const j = JSON.parse((await this.cli("neighbor", "-j")) || "[]") as GobgpNeighborJson[];
    return Object.fromEntries(
      j.map((n) => [n.state?.neighbor_address ?? "", n.state?.session_state === 6]),
    );
  }
}

/** Starts gobgpd in a lab host; resolves once its API answers. */
export async function startGobgp(lan: Lan, opts: GobgpOptions): Promise<Gobgp> {
  lan.host(opts.host);
  const dir = join(lan.dir, `gobgp-${opts.host}`);
  await mkdir(dir, { recursive: true });
  const conf = join(dir, "gobgpd.toml");
  await writeFile(conf, gobgpConfig(opts));
  const child = lan.spawn(
    opts.host,
    ["gobgpd", "-f", conf, "--api-hosts", "127.0.0.1:50051", "--pprof-disable", "-p"],
    { log: join(dir, "gobgpd.log"), name: `${opts.host}:gobgpd` },
  );
  const g = new Gobgp(lan, opts.host, dir);
  await waitFor(
    `gobgpd in ${opts.host} (log ${dir}/gobgpd.log)`,
    async () => {
      if (child.exitCode !== null) throw new Error(`gobgpd exited with ${String(child.exitCode)}`);
      await g.cli("global", "rib", "summary");
      return true;
    },
    { timeoutMs: 15_000, stepMs: 50 },
  );
  return g;
}

/**
 * A reference speaker on a node: gobgpd peering with each router host over
 * IPv4 (ipv4-unicast) and IPv6 (ipv6-unicast), as MetalLB does with one
 * BGPPeer per family.
 */
export function startGobgpSpeaker(
  lan: Lan,
  node: string,
  opts: { asn: number; routers: readonly string[]; routerAsn: number; port?: number },
): Promise<Gobgp> {
  const n = lan.host(node);
  const neighbors = opts.routers.flatMap((r) => {
    const h = lan.host(r);
    return [
      { address: h.ipv4, asn: opts.routerAsn },
      { address: h.ipv6, asn: opts.routerAsn },
    ];
  });
  return startGobgp(lan, {
    host: node,
    asn: opts.asn,
    routerId: n.ipv4,
    neighbors,
    ...(opts.port === undefined ? {} : { port: opts.port }),
  });
}
