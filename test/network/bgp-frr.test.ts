// BgpSession against FRR 8.4 bgpd in network namespaces: eBGP (IPv4 + IPv6 on
// one session) and iBGP, attributes as FRR's JSON shows them, incremental
// changes without a reset, hold-timer and kill behaviour, graceful restart.
// Root only; every namespace and PID is this file's own.
import type { ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  addNamespace,
  deleteNamespace,
  inNs,
  kill,
  sh,
  startDaemon,
  startDriver,
  until,
  veth,
  type Driver,
} from "./bgp-fixtures/lab.ts";

const P = `bgpf${process.pid}`;
const RTR = `${P}-rtr`;
const SPK = `${P}-spk`;
// eBGP from .11 (both families), iBGP from .12 (IPv4), eBGP + graceful restart from .13.
const FRR_CONF = `frr defaults datacenter
hostname rtr
!
router bgp 64512
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 no bgp network import-check
 bgp graceful-restart
 bgp graceful-restart restart-time 30
 neighbor 192.0.2.11 remote-as 64513
 neighbor 192.0.2.11 passive
 neighbor 192.0.2.11 timers 1 3
 neighbor 192.0.2.12 remote-as 64512
 neighbor 192.0.2.12 passive
 neighbor 192.0.2.12 timers 1 3
 neighbor 192.0.2.13 remote-as 64513
 neighbor 192.0.2.13 passive
 neighbor 192.0.2.13 timers 1 3
 !
 address-family ipv4 unicast
  neighbor 192.0.2.11 activate
  neighbor 192.0.2.11 route-map NONE out
  neighbor 192.0.2.12 activate
  neighbor 192.0.2.12 route-map NONE out
  neighbor 192.0.2.13 activate
  neighbor 192.0.2.13 route-map NONE out
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor 192.0.2.11 activate
  neighbor 192.0.2.11 route-map NONE out
 exit-address-family
!
route-map NONE deny 10

!
`;

let dir = "";
let bgpd: ChildProcess | undefined;
const drivers: Driver[] = [];

const vtysh = (cmd: string): unknown =>
  JSON.parse(inNs(RTR, "vtysh", "--vty_socket", dir, "-c", cmd)) as unknown;

interface FrrPath {
  nexthops?: { ip: string; afi?: string }[];
  peer?: { peerId: string };
  community?: { string: string };
  largeCommunity?: { string: string };
  locPrf?: number;
  aspath?: { string: string };
  stale?: boolean;
}

function paths(prefix: string, from?: string): FrrPath[] {
  const afi = prefix.includes(":") ? "ipv6" : "ipv4";
  const r = vtysh(`show bgp ${afi} unicast ${prefix} json`) as { paths?: FrrPath[] };
  return (r.paths ?? []).filter((p) => from === undefined || p.peer?.peerId === from);
}

interface Neighbor {
  bgpState: string;
  connectionsEstablished: number;
  connectionsDropped: number;
}

const neighbor = (addr: string): Neighbor | undefined =>
  (vtysh(`show bgp neighbors ${addr} json`) as Record<string, Neighbor>)[addr];

const established = (addr: string): Promise<Neighbor> =>
  until(() => {
    const n = neighbor(addr);
    return n?.bgpState === "Established" ? n : undefined;
  }, `${addr} Established at FRR`);

function session(
  source: string,
  asn: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    peerAddress: "192.0.2.1",
    sourceAddress: source,
    localAsn: asn,
    peerAsn: 64512,
    routerId: source,
    holdTime: 3,
    keepaliveTime: 1,
    connectRetryTime: 0.5,
    maxRetryTime: 2,
    families: ["ipv4"],
    ...extra,
  };
}

const ROUTES = [
  {
    prefix: "203.0.113.5/32",
    localPref: 150,
    communities: [64512 * 65536 + 100, 0xffffff01],
    largeCommunities: [{ globalAdmin: 64513, localData1: 1, localData2: 2 }],
  },
  { prefix: "2001:db8:ff::5/128", communities: [64512 * 65536 + 200] },
];

function start(config: Record<string, unknown>): Driver {
  const d = startDriver(SPK, config);
  drivers.push(d);
  return d;
}

beforeAll(() => {
  addNamespace(RTR);
  addNamespace(SPK);
  veth(SPK, ["192.0.2.11/24", "192.0.2.12/24", "192.0.2.13/24", "2001:db8:1::11/64"], RTR, {
    name: "eth0r",
    addrs: ["192.0.2.1/24", "2001:db8:1::1/64"],
  });
  dir = mkdtempSync(path.join(tmpdir(), "bgp-frr-"));
  chownSync(dir, Number(sh("id", ["-u", "frr"]).trim()), Number(sh("id", ["-g", "frr"]).trim()));
  writeFileSync(path.join(dir, "bgpd.conf"), FRR_CONF);
  bgpd = startDaemon(RTR, [
    "/usr/lib/frr/bgpd",
    "-S",
    "-Z",
    "-f",
    path.join(dir, "bgpd.conf"),
    "--vty_socket",
    dir,
    "-i",
    path.join(dir, "bgpd.pid"),
    "--log",
    `file:${path.join(dir, "bgpd.log")}`,
  ]);
  return until(() => neighbor("192.0.2.11") !== undefined, "bgpd up", 15_000);
});

afterEach(async () => {
  for (const d of drivers.splice(0)) await kill(d.child);
});

afterAll(async () => {
  for (const d of drivers.splice(0)) await kill(d.child);
  await kill(bgpd, "SIGTERM");
  deleteNamespace(RTR);
  deleteNamespace(SPK);
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("BgpSession ↔ FRR", () => {
  it("announces IPv4 and IPv6 with next hops, communities, large communities and iBGP local-pref; changes are incremental", async () => {
    start({
      sessions: [
        session("192.0.2.11", 64513, {
          families: ["ipv4", "ipv6"],
          ipv6NextHops: ["2001:db8:1::11"],
        }),
        session("192.0.2.12", 64512),
      ],
      routes: ROUTES,
    });
    await established("192.0.2.11");
    await established("192.0.2.12");
    const v4 = await until(() => paths("203.0.113.5/32", "192.0.2.11")[0], "eBGP IPv4 path");
    expect(v4.nexthops?.[0]?.ip).toBe("192.0.2.11");
    expect(v4.aspath?.string).toBe("64513");
    expect(v4.community?.string).toBe("64512:100 no-export");
    expect(v4.largeCommunity?.string).toBe("64513:1:2");
    expect(v4.locPrf).toBeUndefined(); // LOCAL_PREF goes to internal peers only
    const v6 = await until(() => paths("2001:db8:ff::5/128", "192.0.2.11")[0], "IPv6 path");
    expect(v6.nexthops?.[0]?.ip).toBe("2001:db8:1::11");
    expect(v6.community?.string).toBe("64512:200");
    const ibgp = await until(() => paths("203.0.113.5/32", "192.0.2.12")[0], "iBGP path");
    expect(ibgp.locPrf).toBe(150);
    expect(ibgp.aspath?.string).toBe("Local"); // FRR's word for an empty AS_PATH
    expect(ibgp.nexthops?.[0]?.ip).toBe("192.0.2.12");

    const before = [neighbor("192.0.2.11"), neighbor("192.0.2.12")];
    const [driver] = drivers;
    // Change communities, add a route, withdraw the IPv6 one.
    driver?.send({
      routes: [
        { prefix: "203.0.113.5/32", communities: [64512 * 65536 + 300] },
        { prefix: "203.0.113.6/32" },
      ],
    });
    await until(() => paths("203.0.113.6/32", "192.0.2.11").length === 1, "added route");
    await until(() => paths("2001:db8:ff::5/128").length === 0, "IPv6 withdrawal");
    await until(
      () => paths("203.0.113.5/32", "192.0.2.11")[0]?.community?.string === "64512:300",
      "changed communities",
    );
    expect(paths("203.0.113.5/32", "192.0.2.11")[0]?.largeCommunity).toBeUndefined();
    // Withdraw everything, then bring one back.
    driver?.send({ routes: [] });
    await until(
      () => paths("203.0.113.5/32").length === 0 && paths("203.0.113.6/32").length === 0,
      "withdraw all",
    );
    driver?.send({ routes: [{ prefix: "203.0.113.7/32" }] });
    await until(() => paths("203.0.113.7/32").length === 2, "route back on both sessions");
    // No LOCAL_PREF configured: the iBGP path still carries one (§5.1.5), FRR's default.
    expect(paths("203.0.113.7/32", "192.0.2.12")[0]?.locPrf).toBe(100);
    const after = [neighbor("192.0.2.11"), neighbor("192.0.2.12")];
    for (const [i, n] of after.entries()) {
      expect(n?.bgpState).toBe("Established");
      expect(n?.connectionsEstablished).toBe(before[i]?.connectionsEstablished);
      expect(n?.connectionsDropped).toBe(before[i]?.connectionsDropped);
    }
  }, 60_000);

  it("a silent speaker (SIGSTOP) loses its path at hold-timer expiry; a killed one at once", async () => {
    const d = start({
      sessions: [session("192.0.2.11", 64513)],
      routes: [{ prefix: "203.0.113.8/32" }],
    });
    await until(() => paths("203.0.113.8/32").length === 1, "route");
    d.child.kill("SIGSTOP");
    const t0 = Date.now();
    await until(() => paths("203.0.113.8/32").length === 0, "hold-timer withdrawal", 8000);
    const silent = Date.now() - t0;
    expect(silent).toBeGreaterThan(1500); // hold 3 s from the last keepalive (1 s apart)
    expect(silent).toBeLessThan(4500);
    d.child.kill("SIGCONT");
    await until(() => paths("203.0.113.8/32").length === 1, "route back after SIGCONT", 20_000);
    await kill(d.child);
    const t1 = Date.now();
    await until(() => paths("203.0.113.8/32").length === 0, "withdrawal on kill", 5000);
    expect(Date.now() - t1).toBeLessThan(1500);
  }, 60_000);

  it("graceful restart: FRR keeps the path (stale) across a speaker restart, then refreshes it", async () => {
    const config = (restarting: boolean): Record<string, unknown> => ({
      sessions: [
        session("192.0.2.13", 64513, { gracefulRestart: { restartTime: 30, restarting } }),
      ],
      routes: [{ prefix: "203.0.113.9/32", communities: [64512 * 65536 + 9] }],
    });
    const first = start(config(false));
    await established("192.0.2.13");
    await until(() => paths("203.0.113.9/32", "192.0.2.13").length === 1, "route");
    const gr = JSON.stringify(neighbor("192.0.2.13"));
    expect(gr).toContain('"gracefulRestart":"advertisedAndReceived"');
    await kill(first.child);
    // The session is gone, the path stays, marked stale.
    const stale = await until(
      () => {
        const p = paths("203.0.113.9/32", "192.0.2.13")[0];
        return neighbor("192.0.2.13")?.bgpState !== "Established" && p?.stale === true
          ? p
          : undefined;
      },
      "stale path",
      10_000,
    );
    expect(stale.nexthops?.[0]?.ip).toBe("192.0.2.13");
    start(config(true));
    await established("192.0.2.13");
    await until(() => {
      const p = paths("203.0.113.9/32", "192.0.2.13");
      return p.length === 1 && p[0]?.stale !== true;
    }, "path refreshed after End-of-RIB");
  }, 60_000);

  it("10,000 prefixes reach FRR's RIB and are withdrawn, on one live session", async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({
      prefix: `198.18.${i >> 8}.${i & 255}/32`,
      communities: [64512 * 65536 + (i % 4)],
    }));
    const d = start({ sessions: [session("192.0.2.11", 64513)], routes: [] });
    const before = await established("192.0.2.11");
    const received = (): number | undefined =>
      (
        vtysh("show bgp ipv4 unicast summary json") as {
          peers?: Record<string, { pfxRcd?: number }>;
        }
      ).peers?.["192.0.2.11"]?.pfxRcd;
    const t0 = Date.now();
    d.send({ routes: many });
    await until(() => received() === 10_000, "10,000 prefixes at FRR");
    const announceMs = Date.now() - t0;
    expect(paths("198.18.39.15/32")[0]?.community?.string).toBe("64512:3");
    d.send({ routes: [] });
    await until(() => received() === 0, "all withdrawn");
    expect(neighbor("192.0.2.11")?.connectionsEstablished).toBe(before.connectionsEstablished);
    console.log(`10,000 prefixes in FRR after ${announceMs} ms`);
  }, 60_000);
});
