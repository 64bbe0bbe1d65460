import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  eventFromFrame,
  initialSnapshot,
  keepaliveMs,
  OPEN_SENT_HOLD_MS,
  retryDelayMs,
  step,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmSnapshot,
  type TimerName,
} from "./fsm.ts";
import { encodeKeepalive, encodeRouteRefresh } from "./messages.ts";
import { encodeNotification } from "./notification.ts";
import { encodeOpen, type OpenMessage } from "./open.ts";
import { MessageSplitter } from "./splitter.ts";
import { encodeEndOfRib } from "./update.ts";
import type { Capability } from "./capabilities.ts";

const caps: Capability[] = [
  { kind: "multiprotocol", afi: 1, safi: 1 },
  { kind: "multiprotocol", afi: 2, safi: 1 },
  { kind: "routeRefresh" },
  { kind: "fourOctetAs", asn: 64513 },
];

const config: FsmConfig = {
  localAsn: 64513,
  peerAsn: 64512,
  routerId: "192.0.2.11",
  holdTime: 9,
  connectRetryTime: 2,
  passive: false,
  capabilities: caps,
  random: () => 0.5,
};

const peerOpen = (over: Partial<OpenMessage> = {}): OpenMessage => ({
  type: "open",
  asn: 64512,
  holdTime: 3,
  bgpId: "192.0.2.1",
  capabilities: [
    { kind: "multiprotocol", afi: 1, safi: 1 },
    { kind: "multiprotocol", afi: 2, safi: 1 },
    { kind: "fourOctetAs", asn: over.asn ?? 64512 },
    { kind: "routeRefresh" },
  ],
  ...over,
});

const msg = (message: FsmEvent & { type: "message" }): FsmEvent => message;
const open = (o: OpenMessage): FsmEvent => msg({ type: "message", message: o });
const keepalive: FsmEvent = { type: "message", message: { type: "keepalive" } };
const timer = (t: TimerName): FsmEvent => ({ type: "timerExpired", timer: t });

function run(
  events: readonly FsmEvent[],
  c: FsmConfig = config,
  from: FsmSnapshot = initialSnapshot,
): { snapshot: FsmSnapshot; actions: FsmAction[] } {
  let snapshot = from;
  let actions: FsmAction[] = [];
  for (const e of events) {
    const t = step(c, snapshot, e);
    snapshot = t.snapshot;
    actions = [...t.actions];
  }
  return { snapshot, actions };
}

const toEstablished: FsmEvent[] = [
  { type: "manualStart" },
  { type: "tcpConnectionConfirmed" },
  open(peerOpen()),
  keepalive,
];
const established = run(toEstablished).snapshot;

const sent = (actions: readonly FsmAction[]): { code: number; subcode: number } | undefined => {
  const n = actions.find((a) => a.type === "sendNotification");
  return n === undefined
    ? undefined
    : { code: n.notification.code, subcode: n.notification.subcode };
};

describe("active session, happy path (RFC 4271 §8.2.2)", () => {
  it("ManualStart: Idle → Connect, connects and starts ConnectRetry", () => {
    const r = run([{ type: "manualStart" }]);
    expect(r.snapshot.state).toBe("Connect");
    expect(r.actions).toEqual([
      { type: "startTimer", timer: "connectRetry", ms: retryDelayMs(config, 0) },
      { type: "connect" },
    ]);
  });

  it("TCP up: Connect → OpenSent, sends OPEN and a 4-minute hold timer", () => {
    const r = run(toEstablished.slice(0, 2));
    expect(r.snapshot.state).toBe("OpenSent");
    expect(r.actions).toContainEqual({ type: "stopTimer", timer: "connectRetry" });
    expect(r.actions).toContainEqual({ type: "startTimer", timer: "hold", ms: OPEN_SENT_HOLD_MS });
    const o = r.actions.find((a) => a.type === "sendOpen");
    expect(o?.open).toEqual({
      type: "open",
      asn: 64513,
      holdTime: 9,
      bgpId: "192.0.2.11",
      capabilities: caps,
    });
  });

  it("OPEN: OpenSent → OpenConfirm, KEEPALIVE sent, hold = min(9, 3), keepalive = 1 s", () => {
    const r = run(toEstablished.slice(0, 3));
    expect(r.snapshot.state).toBe("OpenConfirm");
    expect(r.snapshot.negotiated?.holdTime).toBe(3);
    expect(r.actions).toEqual([
      { type: "stopTimer", timer: "connectRetry" },
      { type: "sendKeepalive" },
      { type: "startTimer", timer: "keepalive", ms: 1000 },
      { type: "startTimer", timer: "hold", ms: 3000 },
    ]);
  });

  it("KEEPALIVE: OpenConfirm → Established with the negotiated values", () => {
    const r = run(toEstablished);
    expect(r.snapshot.state).toBe("Established");
    expect(r.snapshot.connectRetryCounter).toBe(0);
    const est = r.actions.find((a) => a.type === "established");
    expect(est?.negotiated).toMatchObject({ holdTime: 3, fourOctetAs: true, routeRefresh: true });
    expect(est?.negotiated.families).toHaveLength(2);
    expect(r.actions[0]).toEqual({ type: "startTimer", timer: "hold", ms: 3000 });
  });

  it("keepalive timer sends a KEEPALIVE in OpenConfirm and Established", () => {
    const confirm = run(toEstablished.slice(0, 3)).snapshot;
    for (const s of [confirm, established]) {
      expect(step(config, s, timer("keepalive")).actions).toEqual([
        { type: "sendKeepalive" },
        { type: "startTimer", timer: "keepalive", ms: 1000 },
      ]);
    }
  });

  it("Established: KEEPALIVE restarts hold; UPDATE is delivered; ROUTE-REFRESH asks to resend", () => {
    expect(step(config, established, keepalive)).toEqual({
      snapshot: established,
      actions: [{ type: "startTimer", timer: "hold", ms: 3000 }],
    });
    const update = {
      type: "update",
      withdrawn: ["10.0.0.0/8"],
      attributes: {},
      nlri: [],
    } as const;
    expect(step(config, established, { type: "message", message: update }).actions).toEqual([
      { type: "startTimer", timer: "hold", ms: 3000 },
      { type: "deliverUpdate", update },
    ]);
    const request = { type: "routeRefresh", afi: 1, safi: 1, subtype: 0 } as const;
    expect(step(config, established, { type: "message", message: request }).actions).toContainEqual(
      { type: "routeRefreshRequested", request },
    );
  });

  it("stale timers (connectRetry, idleHold) in connected states do nothing", () => {
    expect(step(config, established, timer("connectRetry")).actions).toEqual([]);
    expect(step(config, established, timer("idleHold")).actions).toEqual([]);
    expect(step(config, established, { type: "manualStart" }).actions).toEqual([]);
  });
});

describe("timers and hold time negotiation", () => {
  it("hold time 0 on either side: no keepalives and no hold timer (§4.4)", () => {
    const r = run(toEstablished.slice(0, 3), config);
    expect(r.actions.some((a) => a.type === "startTimer")).toBe(true);
    const zero = run([...toEstablished.slice(0, 2), open(peerOpen({ holdTime: 0 }))]);
    expect(zero.snapshot.negotiated?.holdTime).toBe(0);
    expect(zero.actions.filter((a) => a.type === "startTimer")).toEqual([]);
    expect(zero.actions).toContainEqual({ type: "stopTimer", timer: "hold" });
    const est = step(config, zero.snapshot, keepalive);
    expect(est.snapshot.state).toBe("Established");
    expect(est.actions.filter((a) => a.type === "startTimer")).toEqual([]);
    expect(step(config, est.snapshot, timer("keepalive")).actions).toEqual([]);
  });

  it("configured keepaliveTime is used, but never above hold/3", () => {
    expect(keepaliveMs({ ...config, keepaliveTime: 1 }, 90)).toBe(1000);
    expect(keepaliveMs({ ...config, keepaliveTime: 60 }, 90)).toBe(30_000);
    expect(keepaliveMs(config, 3)).toBe(1000);
    expect(keepaliveMs(config, 10)).toBe(3333);
  });

  it("hold timer expiry → NOTIFICATION 4/0, close, Idle, automatic restart scheduled", () => {
    for (const s of [
      established,
      run(toEstablished.slice(0, 2)).snapshot,
      run(toEstablished.slice(0, 3)).snapshot,
    ]) {
      const r = step(config, s, timer("hold"));
      expect(r.snapshot.state).toBe("Idle");
      expect(r.actions[0]).toEqual({
        type: "sendNotification",
        notification: { code: 4, subcode: 0, data: new Uint8Array(0) },
      });
      expect(r.actions[1]).toEqual({ type: "dropConnection" });
      expect(r.actions.find((a) => a.type === "down")).toBeDefined();
      expect(r.actions.at(-1)).toMatchObject({ type: "startTimer", timer: "idleHold" });
      const again = step(config, r.snapshot, timer("idleHold"));
      expect(again.snapshot.state).toBe("Connect");
      expect(again.actions).toContainEqual({ type: "connect" });
    }
  });

  it("connect retry: fail → Active, ConnectRetry expiry → Connect again, backoff grows", () => {
    const r = run([{ type: "manualStart" }, { type: "tcpConnectionFails", reason: "refused" }]);
    expect(r.snapshot.state).toBe("Active");
    expect(r.actions).toEqual([{ type: "dropConnection" }]);
    const retry = step(config, r.snapshot, timer("connectRetry"));
    expect(retry.snapshot.state).toBe("Connect");
    expect(retry.actions).toEqual([
      { type: "dropConnection" },
      { type: "startTimer", timer: "connectRetry", ms: retryDelayMs(config, 1) },
      { type: "connect" },
    ]);
    // A connect that hangs past ConnectRetry is abandoned and retried.
    const hang = step(config, retry.snapshot, timer("connectRetry"));
    expect(hang.actions).toContainEqual({ type: "connect" });
  });

  it("retry delay: equal jitter on core/backoff, between half and all of the ceiling, capped", () => {
    const low = { ...config, random: () => 0 };
    const high = { ...config, random: () => 0.999999 };
    expect(retryDelayMs(low, 0)).toBe(1000);
    expect(retryDelayMs(high, 0)).toBe(1999);
    expect(retryDelayMs(low, 3)).toBe(8000);
    expect(retryDelayMs({ ...low, maxRetryTime: 5 }, 10)).toBe(2500);
    expect(retryDelayMs({ ...high, maxRetryTime: 5 }, 100)).toBeLessThanOrEqual(5000);
    fc.assert(
      fc.property(fc.nat({ max: 200 }), fc.double({ min: 0, max: 0.9999, noNaN: true }), (n, x) => {
        const ms = retryDelayMs({ ...config, random: () => x }, n);
        return ms >= 1000 && ms <= 120_000;
      }),
    );
  });
});

describe("passive session", () => {
  const passive = { ...config, passive: true };
  it("ManualStart → Active without connecting; accepted connection → OpenSent", () => {
    const r = run([{ type: "manualStart" }], passive);
    expect(r.snapshot.state).toBe("Active");
    expect(r.actions).toEqual([]);
    expect(step(passive, r.snapshot, timer("connectRetry")).actions).toEqual([]);
    const up = step(passive, r.snapshot, { type: "tcpConnectionConfirmed" });
    expect(up.snapshot.state).toBe("OpenSent");
    const est = run(toEstablished.slice(2), passive, up.snapshot);
    expect(est.snapshot.state).toBe("Established");
  });

  it("after an error it waits in Idle, refusing connections, then listens again", () => {
    const est = run(toEstablished, passive).snapshot;
    const down = step(passive, est, { type: "tcpConnectionFails", reason: "reset" });
    expect(down.snapshot.state).toBe("Idle");
    expect(step(passive, down.snapshot, { type: "tcpConnectionConfirmed" }).actions).toEqual([
      { type: "dropConnection" },
    ]);
    expect(step(passive, down.snapshot, timer("idleHold")).snapshot.state).toBe("Active");
  });
});

describe("OPEN checks (RFC 4271 §6.2, RFC 6793, RFC 6286)", () => {
  const openSent = run(toEstablished.slice(0, 2)).snapshot;
  const answer = (o: OpenMessage, c: FsmConfig = config): ReturnType<typeof sent> =>
    sent(step(c, openSent, open(o)).actions);

  it("peer AS must match the configured one: 2/2", () => {
    expect(answer(peerOpen({ asn: 64999 }))).toEqual({ code: 2, subcode: 2 });
    expect(answer(peerOpen())).toBeUndefined();
  });

  it("4-octet peer ASN: accepted from the capability; AS_TRANS alone is not that ASN", () => {
    const c = { ...config, peerAsn: 4_200_000_000 };
    expect(answer(peerOpen({ asn: 4_200_000_000 }), c)).toBeUndefined();
    const twoOctet = { ...peerOpen({ asn: 23456 }), capabilities: [] };
    expect(answer(twoOctet, c)).toEqual({ code: 2, subcode: 2 });
  });

  it("dynamicASN: internal accepts only our AS, external any other", () => {
    const { peerAsn: _, ...noPeer } = config;
    const internal = { ...noPeer, dynamicAsn: "internal" as const };
    const external = { ...noPeer, dynamicAsn: "external" as const };
    expect(answer(peerOpen({ asn: 64513 }), internal)).toBeUndefined();
    expect(answer(peerOpen({ asn: 64512 }), internal)).toEqual({ code: 2, subcode: 2 });
    expect(answer(peerOpen({ asn: 65000 }), external)).toBeUndefined();
    expect(answer(peerOpen({ asn: 64513 }), external)).toEqual({ code: 2, subcode: 2 });
    expect(answer(peerOpen(), noPeer)).toEqual({ code: 2, subcode: 2 });
  });

  it("iBGP peer with our BGP Identifier: 2/3; eBGP may share it", () => {
    const ibgp = { ...config, peerAsn: 64513 };
    expect(answer(peerOpen({ asn: 64513, bgpId: "192.0.2.11" }), ibgp)).toEqual({
      code: 2,
      subcode: 3,
    });
    expect(answer(peerOpen({ asn: 64513, bgpId: "192.0.2.12" }), ibgp)).toBeUndefined();
    expect(answer(peerOpen({ bgpId: "192.0.2.11" }))).toBeUndefined();
  });

  it("no family in common: 2/7 naming our multiprotocol capability", () => {
    const v6only = {
      ...peerOpen(),
      capabilities: [{ kind: "multiprotocol", afi: 2, safi: 1 } as const],
    };
    const c = { ...config, capabilities: [{ kind: "multiprotocol", afi: 1, safi: 1 } as const] };
    const r = step(c, openSent, open(v6only));
    const n = r.actions.find((a) => a.type === "sendNotification");
    expect(n?.notification).toEqual({
      code: 2,
      subcode: 7,
      data: Uint8Array.of(1, 4, 0, 1, 0, 1),
    });
    expect(r.snapshot.state).toBe("Idle");
  });

  it("hold time 1 or 2 from the peer: 2/6 Unacceptable Hold Time", () => {
    for (const hold of [1, 2]) {
      const good = encodeOpen(peerOpen());
      good[22] = 0;
      good[23] = hold; // the Hold Time field; encodeOpen refuses these values
      const frames = new MessageSplitter().push(good);
      const e = eventFromFrame(frames[0] ?? { ok: false, notification: never() }, openSent);
      expect(e).toMatchObject({ type: "decodeError", notification: { code: 2, subcode: 6 } });
      const r = step(config, openSent, e);
      expect(sent(r.actions)).toEqual({ code: 2, subcode: 6 });
      expect(r.snapshot.state).toBe("Idle");
    }
  });
});

function never(): never {
  throw new Error("no frame");
}

describe("errors and unexpected messages (RFC 6608, §6)", () => {
  it("KEEPALIVE in OpenSent → 5/1; UPDATE in OpenConfirm → 5/2; OPEN in Established → 5/3", () => {
    expect(sent(run(toEstablished.slice(0, 2)).actions)).toBeUndefined();
    expect(sent(step(config, run(toEstablished.slice(0, 2)).snapshot, keepalive).actions)).toEqual({
      code: 5,
      subcode: 1,
    });
    const update = { type: "update", withdrawn: [], attributes: {}, nlri: [] } as const;
    const confirm = run(toEstablished.slice(0, 3)).snapshot;
    expect(sent(step(config, confirm, { type: "message", message: update }).actions)).toEqual({
      code: 5,
      subcode: 2,
    });
    expect(sent(step(config, established, open(peerOpen())).actions)).toEqual({
      code: 5,
      subcode: 3,
    });
  });

  it("NOTIFICATION from the peer: close without answering, down with its code", () => {
    const n = { type: "notification", code: 6, subcode: 2, data: new Uint8Array(0) } as const;
    const r = step(config, established, { type: "message", message: n });
    expect(r.snapshot.state).toBe("Idle");
    expect(sent(r.actions)).toBeUndefined();
    expect(r.actions).toContainEqual({
      type: "down",
      reason: { kind: "notificationReceived", notification: { code: 6, subcode: 2, data: n.data } },
    });
  });

  it("decode error: the codec's NOTIFICATION is sent, then the connection closed", () => {
    const notification = { code: 3, subcode: 1, data: new Uint8Array(0) };
    const r = step(config, established, { type: "decodeError", notification });
    expect(r.actions.slice(0, 2)).toEqual([
      { type: "sendNotification", notification },
      { type: "dropConnection" },
    ]);
  });

  it("connection lost in Established: Idle, down, restart scheduled, counter counts", () => {
    const r = step(config, established, { type: "tcpConnectionFails", reason: "reset" });
    expect(r.snapshot).toMatchObject({ state: "Idle", connectRetryCounter: 1, stopped: false });
    expect(r.actions).toContainEqual({
      type: "down",
      reason: { kind: "connectionLost", reason: "reset" },
    });
  });

  it("ManualStop: Cease sent when connected, no restart, later timers ignored", () => {
    const cease = { code: 6, subcode: 2, data: new Uint8Array(0) };
    const r = step(config, established, { type: "manualStop", notification: cease });
    expect(r.snapshot).toEqual({ state: "Idle", connectRetryCounter: 0, stopped: true });
    expect(r.actions[0]).toEqual({ type: "sendNotification", notification: cease });
    expect(r.actions).toContainEqual({ type: "down", reason: { kind: "stopped" } });
    expect(r.actions.some((a) => a.type === "startTimer")).toBe(false);
    expect(step(config, r.snapshot, timer("idleHold")).snapshot.state).toBe("Idle");
    const connecting = run([{ type: "manualStart" }]).snapshot;
    expect(
      sent(step(config, connecting, { type: "manualStop", notification: cease }).actions),
    ).toBe(undefined);
  });

  it("Idle refuses a stray connection and ignores messages", () => {
    expect(step(config, initialSnapshot, { type: "tcpConnectionConfirmed" }).actions).toEqual([
      { type: "dropConnection" },
    ]);
    expect(step(config, initialSnapshot, keepalive).actions).toEqual([]);
  });
});

describe("fuzz: any bytes from the peer", () => {
  /** What the session does with received bytes: split, decode, step, stop at a close. */
  function feed(
    s: FsmSnapshot,
    chunks: readonly Uint8Array[],
  ): { snapshot: FsmSnapshot; actions: FsmAction[] } {
    const splitter = new MessageSplitter();
    let snapshot = s;
    const actions: FsmAction[] = [];
    for (const chunk of chunks) {
      for (const frame of splitter.push(chunk)) {
        const t = step(config, snapshot, eventFromFrame(frame, snapshot));
        snapshot = t.snapshot;
        actions.push(...t.actions);
        if (snapshot.state === "Idle") return { snapshot, actions };
      }
    }
    return { snapshot, actions };
  }

  const states: FsmSnapshot[] = [
    run(toEstablished.slice(0, 2)).snapshot,
    run(toEstablished.slice(0, 3)).snapshot,
    established,
  ];

  it("never throws; whenever the session ends it sent a NOTIFICATION (or got one) and closed", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...states),
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        (s, chunks) => {
          const r = feed(s, chunks);
          if (r.snapshot.state !== "Idle") return;
          const drop = r.actions.findIndex((a) => a.type === "dropConnection");
          const notify = r.actions.findIndex((a) => a.type === "sendNotification");
          const down = r.actions.find((a) => a.type === "down");
          expect(drop).toBeGreaterThanOrEqual(0);
          if (down?.reason.kind !== "notificationReceived") {
            expect(notify).toBeGreaterThanOrEqual(0);
            expect(notify).toBeLessThan(drop);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("a valid header with a random body: NOTIFICATION + close, or a message the FSM accepts", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...states),
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ maxLength: 200 }),
        (s, type, body) => {
          const frame = new Uint8Array(19 + body.length);
          frame.fill(0xff, 0, 16);
          frame[16] = frame.length >> 8;
          frame[17] = frame.length & 0xff;
          frame[18] = type;
          frame.set(body, 19);
          const r = feed(s, [frame]);
          expect(["Idle", s.state, "OpenConfirm", "Established"]).toContain(r.snapshot.state);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("bad marker → 1/1; bad length → 1/2; unknown type → 1/3", () => {
    const junk = new Uint8Array(19).fill(0);
    expect(sent(feed(established, [junk]).actions)).toEqual({ code: 1, subcode: 1 });
    const long = encodeKeepalive();
    long[17] = 5;
    expect(sent(feed(established, [long]).actions)).toEqual({ code: 1, subcode: 2 });
    const type = encodeKeepalive();
    type[18] = 9;
    expect(sent(feed(established, [type]).actions)).toEqual({ code: 1, subcode: 3 });
  });

  it("well-formed traffic in pieces keeps the session up", () => {
    const bytes = [
      ...encodeKeepalive(),
      ...encodeEndOfRib(1),
      ...encodeRouteRefresh({ afi: 1, safi: 1, subtype: 0 }),
    ];
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 6 }), (cuts) => {
        const points = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
        const chunks = points.slice(1).map((p, i) => Uint8Array.from(bytes.slice(points[i], p)));
        const r = feed(established, chunks);
        expect(r.snapshot.state).toBe("Established");
        expect(r.actions.filter((a) => a.type === "deliverUpdate")).toHaveLength(1);
      }),
    );
    expect(
      sent(
        feed(established, [encodeNotification({ code: 6, subcode: 4, data: new Uint8Array(0) })])
          .actions,
      ),
    ).toBeUndefined();
  });
});
