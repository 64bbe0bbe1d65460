// Counting ARP/NDP answers with a packet capture (test-infra.md §1.1, way 3):
// the only way to see duplicate or conflicting replies, i.e. to assert that
// exactly one node answers. tcpdump runs in the client's namespace as a lab
// process for the duration of one probe.
import { readFile } from "node:fs/promises";
import { isIPv6 } from "node:net";
import { waitFor } from "./exec.ts";
import type { Lan } from "./topology.ts";

/**
 * tcpdump -e lines of ARP replies / neighbour advertisements for `ip`, as the
 * source MACs in order (one entry per answer frame). Pure.
 * ARP:  `02:00:00:00:00:0b > 02:00:00:00:00:0a, ethertype ARP (0x0806), length 42: Reply 192.0.2.100 is-at 02:00:00:00:00:0b, length 28`
 * NDP:  `02:00:00:00:00:0b > 02:00:00:00:00:0a, ethertype IPv6 (0x86dd), length 86: 2001:db8:1::100 > 2001:db8:1::10: ICMP6, neighbor advertisement, tgt is 2001:db8:1::100, length 32`
 */
export function parseAnswers(text: string, ip: string): string[] {
  const macs: string[] = [];
  for (const line of text.split("\n")) {
    const src = /^(?:\S+ )?([0-9a-f]{2}(?::[0-9a-f]{2}){5}) > /.exec(line)?.[1];
    if (src === undefined) continue;
    const arp = line.includes(`Reply ${ip} is-at `);
    const na = line.includes(`neighbor advertisement, tgt is ${ip},`);
    if (arp || na) macs.push(src);
  }
  return macs;
}

/**
 * Probes `ip` once per second `count` times from the client (broadcast ARP
 * for IPv4, NS for IPv6) while capturing on its eth0, and returns the source
 * MAC of every answer frame — duplicates kept, so two owners show as two
 * entries per probe. Gratuitous/unsolicited frames seen meanwhile count too.
 */
export async function captureAnswers(
  lan: Lan,
  ip: string,
  opts: { from?: string; count?: number } = {},
): Promise<string[]> {
  const from = opts.from ?? "client";
  const count = opts.count ?? 2;
  const v6 = isIPv6(ip);
  const log = lan.logPath(from, `tcpdump-${ip}`);
  const filter = v6 ? "icmp6" : "arp";
  const tcpdump = lan.spawn(from, ["tcpdump", "-l", "-n", "-e", "-i", "eth0", filter], {
    log,
    name: `${from}:tcpdump`,
  });
  const pid = tcpdump.pid ?? -1;
  try {
    await waitFor(
      `tcpdump in ${from}`,
      async () => (await readFile(log, "utf8")).includes("listening on"),
      {
        timeoutMs: 10_000,
        stepMs: 50,
      },
    );
    for (let i = 0; i < count; i++) {
      if (v6) {
        await lan.tryExec(from, ["ndisc6", "-q", "-m", "-r", "1", "-w", "900", ip, "eth0"]);
      } else {
        await lan.tryExec(from, ["arping", "-b", "-c", "1", "-w", "1", "-I", "eth0", ip]);
      }
    }
    // Let the last frames reach tcpdump's line-buffered output.
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await lan.processes.stop(pid, 2_000);
  }
  return parseAnswers(await readFile(log, "utf8"), ip);
}
