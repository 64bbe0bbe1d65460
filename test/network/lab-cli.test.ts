// `npm run lab` end to end, as a user runs it: `up` brings up the whole
// system and reports every demo Service reachable over L2 and BGP, the
// printed KUBECONFIG works, `status` sees every process running, and `down`
// leaves no namespace, no process and no directory behind. A failing `up`
// names its step and the log to read, and stops what it had started without
// touching anything it did not make.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ControlPlaneState } from "../control-plane/cluster.ts";
import { run, tryRun } from "../lab/exec.ts";
import { isRunning, type ProcessRecord } from "../lab/processes.ts";
import type { LanState } from "../lab/topology.ts";

const CLI = join(import.meta.dirname, "..", "lab", "lab-cli.ts");
const id = process.pid.toString(36);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lab(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

async function namespacesOf(name: string): Promise<string[]> {
  const out = await run(["ip", "netns", "list"]);
  return out
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((ns) => ns.startsWith(`${name}-`));
}

/** Every PID the lab recorded (LAN processes and control plane), read before `down` removes the records. */
async function recordedProcesses(dir: string): Promise<ProcessRecord[]> {
  const lan = JSON.parse(await readFile(join(dir, "lab-state.json"), "utf8")) as LanState;
  const cp = JSON.parse(
    await readFile(join(dir, "control-plane", "state.json"), "utf8"),
  ) as ControlPlaneState;
  return [
    ...lan.processes,
    ...cp.processes.map((p) => ({
      name: p.name,
      pid: p.pid,
      startTicks: p.startTicks,
      log: p.log,
    })),
  ];
}

const dirs: string[] = [];

/** A fresh lab directory; its parent lets others through, as FRR's zebra (user frr) needs. */
async function labDir(): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), "lab-cli-"));
  await chmod(parent, 0o755);
  const dir = join(parent, "lab");
  dirs.push(dir);
  return dir;
}
const ownNamespaces: string[] = [];

afterAll(async () => {
  for (const dir of dirs) {
    if (existsSync(dir)) await lab(["down", "--dir", dir]);
    await rm(dirname(dir), { recursive: true, force: true });
  }
  for (const ns of ownNamespaces) await tryRun(["ip", "netns", "del", ns]);
});

describe("npm run lab", () => {
  it("up reports every demo Service reachable over L2 and BGP; status and kubectl work; down removes everything", async () => {
    const dir = await labDir();
    const name = `lc${id}`;
    const up = await lab(["up", "--dir", dir, "--name", name]);
    expect(up.code, `stderr:\n${up.stderr}\nstdout:\n${up.stdout}`).toBe(0);
    // Every step numbered once, in order, and the last one is the total.
    const counters = [...up.stderr.matchAll(/^\[(\d+)\/(\d+)\] /gm)].map((m) => `${m[1]}/${m[2]}`);
    expect(counters).toEqual(Array.from({ length: 13 }, (_, i) => `${String(i + 1)}/13`));
    // The report: kubectl's table, one line per address with who announces it, and curl's answer.
    expect(up.stdout).toMatch(/^web-l2 +LoadBalancer +\S+ +192\.0\.2\.1\d\d +8080/m);
    expect(up.stdout).toMatch(
      /^web-dual +LoadBalancer +\S+ +192\.0\.2\.1\d\d,2001:db8:1::1[0-9a-f]{2} +8080/m,
    );
    expect(up.stdout).toMatch(/^web-bgp +LoadBalancer +\S+ +203\.0\.113\.\d+ +8080/m);
    expect(up.stdout).toMatch(
      /^ok +web-l2 +192\.0\.2\.1\d\d +ARP: n[123] \(02:00:00:00:00:0[bcd]\)$/m,
    );
    expect(up.stdout).toMatch(/^ok +web-dual +192\.0\.2\.1\d\d +ARP: n[123] /m);
    expect(up.stdout).toMatch(/^ok +web-dual +2001:db8:1::1[0-9a-f]{2} +NDP: n[123] /m);
    expect(up.stdout).toMatch(
      /^ok +web-bgp +203\.0\.113\.\d+ +router next hops: 192\.0\.2\.11 \(n1\), 192\.0\.2\.12 \(n2\), 192\.0\.2\.13 \(n3\)$/m,
    );
    expect(up.stdout).not.toContain("FAIL");
    expect(up.stdout).toContain("all 4 addresses answer from the client (L2 and BGP)");
    expect(up.stdout).toContain(`Stop and remove everything: npm run lab -- down`);

    // The printed kubectl instructions work, and agree with what the client sees.
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(up.stdout)?.[1] ?? "";
    const bin = /export PATH=(\S+):\$PATH/.exec(up.stdout)?.[1] ?? "";
    const svcs = JSON.parse(
      await run([
        join(bin, "kubectl"),
        `--kubeconfig=${kubeconfig}`,
        "get",
        "svc",
        "-A",
        "-o",
        "json",
      ]),
    ) as {
      items: {
        metadata: { name: string };
        status?: { loadBalancer?: { ingress?: { ip: string }[] } };
      }[];
    };
    const ips = Object.fromEntries(
      svcs.items.map((s) => [
        s.metadata.name,
        (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip),
      ]),
    );
    expect(ips["web-dual"]).toHaveLength(2);
    for (const svc of ["web-l2", "web-dual", "web-bgp"]) {
      for (const ip of ips[svc] ?? []) {
        expect(up.stdout).toMatch(new RegExp(`^ok +${svc} +${ip.replaceAll(".", "\\.")} `, "m"));
        const url = ip.includes(":") ? `http://[${ip}]:8080/` : `http://${ip}:8080/`;
        const served = await run([
          "ip",
          "netns",
          "exec",
          `${name}-client`,
          "curl",
          "-s",
          "-g",
          "--max-time",
          "3",
          url,
        ]);
        expect(served.trim()).toMatch(/^n[123]$/);
      }
    }

    const status = await lab(["status", "--dir", dir]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).not.toContain("NOT running");
    for (const p of [
      "webhook-1",
      "webhook-2",
      "webhook-proxy",
      "reconciler",
      "n1:speaker",
      "n3:speaker",
      "rtr:bgpd",
      "kube-apiserver",
    ]) {
      expect(status.stderr).toMatch(new RegExp(`^${p} +pid \\d+ +running`, "m"));
    }
    expect(status.stdout).toContain("all 4 addresses answer");

    // A second `up` on a running lab reports on it instead of starting another.
    const again = await lab(["up", "--dir", dir, "--name", name]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`a lab is already running in ${dir}`);

    const recorded = await recordedProcesses(dir);
    expect(recorded.length).toBeGreaterThanOrEqual(19);
    expect(await namespacesOf(name)).toHaveLength(6);
    const down = await lab(["down", "--dir", dir]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`deleted namespace ${name}-lan`);
    expect(await namespacesOf(name)).toEqual([]);
    expect(
      recorded.filter(isRunning).map((p) => `${p.name} ${String(p.pid)}`),
      down.stderr,
    ).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect((await lab(["down", "--dir", dir])).stderr).toContain("nothing to stop");
  }, 170_000);

  it("a failing step is named with its log, and what was started is stopped; nothing else is touched", async () => {
    const dir = await labDir();
    const name = `lf${id}`;
    // A namespace the lab did not make, under the name its bridge needs: step 3 must fail.
    await run(["ip", "netns", "add", `${name}-lan`]);
    ownNamespaces.push(`${name}-lan`);
    const up = await lab(["up", "--dir", dir, "--name", name]);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('FAILED: step "LAN: bridge');
    expect(up.stderr).toContain(`read: ${dir}`);
    expect(up.stderr).toContain(`'npm run lab -- down' removes them`);
    // The control plane it had started is gone; the namespace it did not make is still there.
    const cp = JSON.parse(
      await readFile(join(dir, "control-plane", "state.json"), "utf8").catch(() => "null"),
    ) as ControlPlaneState | null;
    expect(cp).toBeNull();
    expect(up.stderr).toMatch(/control plane: kube-apiserver \(pid \d+\) stopped/);
    const pids = [...up.stderr.matchAll(/control plane: \S+ \(pid (\d+)\) stopped/g)].map((m) =>
      Number(m[1]),
    );
    expect(pids).toHaveLength(3);
    for (const pid of pids) expect(existsSync(`/proc/${String(pid)}`)).toBe(false);
    expect(await namespacesOf(name)).toEqual([`${name}-lan`]);
    expect(existsSync(join(dir, "control-plane", "apiserver.log"))).toBe(true);
    const down = await lab(["down", "--dir", dir]);
    expect(down.code).toBe(0);
    expect(existsSync(dir)).toBe(false);
    expect(await namespacesOf(name)).toEqual([`${name}-lan`]);
  }, 90_000);
});
