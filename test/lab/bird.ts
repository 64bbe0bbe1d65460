// BIRD 2 as a router in a lab namespace (test-infra.md §2.2): passive fixed
// neighbours, short timers, `error wait time 1, 2` (BIRD's default refuses a
// peer for a minute after a hold-timer expiry), and the kernel protocol
// merging equal paths into one multipath route. BIRD has no JSON output:
// routes() parses `birdc show route all`.
import { mkdir, writeFile } from "node:fs/promises";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { waitFor } from "./exec.ts";
import { LabDaemon } from "./lab-daemon.ts";
import type { Lan } from "./topology.ts";

export interface BirdOptions {
  /** Lab host (default "bird"). */
  host?: string;
  asn: number;
  routerId: string;
  /** Fixed neighbours; the channel follows the address family. */
  neighbors: readonly { address: string; asn: number }[];
  /** Wait for neighbours to connect (default true). */
  passive?: boolean;
  /** Export BGP routes (ECMP merged) into the namespace's kernel table (default true). */
  kernel?: boolean;
  keepalive?: number;
  holdTime?: number;
  extraConfig?: string;
}

/** bird.conf for these options. Pure. */
export function birdConfig(o: BirdOptions): string {
  const kernel = o.kernel ?? true;
  const lines = [
    "log stderr all;",
    `router id ${o.routerId};`,
    "protocol device { scan time 10; }",
  ];
  if (kernel) {
    lines.push(
      "protocol kernel k4 { ipv4 { import none; export all; }; merge paths on; }",
      "protocol kernel k6 { ipv6 { import none; export all; }; merge paths on; }",
    );
  }
  o.neighbors.forEach((n, i) => {
    const af = isIPv6(n.address) ? "ipv6" : "ipv4";
    lines.push(
      `protocol bgp peer${String(i)} {`,
      `  local as ${String(o.asn)};`,
      `  neighbor ${n.address} as ${String(n.asn)};`,
      `  passive ${o.passive === false ? "off" : "on"};`,
      `  hold time ${String(o.holdTime ?? 3)}; keepalive time ${String(o.keepalive ?? 1)}; connect retry time 1;`,
      "  error wait time 1, 2;",
      `  ${af} { import all; export none; };`,
      "}",
    );
  });
  if (o.extraConfig !== undefined) lines.push(o.extraConfig);
  return lines.join("\n") + "\n";
}

export interface BirdRoute {
  /** Gateway of the path ("via"). */
  via: string;
  /** BGP neighbour the path came from. */
  from: string | undefined;
  /** Marked best ("*"). */
  best: boolean;
  asPath: string | undefined;
  /** The path's full text block. */
  text: string;
}

/**
 * Parses `birdc show route all` into paths per prefix. A block starts with
 * `PREFIX  unicast [proto time from X] * (100) [AS64513i]` (prefix omitted on
 * continuation paths), followed by `\tvia GW on eth0` and `\t\tBGP.*` lines.
 */
export function parseBirdRoutes(text: string): Record<string, BirdRoute[]> {
  const out: Record<string, BirdRoute[]> = {};
  let prefix: string | undefined;
  let cur: BirdRoute | undefined;
  for (const line of text.split("\n")) {
    const head = /^(\S+)?\s+unicast \[\S+ [^\]]*?(?: from (\S+))?\] (\*)?/.exec(line);
    if (head) {
      prefix = head[1] ?? prefix;
      if (prefix === undefined) continue;
      cur = { via: "", from: head[2], best: head[3] === "*", asPath: undefined, text: line };
      (out[prefix] ??= []).push(cur);
      continue;
    }
    if (!cur) continue;
    cur.text += "\n" + line;
    const via = /^\s+via (\S+)/.exec(line);
    if (via?.[1] !== undefined) cur.via = via[1];
    const asPath = /^\s+BGP\.as_path: ?(.*)$/.exec(line);
    if (asPath?.[1] !== undefined) cur.asPath = asPath[1].trim();
  }
  return out;
}

export class Bird extends LabDaemon {
  /** birdc's control socket, in the daemon's directory. */
  get socket(): string {
    return join(this.dir, "bird.ctl");
  }

  birdc(...args: string[]): Promise<string> {
    return this.lan.exec(this.host, ["birdc", "-s", this.socket, ...args]);
  }

  /** Every BGP-learned path, by prefix (both families). */
  async routes(): Promise<Record<string, BirdRoute[]>> {
    return parseBirdRoutes(await this.birdc("show", "route", "all"));
  }

  /** Protocol name → state line from `show protocols` ("Established" when up). */
  async protocols(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const line of (await this.birdc("show", "protocols")).split("\n")) {
      const m = /^(peer\d+)\s+BGP\s+\S+\s+\S+\s+\S+\s+(.*)$/.exec(line);
      if (m?.[1] !== undefined) out[m[1]] = (m[2] ?? "").trim();
    }
    return out;
  }
}

/** Starts BIRD in a lab host (default "bird"); resolves once birdc answers. */
export async function startBird(lan: Lan, opts: BirdOptions): Promise<Bird> {
  const host = opts.host ?? "bird";
  lan.host(host);
  const dir = join(lan.dir, `bird-${host}`);
  await mkdir(dir, { recursive: true });
  const conf = join(dir, "bird.conf");
  await writeFile(conf, birdConfig(opts));
  const b = new Bird(lan, host, dir);
  const child = lan.spawn(
    host,
    ["bird", "-f", "-c", conf, "-s", b.socket, "-P", join(dir, "bird.pid")],
    {
      log: join(dir, "bird.log"),
      name: `${host}:bird`,
    },
  );
  await waitFor(
    `bird in ${host} (log ${dir}/bird.log)`,
    async () => {
      if (child.exitCode !== null) throw new Error(`bird exited with ${String(child.exitCode)}`);
      await b.birdc("show", "status");
      return true;
    },
    { timeoutMs: 15_000, stepMs: 50 },
  );
  return b;
}
