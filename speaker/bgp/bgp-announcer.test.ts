// The announcer against a real passive BgpSession over loopback TCP: routes
// change incrementally on the live session; only a change of the peer's own
// parameters replaces it. Plain TCP here (connectFactory); the addon's MD5/TTL
// connect is covered by test/network/speaker-bgp.test.ts.
import net from "node:net";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { createLogger } from "../../core/logger.ts";
import { BgpAnnouncer, sessionOptions } from "./bgp-announcer.ts";
import { registerBgpMetrics } from "./bgp-metrics.ts";
import type { PeerPlan, PeerSessionConfig } from "./bgp-plan.ts";
import { BgpSession, tcpConnect } from "./session.ts";
import { endOfRibFamily } from "./update.ts";
import { cleanupAfterEach, until } from "../test-kit.ts";

const cleanup = cleanupAfterEach();

const log = createLogger("test", "silent");

/** A passive router session on 127.0.0.1 that records the prefixes it holds. */
async function router(): Promise<{ port: number; rib: Set<string>; established: () => number }> {
  const rib = new Set<string>();
  let sessions: BgpSession[] = [];
  const fresh = (): BgpSession => {
    const s = new BgpSession({
      peerAddress: "127.0.0.1",
      localAsn: 64512,
      peerAsn: 64513,
      routerId: "192.0.2.1",
      holdTime: 3,
      passive: true,
      connectRetryTime: 0.05,
    });
    s.on("update", (u) => {
      if (endOfRibFamily(u) !== undefined) return;
      for (const p of u.withdrawn) rib.delete(p);
      for (const p of u.nlri) rib.add(p);
    });
    s.on("down", () => {
      rib.clear();
    });
    s.start();
    sessions.push(s);
    return s;
  };
  let current = fresh();
  const server = net.createServer((socket) => {
    if (current.state !== "Active") current = fresh();
    current.accept(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanup.push(async () => {
    await Promise.all(sessions.map((s) => s.stop("over")));
    sessions = [];
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    rib,
    established: () => sessions.reduce((n, s) => n + s.counters.establishedTransitions, 0),
  };
}

function config(port: number, over: Partial<PeerSessionConfig> = {}): PeerSessionConfig {
  return {
    name: "rtr",
    peerAddress: "127.0.0.1",
    peerPort: port,
    myAsn: 64513,
    peerAsn: 64512,
    routerId: "192.0.2.11",
    holdTime: 3,
    connectRetryTime: 0.05,
    password: "",
    ttl: 1,
    gracefulRestart: false,
    families: ["ipv4"],
    ...over,
  };
}

function announcer(): BgpAnnouncer {
  const a = new BgpAnnouncer({ log, connectFactory: () => tcpConnect, maxRetryTime: 0.2 });
  cleanup.push(() => a.close());
  return a;
}

const desired = (c: PeerSessionConfig, prefixes: string[]): Map<string, PeerPlan> =>
  new Map([[c.name, { config: c, routes: prefixes.map((prefix) => ({ prefix })) }]]);

describe("BgpAnnouncer", () => {
  it("sends route changes on the live session and resets it only for session parameters", async () => {
    const r = await router();
    const a = announcer();
    const c = config(r.port);
    a.update(desired(c, ["203.0.113.1/32"]));
    await until(() => r.rib.has("203.0.113.1/32"));
    const first = a.sessions.get("rtr")?.session;
    a.update(desired(c, ["203.0.113.1/32", "203.0.113.2/32"]));
    a.update(desired({ ...c }, ["203.0.113.2/32"]));
    await until(() => r.rib.size === 1 && r.rib.has("203.0.113.2/32"));
    expect(a.sessions.get("rtr")?.session).toBe(first);
    expect(r.established()).toBe(1);
    expect(first?.counters.announcedPrefixes).toBe(1);

    a.update(desired({ ...c, holdTime: 6 }, ["203.0.113.2/32"]));
    expect(a.sessions.get("rtr")?.session).not.toBe(first);
    await until(() => r.established() === 2 && r.rib.has("203.0.113.2/32"));
  });

  it("closes sessions of peers that no longer apply, and exports MetalLB's metrics", async () => {
    const r = await router();
    const a = announcer();
    const registry = new Registry();
    registerBgpMetrics(registry, () => a.sessions.values());
    a.update(desired(config(r.port), ["203.0.113.1/32"]));
    await until(() => r.rib.size === 1);
    const text = await registry.metrics();
    const peer = `peer="127.0.0.1:${String(r.port)}"`;
    expect(text).toContain(`metallb_bgp_session_up{${peer}} 1`);
    expect(text).toContain(`metallb_bgp_announced_prefixes_total{${peer}} 1`);
    expect(text).toContain(`metallb_bgp_opens_sent{${peer}} 1`);
    expect(text).toMatch(new RegExp(`metallb_bgp_updates_total\\{${peer}\\} [1-9]`));
    a.update(new Map());
    expect(a.sessions.size).toBe(0);
    await until(() => r.rib.size === 0);
    expect(await registry.metrics()).not.toContain("metallb_bgp_session_up{");
  });

  it("maps the plan's session config onto BgpSession options", () => {
    const o = sessionOptions(
      config(179, {
        gracefulRestart: true,
        ipv6NextHop: "2001:db8::1",
        dynamicAsn: "external",
        keepaliveTime: 1,
      }),
      { restartTime: 60 },
      tcpConnect,
    );
    expect(o).toMatchObject({
      peerPort: 179,
      localAsn: 64513,
      gracefulRestart: { restartTime: 60 },
      ipv6NextHops: ["2001:db8::1"],
      dynamicAsn: "external",
      keepaliveTime: 1,
      families: ["ipv4"],
    });
    expect("sourceAddress" in o).toBe(false);
  });
});
