// A real gobgpd (Debian's, installed by .ci/run) accepts what the BGP codec
// sends, and the codec reads what gobgpd sends. Needs root for the namespace. Everything runs inside a network namespace this test
// creates and deletes; only the PIDs it starts are killed.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { passiveGobgpNeighbor, startDaemon } from "./bgp-fixtures/lab.ts";
import { INTEROP_V4 } from "./bgp-interop-client.ts";

const NS = `bgpcodec${process.pid}`;
const CONFIG = `[global.config]
  as = 65000
  router-id = "10.0.0.1"
  port = 179
  local-address-list = ["10.0.0.1"]
${passiveGobgpNeighbor("10.0.0.2", 65001)}`;

const ns = (...args: string[]): string =>
  execFileSync("ip", ["netns", "exec", NS, ...args], { encoding: "utf8" });
const ribSize = (afi: string): number =>
  Object.keys(JSON.parse(ns("gobgp", "global", "rib", "-a", afi, "-j")) as object).length;

function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() > until) reject(new Error("timed out"));
      else setTimeout(tick, 200);
    };
    tick();
  });
}

describe("gobgpd interop", () => {
  let daemon: ChildProcess | undefined;
  let client: ChildProcess | undefined;
  let output = "";
  let dir = "";

  beforeAll(async () => {
    execFileSync("ip", ["netns", "add", NS]);
    execFileSync("ip", ["-n", NS, "link", "set", "lo", "up"]);
    execFileSync("ip", ["-n", NS, "addr", "add", "10.0.0.1/32", "dev", "lo"]);
    execFileSync("ip", ["-n", NS, "addr", "add", "10.0.0.2/32", "dev", "lo"]);
    dir = mkdtempSync(path.join(tmpdir(), "gobgp-"));
    writeFileSync(path.join(dir, "gobgpd.toml"), CONFIG);
    daemon = startDaemon(NS, ["gobgpd", "-f", path.join(dir, "gobgpd.toml")]);
    await waitFor(() => {
      try {
        ns("gobgp", "neighbor");
        return true;
      } catch {
        return false;
      }
    });
  });

  afterAll(() => {
    if (client?.pid !== undefined && client.exitCode === null) client.kill();
    if (daemon?.pid !== undefined) daemon.kill();
    execFileSync("ip", ["netns", "del", NS]);
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("establishes, installs every announced prefix, then withdraws them", async () => {
    const script = path.join(import.meta.dirname, "bgp-interop-client.ts");
    client = spawn("ip", [
      "netns",
      "exec",
      NS,
      process.execPath,
      script,
      "10.0.0.1",
      "10.0.0.2",
      "65001",
    ]);
    client.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    await waitFor(() => output.includes("ANNOUNCED"));
    await waitFor(() => ribSize("ipv4") === INTEROP_V4.length + 1 && ribSize("ipv6") === 2);
    const route = JSON.parse(ns("gobgp", "global", "rib", "-j", "172.16.0.7/32")) as Record<
      string,
      unknown[]
    >;
    expect(JSON.stringify(route)).toContain("4227858532"); // 64512:100
    client.stdin?.write("withdraw\n");
    await waitFor(() => ribSize("ipv4") === 0 && ribSize("ipv6") === 0);
    client.stdin?.write("close\n");
    await waitFor(() => output.includes("CLOSED"));
    expect(output).not.toContain("ERROR");
  }, 60_000);
});
