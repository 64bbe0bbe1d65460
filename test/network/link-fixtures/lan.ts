// A tiny LAN in network namespaces (test-infra notes §1): namespace
// `<prefix>-lan` holds bridge br0; each host namespace has one eth0 (a veth
// whose peer sits in the bridge) with 192.0.2.<n>/24, 2001:db8:1::<n>/64 and
// MAC 02:00:00:00:00:<n>. No link leaves the namespaces.
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { addBridgeArgs, addVethArgs } from "../../lab/topology.ts";

export interface LanHost {
  readonly ns: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly mac: string;
}

export function sh(...args: string[]): string {
  return execFileSync(args[0] ?? "", args.slice(1), { encoding: "utf8" });
}

export function inNs(ns: string, ...args: string[]): string {
  return sh("ip", "netns", "exec", ns, ...args);
}

/**
 * Runs a command inside `ns` without blocking the event loop (fixtures'
 * output keeps flowing in meanwhile); resolves with its exit code and stdout.
 */
export function runInNs(ns: string, ...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile("ip", ["netns", "exec", ns, ...args], { encoding: "utf8" }, (error, stdout) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, output: stdout });
    });
  });
}

/** Creates the bridge namespace and one host per entry of `hosts` (name → last octet). */
export function lanUp(prefix: string, hosts: Record<string, number>): Record<string, LanHost> {
  const lan = `${prefix}-lan`;
  sh("ip", "netns", "add", lan);
  sh("ip", "-n", lan, "link", "set", "lo", "up");
  sh("ip", ...addBridgeArgs(lan));
  sh("ip", "-n", lan, "link", "set", "br0", "up");
  const out: Record<string, LanHost> = {};
  for (const [name, n] of Object.entries(hosts)) {
    const ns = `${prefix}-${name}`;
    const hex = n.toString(16).padStart(2, "0");
    sh("ip", "netns", "add", ns);
    sh("ip", "-n", ns, "link", "set", "lo", "up");
    sh("ip", ...addVethArgs(ns, `p-${name}`, lan));
    sh("ip", "-n", lan, "link", "set", `p-${name}`, "master", "br0", "up");
    inNs(
      ns,
      "sysctl",
      "-qw",
      "net.ipv6.conf.all.accept_dad=0",
      "net.ipv6.conf.default.accept_dad=0",
      "net.ipv6.conf.eth0.accept_dad=0",
    );
    sh("ip", "-n", ns, "link", "set", "eth0", "address", `02:00:00:00:00:${hex}`);
    sh("ip", "-n", ns, "addr", "add", `192.0.2.${n}/24`, "dev", "eth0");
    sh("ip", "-n", ns, "addr", "add", `2001:db8:1::${n}/64`, "dev", "eth0", "nodad");
    sh("ip", "-n", ns, "link", "set", "eth0", "up");
    out[name] = {
      ns,
      ipv4: `192.0.2.${n}`,
      ipv6: `2001:db8:1::${n}`,
      mac: `02:00:00:00:00:${hex}`,
    };
  }
  return out;
}

/** Deletes every namespace whose name starts with `<prefix>-` (only this test's). */
export function lanDown(prefix: string): void {
  for (const line of sh("ip", "netns", "list").split("\n")) {
    const name = line.split(" ")[0] ?? "";
    if (name.startsWith(`${prefix}-`)) sh("ip", "netns", "del", name);
  }
}

/** A fixture script of this folder run by Node 24 inside `ns`, with its output collected. */
export class Fixture {
  readonly child: ChildProcess;
  output = "";

  constructor(ns: string, script: string, args: string[]) {
    const file = path.join(import.meta.dirname, script);
    this.child = spawn("ip", ["netns", "exec", ns, process.execPath, file, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout?.on("data", (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on("data", (d: Buffer) => (this.output += d.toString()));
  }

  lines(): string[] {
    return this.output.split("\n").filter((l) => l !== "");
  }

  /** Parsed JSON lines whose `event` is `event`. */
  events(event: string): Record<string, unknown>[] {
    return this.lines()
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e["event"] === event);
  }

  async waitFor(text: string, ms = 10_000): Promise<void> {
    await waitUntil(
      () => this.output.includes(text),
      ms,
      () => `"${text}" in:\n${this.output}`,
    );
  }

  /** Asks the script to close its sockets and exit; resolves with its exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once("exit", resolve));
    this.child.stdin?.end("close\n");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

export function waitUntil(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() > until) reject(new Error(`timed out waiting for ${what()}`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}
