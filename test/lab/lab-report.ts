// The lab's report: for each demo Service, its EXTERNAL-IP as kubectl shows
// it, who announces each address (the node whose MAC answers ARP/NDP at the
// client, or the router's ECMP next hops for BGP), and which node serves a
// curl from the client. Everything is observed from outside the components,
// with the kernel's and FRR's own tools, never taken from our own status.
import { isIPv6 } from "node:net";
import { run } from "./exec.ts";
import { kernelNexthops } from "./frr.ts";
import { arping, curl, ndisc6All } from "./l2.ts";
import { DEMO_NAMESPACE, DEMO_PORT, BGP_POOL } from "./lab-demo.ts";
import type { Lan } from "./topology.ts";

export interface AddressCheck {
  readonly service: string;
  readonly mode: "l2" | "bgp";
  readonly ip: string;
  /** L2: the node(s) whose MAC answered. BGP: the nodes the router's kernel route points at. */
  readonly announcers: readonly string[];
  /** Human text for the announcement (MACs, next hops, or why there is none). */
  readonly announcement: string;
  /** Nodes that served curls from the client (empty: none answered). */
  readonly servedBy: readonly string[];
  readonly ok: boolean;
}

export interface LabReport {
  /** `kubectl get svc -n demo` as printed. */
  readonly table: string;
  readonly checks: readonly AddressCheck[];
  /** Services still without an EXTERNAL-IP. */
  readonly pending: readonly string[];
  readonly ok: boolean;
}

interface ServiceJson {
  metadata: { name: string; annotations?: Record<string, string> };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

export interface Kubectl {
  (args: readonly string[]): Promise<string>;
}

export function kubectlFor(binary: string, kubeconfig: string): Kubectl {
  return (args) => run([binary, `--kubeconfig=${kubeconfig}`, ...args]);
}

export async function demoServiceIps(
  kubectl: Kubectl,
): Promise<{ name: string; mode: "l2" | "bgp"; ips: string[] }[]> {
  const list = JSON.parse(
    await kubectl(["get", "services", "-n", DEMO_NAMESPACE, "-o", "json"]),
  ) as { items: ServiceJson[] };
  return list.items.map((s) => ({
    name: s.metadata.name,
    mode: s.metadata.annotations?.["metallb.io/ip-allocated-from-pool"] === BGP_POOL ? "bgp" : "l2",
    ips: (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip === undefined ? [] : [i.ip])),
  }));
}

function nodeByMac(lan: Lan, mac: string): string {
  return lan.nodes.find((n) => n.mac === mac)?.name ?? `unknown MAC ${mac}`;
}

function nodeByIp(lan: Lan, ip: string): string {
  return lan.nodes.find((n) => n.ipv4 === ip || n.ipv6 === ip)?.name ?? ip;
}

async function l2Announcers(lan: Lan, ip: string): Promise<{ nodes: string[]; text: string }> {
  const v6 = isIPv6(ip);
  const macs = v6
    ? await ndisc6All(lan, ip, { retries: 2, waitMs: 500 })
    : await arping(lan, ip, { count: 2, timeoutS: 2 });
  const what = v6 ? "NDP" : "ARP";
  if (macs.length === 0) return { nodes: [], text: `${what}: no answer` };
  const nodes = macs.map((m) => nodeByMac(lan, m));
  const text = `${what}: ${macs.map((m, i) => `${nodes[i] ?? "?"} (${m})`).join(", ")}`;
  return { nodes, text: macs.length > 1 ? `${text} — MORE THAN ONE OWNER` : text };
}

/** FRR's view of its neighbours, for a report that says why a BGP route is missing. */
async function bgpSessions(lan: Lan, frrDir: string): Promise<string> {
  const r = await lan.tryExec("rtr", [
    "vtysh",
    "--vty_socket",
    frrDir,
    "-c",
    "show bgp neighbors json",
  ]);
  if (r.code !== 0) return `vtysh failed: ${r.stderr.trim() || r.stdout.trim()}`;
  const j = JSON.parse(r.stdout || "{}") as Record<string, { bgpState?: string } | undefined>;
  const peers = Object.entries(j).map(
    ([addr, v]) => `${nodeByIp(lan, addr)} ${v?.bgpState ?? "?"}`,
  );
  return peers.length === 0 ? "no speaker has connected" : `sessions: ${peers.join(", ")}`;
}

async function bgpAnnouncers(
  lan: Lan,
  ip: string,
  frrDir: string,
): Promise<{ nodes: string[]; text: string }> {
  const hops = await kernelNexthops(lan, "rtr", `${ip}/${isIPv6(ip) ? "128" : "32"}`);
  if (hops.length === 0) {
    return { nodes: [], text: `router: no route (${await bgpSessions(lan, frrDir)})` };
  }
  const nodes = hops.map((h) => nodeByIp(lan, h));
  return {
    nodes,
    text: `router next hops: ${hops.map((h, i) => `${h} (${nodes[i] ?? "?"})`).join(", ")}`,
  };
}

async function servedBy(lan: Lan, ip: string, tries: number): Promise<string[]> {
  const served = new Set<string>();
  for (let i = 0; i < tries; i++) {
    const who = await curl(lan, ip, DEMO_PORT, { timeoutS: 2 });
    if (who !== undefined) served.add(who);
  }
  return [...served].sort();
}

async function checkAddress(
  lan: Lan,
  svc: { name: string; mode: "l2" | "bgp" },
  ip: string,
  frrDir: string,
): Promise<AddressCheck> {
  const a = svc.mode === "bgp" ? await bgpAnnouncers(lan, ip, frrDir) : await l2Announcers(lan, ip);
  // BGP: several flows, so ECMP shows as several serving nodes.
  const served = await servedBy(lan, ip, svc.mode === "bgp" ? 9 : 1);
  const announced = svc.mode === "bgp" ? a.nodes.length === lan.nodes.length : a.nodes.length === 1;
  return {
    service: svc.name,
    mode: svc.mode,
    ip,
    announcers: a.nodes,
    announcement: a.text,
    servedBy: served,
    ok: announced && served.length > 0,
  };
}

/** One pass of every probe. */
export async function collectReport(
  lan: Lan,
  kubectl: Kubectl,
  frrDir: string,
): Promise<LabReport> {
  const table = await kubectl(["get", "services", "-n", DEMO_NAMESPACE]);
  const services = await demoServiceIps(kubectl);
  const checks: AddressCheck[] = [];
  for (const svc of services) {
    for (const ip of svc.ips) checks.push(await checkAddress(lan, svc, ip, frrDir));
  }
  const pending = services.filter((s) => s.ips.length === 0).map((s) => s.name);
  return {
    table,
    checks,
    pending,
    ok: services.length > 0 && pending.length === 0 && checks.every((c) => c.ok),
  };
}

/** Probes until everything checks out or `timeoutMs` passes; returns the last pass. */
export async function waitForReport(
  lan: Lan,
  kubectl: Kubectl,
  frrDir: string,
  timeoutMs: number,
): Promise<LabReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await collectReport(lan, kubectl, frrDir);
    if (report.ok || Date.now() > deadline) return report;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

const pad = (s: string, n: number): string => s.padEnd(n);

/** The report as printed on stdout. Pure. */
export function formatReport(r: LabReport): string {
  const lines = [r.table.trimEnd(), ""];
  const ipWidth = Math.max(4, ...r.checks.map((c) => c.ip.length));
  for (const c of r.checks) {
    const served = c.servedBy.length === 0 ? "NO ANSWER" : `served by ${c.servedBy.join(", ")}`;
    lines.push(
      `${c.ok ? "ok  " : "FAIL"} ${pad(c.service, 9)} ${pad(c.ip, ipWidth)}  ${c.announcement}`,
      `     ${pad("", 9)} ${pad("", ipWidth)}  curl from client: ${served}`,
    );
  }
  for (const p of r.pending) lines.push(`FAIL ${p}: no EXTERNAL-IP (still <pending>)`);
  lines.push(
    "",
    r.ok
      ? `all ${String(r.checks.length)} addresses answer from the client (L2 and BGP)`
      : `NOT everything works: ${String(r.checks.filter((c) => !c.ok).length + r.pending.length)} problem(s) above`,
  );
  return lines.join("\n") + "\n";
}
