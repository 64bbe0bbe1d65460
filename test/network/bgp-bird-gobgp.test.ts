// BgpSession against BIRD 2 and GoBGP in network namespaces: sessions reach
// Established and an IPv4 /32 and IPv6 /128 land in each router's RIB with
// the right next hop; withdrawal removes them. BIRD gets one session per
// family (IPv6 over IPv6 transport, next hop from the socket), GoBGP one
// session carrying both. Root only; every namespace and PID is this file's own.
import type { ChildProcess } from "node:child_process";
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
  startDriver,
  until,
  veth,
  type Driver,
} from "./bgp-fixtures/lab.ts";
import { addBridgeArgs } from "../lab/topology.ts";

const P = `bgpi${process.pid}`;
const SPK = `${P}-spk`;
const BIRD = `${P}-bird`;
const GOBGP = `${P}-gobgp`;

const BIRD_CONF = `log stderr all;
router id 192.0.2.2;
protocol device { scan time 10; }
template bgp spk {
  local as 64512; passive on;
  hold time 3; keepalive time 1; connect retry time 1;
  error wait time 1, 2;
}
protocol bgp v4 from spk { neighbor 192.0.2.11 as 64513; ipv4 { import all; export none; }; }
protocol bgp v6 from spk { neighbor 2001:db8:1::11 as 64513; ipv6 { import all; export none; }; }
`;

const GOBGP_CONF = `[global.config]
  as = 64512
  router-id = "192.0.2.3"
${passiveGobgpNeighbor("192.0.2.11", 64513, { holdTime: 3, keepalive: 1 })}`;

let dir = "";
const daemons: ChildProcess[] = [];
let driver: Driver | undefined;

const birdc = (...args: string[]): string =>
  inNs(BIRD, "birdc", "-s", path.join(dir, "bird.ctl"), ...args);

/** BIRD has no JSON: the `show route … all` text of one prefix, or undefined when absent. */
function birdRoute(prefix: string): string | undefined {
  let out: string;
  try {
    out = birdc("show", "route", prefix, "all");
  } catch (e: unknown) {
    // birdc exits non-zero with "Network not found".
    const stdout = (e as { stdout?: unknown }).stdout;
    if (typeof stdout === "string" && stdout.includes("Network not found")) return undefined;
    throw e;
  }
  return out.includes(prefix) ? out : undefined;
}

function gobgpRib(
  afi: "ipv4" | "ipv6",
): Record<string, { attrs: { type: number; nexthop?: string; communities?: number[] }[] }[]> {
  return JSON.parse(inNs(GOBGP, "gobgp", "global", "rib", "-a", afi, "-j")) as ReturnType<
    typeof gobgpRib
  >;
}

const common = {
  localAsn: 64513,
  peerAsn: 64512,
  routerId: "192.0.2.11",
  holdTime: 3,
  keepaliveTime: 1,
  connectRetryTime: 0.5,
  maxRetryTime: 2,
};

const ROUTES = [
  {
    prefix: "203.0.113.5/32",
    communities: [64512 * 65536 + 100],
    largeCommunities: [{ globalAdmin: 64513, localData1: 1, localData2: 2 }],
  },
  { prefix: "2001:db8:ff::5/128", communities: [64512 * 65536 + 100] },
];

beforeAll(async () => {
  for (const ns of [SPK, BIRD, GOBGP]) addNamespace(ns);
  sh("ip", addBridgeArgs(SPK));
  sh("ip", ["-n", SPK, "addr", "add", "192.0.2.11/24", "dev", "br0"]);
  sh("ip", ["-n", SPK, "addr", "add", "2001:db8:1::11/64", "dev", "br0", "nodad"]);
  sh("ip", ["-n", SPK, "link", "set", "br0", "up"]);
  veth(BIRD, ["192.0.2.2/24", "2001:db8:1::2/64"], SPK, { name: "p-bird", bridge: true });
  veth(GOBGP, ["192.0.2.3/24", "2001:db8:1::3/64"], SPK, { name: "p-gobgp", bridge: true });
  dir = mkdtempSync(path.join(tmpdir(), "bgp-interop-"));
  writeFileSync(path.join(dir, "bird.conf"), BIRD_CONF);
  writeFileSync(path.join(dir, "gobgpd.toml"), GOBGP_CONF);
  daemons.push(
    startDaemon(BIRD, [
      "bird",
      "-f",
      "-c",
      path.join(dir, "bird.conf"),
      "-s",
      path.join(dir, "bird.ctl"),
      "-P",
      path.join(dir, "bird.pid"),
    ]),
    startDaemon(GOBGP, ["gobgpd", "-f", path.join(dir, "gobgpd.toml"), "--pprof-disable"]),
  );
  await until(() => birdc("show", "status").includes("Daemon is up"), "bird up", 15_000);
  await until(() => inNs(GOBGP, "gobgp", "neighbor") !== "", "gobgpd up", 15_000);
  driver = startDriver(SPK, {
    sessions: [
      { ...common, peerAddress: "192.0.2.2", families: ["ipv4"] },
      { ...common, peerAddress: "2001:db8:1::2", families: ["ipv6"] },
      {
        ...common,
        peerAddress: "192.0.2.3",
        families: ["ipv4", "ipv6"],
        ipv6NextHops: ["2001:db8:1::11"],
      },
    ],
    routes: ROUTES,
  });
});

afterAll(async () => {
  await kill(driver?.child);
  for (const d of daemons) await kill(d, "SIGTERM");
  for (const ns of [SPK, BIRD, GOBGP]) deleteNamespace(ns);
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("BgpSession ↔ BIRD 2", () => {
  it("both sessions Established; routes with next hops and communities", async () => {
    await until(() => {
      const protos = birdc("show", "protocols");
      return (
        /v4\s+BGP\s+---\s+up\s+\S+\s+Established/.test(protos) &&
        /v6\s+BGP\s+---\s+up\s+\S+\s+Established/.test(protos)
      );
    }, "BIRD sessions Established");
    const v4 = await until(() => birdRoute("203.0.113.5/32"), "IPv4 route in BIRD");
    expect(v4).toMatch(/BGP\.next_hop: 192\.0\.2\.11/);
    expect(v4).toMatch(/BGP\.as_path: 64513/);
    expect(v4).toMatch(/BGP\.community: \(64512,100\)/);
    expect(v4).toMatch(/BGP\.large_community: \(64513, 1, 2\)/);
    const v6 = await until(() => birdRoute("2001:db8:ff::5/128"), "IPv6 route in BIRD");
    // Next hop taken from the IPv6 session's own local address.
    expect(v6).toMatch(/BGP\.next_hop: 2001:db8:1::11/);
  });
});

describe("BgpSession ↔ GoBGP", () => {
  it("one session carrying both families; routes with next hops", async () => {
    await until(() => {
      const n = JSON.parse(inNs(GOBGP, "gobgp", "neighbor", "-j")) as {
        state: { session_state: number };
      }[];
      return n[0]?.state.session_state === 6;
    }, "GoBGP session Established");
    const v4 = await until(() => gobgpRib("ipv4")["203.0.113.5/32"]?.[0], "IPv4 route in GoBGP");
    expect(v4.attrs.find((a) => a.type === 3)?.nexthop).toBe("192.0.2.11");
    expect(v4.attrs.find((a) => a.type === 8)?.communities).toEqual([64512 * 65536 + 100]);
    const v6 = await until(
      () => gobgpRib("ipv6")["2001:db8:ff::5/128"]?.[0],
      "IPv6 route in GoBGP",
    );
    expect(JSON.stringify(v6.attrs.find((a) => a.type === 14))).toContain("2001:db8:1::11");
  });

  it("withdrawing removes the routes from GoBGP and BIRD, sessions stay up", async () => {
    driver?.send({ routes: [{ prefix: "203.0.113.6/32" }] });
    await until(
      () =>
        birdRoute("203.0.113.6/32") !== undefined &&
        gobgpRib("ipv4")["203.0.113.6/32"] !== undefined,
      "new route",
    );
    await until(
      () =>
        birdRoute("203.0.113.5/32") === undefined &&
        birdRoute("2001:db8:ff::5/128") === undefined &&
        gobgpRib("ipv4")["203.0.113.5/32"] === undefined &&
        gobgpRib("ipv6")["2001:db8:ff::5/128"] === undefined,
      "withdrawals",
    );
    expect(driver?.events.filter((e) => e.event === "established")).toHaveLength(3);
    expect(driver?.events.filter((e) => e.event === "down")).toHaveLength(0);
  });
});
