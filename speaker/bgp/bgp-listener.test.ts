// Passive peering over loopback TCP: the announcer listens through an
// injected plain-TCP listen factory (the addon's MD5 listener is covered by
// test/network/speaker-bgp-passive.test.ts), a router session dials in, and
// the connection reaches the session of the peer it comes from. One case
// uses the addon itself for a port that is in use.
import net from "node:net";
import { once } from "node:events";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../core/logger.ts";
import { BgpAnnouncer } from "./bgp-announcer.ts";
import {
  BgpListener,
  canonicalAddress,
  type ListenFactory,
  type ListenRequest,
} from "./bgp-listener.ts";
import type { PeerPlan, PeerSessionConfig } from "./bgp-plan.ts";
import { BgpSession, tcpConnect, type ConnectFn } from "./session.ts";
import { endOfRibFamily } from "./update.ts";
import { cleanupAfterEach, until } from "../test-kit.ts";

const cleanup = cleanupAfterEach();

const silent = createLogger("test", "silent");

/** A logger whose lines the test reads. */
function capturingLogger(): {
  log: ReturnType<typeof createLogger>;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: "debug" },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { log, lines };
}

interface FakeListen {
  readonly factory: ListenFactory;
  readonly requests: ListenRequest[];
  readonly md5: [string, string][];
  readonly ttl: number[];
  port(): number;
}

/** Plain TCP on 127.0.0.1 (any port) that records what the listener asks of the socket. */
function fakeListen(setMd5?: (address: string, key: string) => void): FakeListen {
  const requests: ListenRequest[] = [];
  const md5: [string, string][] = [];
  const ttl: number[] = [];
  let port = 0;
  const factory: ListenFactory = async (request) => {
    requests.push(request);
    const server = net.createServer(request.onConnection);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as net.AddressInfo).port;
    return {
      setMd5: (address, key) => {
        setMd5?.(address, key);
        md5.push([address, key]);
      },
      setTtl: (_socket, value) => {
        ttl.push(value);
      },
      close: () =>
        new Promise((resolve) => {
          server.close(() => {
            resolve();
          });
        }),
    };
  };
  return { factory, requests, md5, ttl, port: () => port };
}

/** Our own dials always fail: every session here is up only through the listener. */
const refused: ConnectFn = () => Promise.reject(new Error("connection refused"));

function config(over: Partial<PeerSessionConfig> = {}): PeerSessionConfig {
  return {
    name: "rtr",
    peerAddress: "127.0.0.1",
    peerPort: 1790,
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

const desired = (configs: PeerSessionConfig[], prefixes: string[]): Map<string, PeerPlan> =>
  new Map(
    configs.map((c) => [c.name, { config: c, routes: prefixes.map((prefix) => ({ prefix })) }]),
  );

function announcer(listen: FakeListen, connect: ConnectFn = refused): BgpAnnouncer {
  const a = new BgpAnnouncer({
    log: silent,
    connectFactory: () => connect,
    listenFactory: listen.factory,
    listenPort: 179,
    maxRetryTime: 0.2,
  });
  cleanup.push(() => a.close());
  return a;
}

/** An active router session dialling the announcer's listener; records the prefixes it holds. */
function dialingRouter(port: number): { session: BgpSession; rib: Set<string> } {
  const rib = new Set<string>();
  const session = new BgpSession({
    peerAddress: "127.0.0.1",
    peerPort: port,
    localAsn: 64512,
    peerAsn: 64513,
    routerId: "192.0.2.1",
    holdTime: 3,
    connectRetryTime: 0.05,
    maxRetryTime: 0.2,
    connect: tcpConnect,
  });
  session.on("update", (u) => {
    if (endOfRibFamily(u) !== undefined) return;
    for (const p of u.withdrawn) rib.delete(p);
    for (const p of u.nlri) rib.add(p);
  });
  cleanup.push(() => session.stop("test over"));
  session.start();
  return { session, rib };
}

/** A raw TCP connection to the listener; resolves when the far side closes it, with what it sent. */
async function rawConnect(port: number, localAddress = "127.0.0.1"): Promise<Buffer> {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress });
  const chunks: Buffer[] = [];
  socket.on("data", (d: Buffer) => chunks.push(d));
  socket.on("error", () => undefined);
  await once(socket, "close");
  return Buffer.concat(chunks);
}

describe("BgpAnnouncer with a listen port (passive peering)", () => {
  it("an inbound connection from a configured peer reaches its session: Established, routes delivered", async () => {
    const listen = fakeListen();
    const a = announcer(listen);
    a.update(desired([config({ ttl: 255 })], ["203.0.113.1/32"]));
    await until(() => listen.port() !== 0);
    expect(listen.requests[0]).toMatchObject({ address: "::", port: 179, md5Peers: [] });
    const r = dialingRouter(listen.port());
    await until(() => r.rib.has("203.0.113.1/32"));
    const ours = a.sessions.get("rtr")?.session;
    expect(ours?.state).toBe("Established");
    expect(r.session.state).toBe("Established");
    // The session's TTL (ebgpMultiHop) goes on the accepted socket, as on a dialled one.
    expect(listen.ttl).toEqual([255]);
    a.update(desired([config({ ttl: 255 })], ["203.0.113.1/32", "203.0.113.2/32"]));
    await until(() => r.rib.size === 2);
    expect(ours?.counters.establishedTransitions).toBe(1);
  });

  it("closes a connection from an address that is no peer at once", async () => {
    const listen = fakeListen();
    const { log, lines } = capturingLogger();
    const a = new BgpAnnouncer({
      log,
      connectFactory: () => refused,
      listenFactory: listen.factory,
      listenPort: 179,
    });
    cleanup.push(() => a.close());
    a.update(desired([config()], ["203.0.113.1/32"]));
    await until(() => listen.port() !== 0);
    // Any 127/8 source works on loopback; 127.0.0.2 is not the peer.
    expect(await rawConnect(listen.port(), "127.0.0.2")).toHaveLength(0);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 20,
        address: "127.0.0.2",
        msg: "inbound BGP connection from an address that is no peer: closed",
      }),
    );
    expect(a.sessions.get("rtr")?.session.state).not.toBe("OpenSent");
  });

  it("closes an inbound connection while the session is Established and leaves the session as it is", async () => {
    const listen = fakeListen();
    const a = announcer(listen);
    a.update(desired([config()], ["203.0.113.1/32"]));
    await until(() => listen.port() !== 0);
    const r = dialingRouter(listen.port());
    await until(() => r.rib.has("203.0.113.1/32"));
    const ours = a.sessions.get("rtr")?.session;
    const sent = ours?.counters.opensSent;
    // A second connection from the same peer (a collision): closed before any OPEN on it.
    expect(await rawConnect(listen.port())).toHaveLength(0);
    expect(ours?.state).toBe("Established");
    expect(ours?.counters).toMatchObject({ establishedTransitions: 1, opensSent: sent });
    expect(r.session.state).toBe("Established");
    expect(r.rib.has("203.0.113.1/32")).toBe(true);
  });

  it("an inbound connection during our own dial (Connect) aborts the dial and is taken", async () => {
    const listen = fakeListen();
    const aborted: boolean[] = [];
    // A dial that never completes: the session stays in Connect until the peer dials in.
    const hanging: ConnectFn = (opts) =>
      new Promise((_resolve, reject) => {
        opts.signal.addEventListener("abort", () => {
          aborted.push(true);
          reject(new Error("aborted"));
        });
      });
    const a = announcer(listen, hanging);
    a.update(desired([config({ connectRetryTime: 30 })], ["203.0.113.1/32"]));
    await until(() => listen.port() !== 0);
    expect(a.sessions.get("rtr")?.session.state).toBe("Connect");
    const r = dialingRouter(listen.port());
    await until(() => r.rib.has("203.0.113.1/32"));
    expect(aborted).toEqual([true]);
    expect(a.sessions.get("rtr")?.session.state).toBe("Established");
  });

  it("keeps the listening socket's MD5 keys in step with the peers", async () => {
    const listen = fakeListen();
    const a = announcer(listen);
    const other = config({ name: "other", peerAddress: "2001:DB8::0:2", password: "k2" });
    a.update(desired([config({ password: "k1" }), other], []));
    await until(() => listen.port() !== 0);
    expect(listen.requests[0]?.md5Peers).toEqual([
      { address: "2001:db8::2", key: "k2" },
      { address: "127.0.0.1", key: "k1" },
    ]);
    a.update(desired([config({ password: "k1b" }), other], []));
    a.update(desired([config({ password: "k1b" })], []));
    a.update(desired([config({ password: "k1b" })], []));
    expect(listen.md5).toEqual([
      ["127.0.0.1", "k1b"],
      ["2001:db8::2", ""],
    ]);
  });

  it("refuses a peer's connection while its configured key is not on the socket", async () => {
    const listen = fakeListen((_address, key) => {
      if (key === "too-new") throw new Error("setsockopt(TCP_MD5SIG) failed");
    });
    const a = announcer(listen);
    a.update(desired([config()], ["203.0.113.1/32"]));
    await until(() => listen.port() !== 0);
    a.update(desired([config({ password: "too-new" })], ["203.0.113.1/32"]));
    expect(await rawConnect(listen.port())).toHaveLength(0);
    expect(a.sessions.get("rtr")?.session.counters.opensSent).toBe(0);
  });

  it("closes the listening socket with the announcer", async () => {
    const listen = fakeListen();
    const a = announcer(listen);
    a.update(desired([config()], []));
    await until(() => listen.port() !== 0);
    await a.close();
    const socket = net.connect({ host: "127.0.0.1", port: listen.port() });
    const [error] = (await once(socket, "error")) as [NodeJS.ErrnoException];
    expect(error.code).toBe("ECONNREFUSED");
  });
});

describe("BgpListener", () => {
  it("a port in use is logged with a hint and retried with backoff until it is free (the addon's listen)", async () => {
    const blocker = net.createServer();
    blocker.listen(0, "::");
    await once(blocker, "listening");
    const port = (blocker.address() as net.AddressInfo).port;
    const { log, lines } = capturingLogger();
    const listener = new BgpListener({
      port,
      log,
      peerFor: () => undefined,
      retryBaseMs: 20,
      retryMaxMs: 40,
    });
    cleanup.push(() => listener.close());
    listener.setPeers(new Map());
    await until(() => lines.filter((l) => l.level === 40).length >= 2);
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: `cannot listen for BGP connections on [::]:${String(port)}; retrying`,
      hint: expect.stringContaining("already listens") as unknown,
    });
    expect(lines[0]?.err).toMatch(/EADDRINUSE/);
    expect(listener.listening).toBe(false);
    await new Promise((resolve) => blocker.close(resolve));
    await until(() => listener.listening);
    // Dual stack: an IPv4 client reaches the [::] socket (v4-mapped) and, as no peer, is closed.
    expect(await rawConnect(port)).toHaveLength(0);
    expect(lines).toContainEqual(expect.objectContaining({ level: 20, address: "127.0.0.1" }));
  });

  it("close() during a pending retry stops it; nothing listens afterwards", async () => {
    let calls = 0;
    const listener = new BgpListener({
      port: 179,
      log: silent,
      listen: () => {
        calls++;
        return Promise.reject(new Error("listen failed"));
      },
      peerFor: () => undefined,
      retryBaseMs: 20,
    });
    listener.setPeers(new Map());
    await until(() => calls === 2);
    await listener.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls).toBe(2);
  });

  it("canonicalAddress: one spelling for configured and socket addresses", () => {
    expect(canonicalAddress("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(canonicalAddress("2001:DB8:0::1")).toBe("2001:db8::1");
    expect(canonicalAddress("fe80::1%eth0")).toBe("fe80::1");
  });
});
