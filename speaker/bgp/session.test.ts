// Two sessions (active ↔ passive) and scripted raw peers over loopback TCP.
import fc from "fast-check";
import net from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { eventFromFrame, initialSnapshot } from "./fsm.ts";
import { encodeKeepalive, type BgpMessage } from "./messages.ts";
import { encodeOpen } from "./open.ts";
import { BgpSession, describeDown, type SessionOptions } from "./session.ts";
import { MessageSplitter } from "./splitter.ts";
import { endOfRibFamily, type UpdateMessage } from "./update.ts";
import type { DownReason } from "./fsm.ts";
import { until } from "../test-kit.ts";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function listen(onSocket: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer(onSocket);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanup.push(
    () =>
      new Promise((resolve) => {
        server.close(resolve);
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

function session(o: Partial<SessionOptions> & { peerPort?: number }): BgpSession {
  const s = new BgpSession({
    peerAddress: "127.0.0.1",
    localAsn: 64513,
    peerAsn: 64512,
    routerId: "192.0.2.11",
    holdTime: 3,
    connectRetryTime: 0.05,
    maxRetryTime: 0.2,
    ipv6NextHops: ["2001:db8:1::11"],
    ...o,
  });
  cleanup.push(() => s.stop("test over"));
  return s;
}

/** The passive side's view of what the active side announced. */
function ribOf(s: BgpSession): { rib: Map<string, UpdateMessage["attributes"]>; eor: number } {
  const state = { rib: new Map<string, UpdateMessage["attributes"]>(), eor: 0 };
  s.on("update", (u) => {
    if (endOfRibFamily(u) !== undefined) state.eor++;
    for (const p of [...u.withdrawn, ...(u.attributes.mpUnreach?.withdrawn ?? [])])
      state.rib.delete(p);
    for (const p of [...u.nlri, ...(u.attributes.mpReach?.nlri ?? [])])
      state.rib.set(p, u.attributes);
  });
  return state;
}

async function pair(
  active: Partial<SessionOptions> = {},
  passive: Partial<SessionOptions> = {},
): Promise<{ a: BgpSession; p: BgpSession }> {
  const p = session({
    localAsn: 64512,
    peerAsn: 64513,
    routerId: "192.0.2.1",
    passive: true,
    ...passive,
  });
  const port = await listen((sock) => {
    p.accept(sock);
  });
  const a = session({ peerPort: port, ...active });
  p.start();
  a.start();
  await until(() => a.state === "Established" && p.state === "Established");
  return { a, p };
}

describe("BgpSession over TCP", () => {
  it("establishes active ↔ passive and sends the table, then End-of-RIB per family", async () => {
    const p0 = session({ localAsn: 64512, peerAsn: 64513, routerId: "192.0.2.1", passive: true });
    const held = ribOf(p0);
    const port = await listen((sock) => {
      p0.accept(sock);
    });
    const a = session({ peerPort: port });
    a.setRoutes([
      { prefix: "203.0.113.5/32", communities: [0xfde80064] },
      { prefix: "2001:db8:ff::5/128" },
    ]);
    const states: string[] = [];
    a.on("state", (_from, to) => states.push(to));
    p0.start();
    a.start();
    await until(() => held.eor === 2);
    expect(states).toEqual(["Connect", "OpenSent", "OpenConfirm", "Established"]);
    expect([...held.rib.keys()].sort()).toEqual(["2001:db8:ff::5/128", "203.0.113.5/32"]);
    expect(held.rib.get("203.0.113.5/32")).toMatchObject({
      nextHop: "127.0.0.1",
      asPath: [{ type: 2, asns: [64513] }],
      communities: [0xfde80064],
    });
    expect(held.rib.get("2001:db8:ff::5/128")?.mpReach?.nextHops).toEqual(["2001:db8:1::11"]);
    expect(a.negotiated).toMatchObject({ holdTime: 3, fourOctetAs: true, routeRefresh: true });
    expect(a.counters).toMatchObject({
      opensSent: 1,
      opensReceived: 1,
      updatesSent: 4,
      announcedPrefixes: 2,
      establishedTransitions: 1,
    });
    expect(p0.counters.updatesReceived).toBe(4);
  });

  it("setRoutes on a live session sends only the difference, without a reset", async () => {
    const { a, p } = await pair();
    const held = ribOf(p);
    a.setRoutes([{ prefix: "203.0.113.1/32" }, { prefix: "203.0.113.2/32" }]);
    await until(() => held.rib.size === 2);
    const before = a.counters.updatesSent;
    a.setRoutes([{ prefix: "203.0.113.2/32" }, { prefix: "203.0.113.3/32" }]);
    await until(() => held.rib.has("203.0.113.3/32") && !held.rib.has("203.0.113.1/32"));
    expect(a.counters.updatesSent - before).toBe(2); // one withdrawal, one announcement
    a.setRoutes([{ prefix: "203.0.113.2/32" }, { prefix: "203.0.113.3/32" }]);
    expect(a.counters.updatesSent - before).toBe(2);
    expect(a.counters.establishedTransitions).toBe(1);
    expect(p.counters.establishedTransitions).toBe(1);
  });

  it("answers ROUTE-REFRESH by resending everything (RFC 2918)", async () => {
    const { a, p } = await pair();
    a.setRoutes([{ prefix: "203.0.113.1/32" }, { prefix: "2001:db8:ff::1/128" }]);
    await until(() => p.counters.updatesReceived >= 4);
    const before = p.counters.updatesReceived;
    expect(p.requestRouteRefresh(1)).toBe(true);
    await until(() => p.counters.updatesReceived === before + 2);
    expect(a.counters.routeRefreshReceived).toBe(1);
    expect(p.counters.routeRefreshSent).toBe(1);
  });

  it("keepalives flow and keep the session up past the hold time", async () => {
    const { a, p } = await pair({ holdTime: 3 });
    await new Promise((r) => setTimeout(r, 3500));
    expect(a.state).toBe("Established");
    expect(a.counters.keepalivesReceived).toBeGreaterThanOrEqual(3);
    expect(p.counters.keepalivesSent).toBeGreaterThanOrEqual(3);
  }, 10_000);

  it("AbortSignal: Cease/Administrative Shutdown with the reason, no restart", async () => {
    const abort = new AbortController();
    const { a, p } = await pair({ signal: abort.signal });
    const down = once(p, "down") as Promise<[DownReason]>;
    abort.abort();
    const [reason] = await down;
    expect(reason.kind).toBe("notificationReceived");
    expect(describeDown(reason)).toBe("notification received: Cease (6/2)");
    if (reason.kind === "notificationReceived") {
      expect(new TextDecoder().decode(reason.notification.data.subarray(1))).toBe("shutdown");
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(a.state).toBe("Idle");
    expect(a.counters.notificationsSent).toBe(1);
  });

  it("a peer that drops the connection is reconnected with backoff", async () => {
    const { a, p } = await pair();
    const downs: DownReason[] = [];
    a.on("down", (r) => downs.push(r));
    await p.stop("bye");
    p.start();
    await until(() => a.state === "Established" && p.state === "Established" && downs.length === 1);
    expect(a.counters.establishedTransitions).toBe(2);
  });

  it("sessions with 4-octet ASNs establish (RFC 6793)", async () => {
    const { a } = await pair(
      { localAsn: 4_200_000_001, peerAsn: 4_200_000_000 },
      { localAsn: 4_200_000_000, peerAsn: 4_200_000_001 },
    );
    expect(a.negotiated?.fourOctetAs).toBe(true);
  });
});

/** A scripted peer: sends OPEN + KEEPALIVE, then whatever `after` sends; records what it got. */
async function rawPeer(
  after: (s: net.Socket) => void,
  open = { asn: 64512, holdTime: 3, bgpId: "192.0.2.1" },
): Promise<{ port: number; got: BgpMessage[]; closed: Promise<unknown> }> {
  const got: BgpMessage[] = [];
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  const port = await listen((sock) => {
    const splitter = new MessageSplitter();
    sock.on("error", () => undefined);
    sock.on("close", closedResolve);
    sock.on("data", (chunk) => {
      for (const f of splitter.push(chunk)) {
        const e = eventFromFrame(f, initialSnapshot);
        if (e.type !== "message") continue;
        got.push(e.message);
        if (e.message.type === "open") {
          sock.write(encodeOpen({ type: "open", capabilities: [], ...open }));
          sock.write(encodeKeepalive());
          after(sock);
        }
      }
    });
  });
  return { port, got, closed };
}

describe("BgpSession against a misbehaving peer", () => {
  it("wrong peer AS → NOTIFICATION 2/2 on the wire", async () => {
    const peer = await rawPeer(() => undefined, { asn: 65000, holdTime: 3, bgpId: "192.0.2.1" });
    const a = session({ peerPort: peer.port });
    a.start();
    await until(() => peer.got.some((m) => m.type === "notification"));
    expect(peer.got.find((m) => m.type === "notification")).toMatchObject({ code: 2, subcode: 2 });
  });

  it("a silent peer → hold timer expires: NOTIFICATION 4/0 after 3 s", async () => {
    const peer = await rawPeer(() => undefined);
    const a = session({ peerPort: peer.port });
    const t0 = Date.now();
    a.start();
    await until(() => peer.got.some((m) => m.type === "notification"), 6000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(peer.got.find((m) => m.type === "notification")).toMatchObject({ code: 4, subcode: 0 });
  }, 10_000);

  it("fuzz: random bytes after the OPEN end in a NOTIFICATION + close, never a crash", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 19, maxLength: 200 }), async (junk) => {
        junk[0] = 0; // not a marker: the stream is certainly out of sync
        const peer = await rawPeer((s) => s.write(junk));
        const a = session({ peerPort: peer.port, connectRetryTime: 30 });
        const downs: DownReason[] = [];
        a.on("down", (r) => downs.push(r));
        a.start();
        await peer.closed;
        await until(() => downs.length > 0);
        expect(downs[0]).toMatchObject({
          kind: "notificationSent",
          notification: { code: 1, subcode: 1 },
        });
        expect(peer.got.at(-1)).toMatchObject({ type: "notification", code: 1, subcode: 1 });
        await a.stop();
      }),
      { numRuns: 15 },
    );
  }, 30_000);

  it("fuzz: random well-framed messages never crash the session", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.uint8Array({ maxLength: 100 }),
        async (type, body) => {
          const frame = new Uint8Array(19 + body.length).fill(0xff, 0, 16);
          frame[17] = frame.length;
          frame[18] = type;
          frame.set(body, 19);
          const peer = await rawPeer((s) => s.write(frame));
          const a = session({ peerPort: peer.port, connectRetryTime: 30 });
          const downs: DownReason[] = [];
          a.on("down", (r) => downs.push(r));
          a.start();
          await until(() => a.state === "Established" || downs.length > 0);
          await new Promise((r) => setTimeout(r, 20));
          const [down] = downs;
          if (down !== undefined) await peer.closed;
          if (down?.kind === "notificationSent") {
            expect(peer.got.at(-1)).toMatchObject({ type: "notification", ...down.notification });
          } else if (down !== undefined) {
            expect(down.kind).toBe("notificationReceived");
          }
          await a.stop();
        },
      ),
      { numRuns: 15 },
    );
  }, 30_000);
});
