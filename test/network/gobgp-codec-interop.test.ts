// A real gobgpd (Debian's, installed by .ci/run) accepts what the BGP codec
// sends, and the codec reads what gobgpd sends. Needs root for the namespace. Everything runs inside a network namespace this test
// creates and deletes; only the PIDs it starts are killed.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addNamespace,
  deleteNamespace,
  inNs,
  kill,
  passiveGobgpNeighbor,
  sh,
  startDaemon,
  until,
} from "./bgp-fixtures/lab.ts";
import { INTEROP_V4 } from "./bgp-interop-client.ts";

const NS = `bgpcodec${String(process.pid)}`;
const CONFIG = `[global.config]
  as = 65000
  router-id = "10.0.0.1"
  port = 179
  local-address-list = ["10.0.0.1"]
${passiveGobgpNeighbor("10.0.0.2", 65001)}`;

const ribSize = (afi: string): number =>
  Object.keys(JSON.parse(inNs(NS, "gobgp", "global", "rib", "-a", afi, "-j")) as object).length;

describe("gobgpd interop", () => {
  let daemon: ChildProcess | undefined;
  let client: ChildProcess | undefined;
  let output = "";
  let dir = "";

  beforeAll(async () => {
    addNamespace(NS);
    sh("ip", ["-n", NS, "addr", "add", "10.0.0.1/32", "dev", "lo"]);
    sh("ip", ["-n", NS, "addr", "add", "10.0.0.2/32", "dev", "lo"]);
    dir = mkdtempSync(path.join(tmpdir(), "gobgp-"));
    writeFileSync(path.join(dir, "gobgpd.toml"), CONFIG);
    daemon = startDaemon(NS, ["gobgpd", "-f", path.join(dir, "gobgpd.toml")]);
    await until(() => inNs(NS, "gobgp", "neighbor") !== "", "gobgpd's API");
  });

  afterAll(async () => {
    await kill(client);
    await kill(daemon);
    deleteNamespace(NS);
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
    await until(() => output.includes("ANNOUNCED"), "ANNOUNCED");
    await until(
      () => ribSize("ipv4") === INTEROP_V4.length + 1 && ribSize("ipv6") === 2,
      "every prefix in gobgpd's RIB",
    );
    const route = JSON.parse(inNs(NS, "gobgp", "global", "rib", "-j", "172.16.0.7/32")) as Record<
      string,
      unknown[]
    >;
    expect(JSON.stringify(route)).toContain("4227858532"); // 64512:100
    client.stdin?.write("withdraw\n");
    await until(() => ribSize("ipv4") === 0 && ribSize("ipv6") === 0, "withdrawal");
    client.stdin?.write("close\n");
    await until(() => output.includes("CLOSED"), "CLOSED");
    expect(output).not.toContain("ERROR");
  }, 60_000);
});
