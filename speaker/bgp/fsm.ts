// RFC 4271 §8 BGP finite state machine, pure: (state, event) → (state, actions).
// No sockets, no timers, no clock: the session adapter (session.ts) runs the
// actions and turns socket data and timer expiries into events.
//
// Deliberate simplifications (RFC 4271 §8.1.1 lists them as optional):
// - No connection collision detection (§6.8): one session owns one connection.
//   An incoming connection in Connect or Active is Event 17 like our own
//   dial's success (tcpConnectionConfirmed); from OpenSent on, the adapter
//   (session.ts `accept`) closes any further one before it reaches the FSM.
// - No DelayOpen, no SendNOTIFICATIONwithoutOPEN, no peer oscillation damping
//   beyond the IdleHold backoff below.
// - Automatic restart (§8.1.1 AutomaticStart): after an error the FSM goes to
//   Idle and starts the IdleHold timer with exponential backoff and jitter
//   (core/backoff.ts); its expiry restarts the session. ManualStop never restarts.

import { backoffDelay } from "../../core/backoff.ts";
import { Afi, ErrorCode, FsmError, OpenError, Safi } from "./constants.ts";
import { encodeCapability, type Capability } from "./capabilities.ts";
import { decodeMessage, type BgpMessage, type RouteRefreshMessage } from "./messages.ts";
import { negotiate, type Negotiated } from "./negotiate.ts";
import type { NotificationValue } from "./notification-error.ts";
import type { OpenMessage } from "./open.ts";
import type { Frame } from "./splitter.ts";
import type { UpdateMessage } from "./update.ts";

export type FsmState = "Idle" | "Connect" | "Active" | "OpenSent" | "OpenConfirm" | "Established";

export type TimerName = "connectRetry" | "hold" | "keepalive" | "idleHold";

/** Which peer ASNs an OPEN may carry when `peerAsn` is not fixed (MetalLB `dynamicASN`). */
export type DynamicAsn = "internal" | "external";

export interface FsmConfig {
  readonly localAsn: number;
  /** Fixed peer ASN; when absent, `dynamicAsn` decides. */
  readonly peerAsn?: number;
  readonly dynamicAsn?: DynamicAsn;
  /** Our BGP Identifier (dotted quad, MetalLB `routerID`). */
  readonly routerId: string;
  /** Seconds we offer; 0 or ≥ 3 (RFC 4271 §4.2). */
  readonly holdTime: number;
  /** Seconds; when absent hold/3 (§10). Never more than negotiated hold/3. */
  readonly keepaliveTime?: number;
  /** Seconds between connection attempts (§10 suggests 120; MetalLB uses `connectTime`). */
  readonly connectRetryTime: number;
  /** Upper bound of the backoff, seconds. */
  readonly maxRetryTime?: number;
  /** Only wait for the peer to connect (§8.1.1 PassiveTcpEstablishment). */
  readonly passive: boolean;
  /** Capabilities in our OPEN (families, 4-octet AS, route refresh, graceful restart). */
  readonly capabilities: readonly Capability[];
  /** For jitter; Math.random when absent. Injected so tests are deterministic. */
  readonly random?: () => number;
}

/** What the FSM remembers between events. Immutable: each step returns a new one. */
export interface FsmSnapshot {
  readonly state: FsmState;
  /** §8.1.2 ConnectRetryCounter: failures since the last ManualStart or Established. */
  readonly connectRetryCounter: number;
  readonly peerOpen?: OpenMessage;
  readonly negotiated?: Negotiated;
  /** Set by ManualStop: no automatic restart. */
  readonly stopped: boolean;
}

export type FsmEvent =
  | { readonly type: "manualStart" }
  | { readonly type: "manualStop"; readonly notification?: NotificationValue }
  /** Our outgoing connection succeeded, or a listener handed us an accepted one (§8.1.3 Events 16/17). */
  | { readonly type: "tcpConnectionConfirmed" }
  | { readonly type: "tcpConnectionFails"; readonly reason: string }
  | { readonly type: "message"; readonly message: BgpMessage }
  /** A frame failed to decode: the NOTIFICATION the codec says to send (§6). */
  | { readonly type: "decodeError"; readonly notification: NotificationValue }
  | { readonly type: "timerExpired"; readonly timer: TimerName };

export type DownReason =
  | { readonly kind: "notificationSent"; readonly notification: NotificationValue }
  | { readonly kind: "notificationReceived"; readonly notification: NotificationValue }
  | { readonly kind: "connectionLost"; readonly reason: string }
  | { readonly kind: "stopped" };

export type FsmAction =
  | { readonly type: "connect" }
  | { readonly type: "dropConnection" }
  | { readonly type: "sendOpen"; readonly open: OpenMessage }
  | { readonly type: "sendKeepalive" }
  | { readonly type: "sendNotification"; readonly notification: NotificationValue }
  | { readonly type: "startTimer"; readonly timer: TimerName; readonly ms: number }
  | { readonly type: "stopTimer"; readonly timer: TimerName }
  | { readonly type: "established"; readonly negotiated: Negotiated; readonly peer: OpenMessage }
  | { readonly type: "deliverUpdate"; readonly update: UpdateMessage }
  | { readonly type: "routeRefreshRequested"; readonly request: RouteRefreshMessage }
  /** The session left OpenSent/OpenConfirm/Established (or failed to connect). */
  | { readonly type: "down"; readonly reason: DownReason };

export interface Transition {
  readonly snapshot: FsmSnapshot;
  readonly actions: readonly FsmAction[];
}

/** §8.2.2: "a large value (4 minutes is suggested)" for the hold timer until the OPEN arrives. */
export const OPEN_SENT_HOLD_MS = 240_000;
const DEFAULT_MAX_RETRY_S = 120;

export const initialSnapshot: FsmSnapshot = {
  state: "Idle",
  connectRetryCounter: 0,
  stopped: true,
};

const ALL_TIMERS: readonly TimerName[] = ["connectRetry", "hold", "keepalive", "idleHold"];

export function localOpen(config: FsmConfig): OpenMessage {
  return {
    type: "open",
    asn: config.localAsn,
    holdTime: config.holdTime,
    bgpId: config.routerId,
    capabilities: config.capabilities,
  };
}

/**
 * Connect-retry / restart delay: "equal jitter" on top of core/backoff.ts, so
 * the wait is never below half the configured time (no hot loop) and speakers
 * that failed together do not all retry together.
 */
export function retryDelayMs(config: FsmConfig, attempt: number): number {
  const baseMs = Math.max(1, config.connectRetryTime * 1000);
  const maxMs = Math.max(baseMs, (config.maxRetryTime ?? DEFAULT_MAX_RETRY_S) * 1000);
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  const jitter = backoffDelay(Math.min(attempt, 30), {
    baseMs: baseMs / 2,
    maxMs: maxMs / 2,
    ...(config.random === undefined ? {} : { random: config.random }),
  });
  return Math.floor(ceiling / 2 + jitter);
}

/** Negotiated keepalive in ms: the configured time, but at most hold/3 (§4.4, §10). */
export function keepaliveMs(config: FsmConfig, holdTime: number): number {
  const third = Math.floor((holdTime * 1000) / 3);
  if (config.keepaliveTime === undefined || config.keepaliveTime <= 0) return third;
  return Math.min(config.keepaliveTime * 1000, third);
}

const notification = (code: number, subcode: number, data?: Uint8Array): NotificationValue => ({
  code,
  subcode,
  data: data ?? new Uint8Array(0),
});

/** §6.2 checks that need configuration: peer AS (2/2), BGP Identifier (2/3), common families (2/7). */
export function checkOpen(config: FsmConfig, peer: OpenMessage): NotificationValue | undefined {
  if (!peerAsnAcceptable(config, peer.asn)) {
    return notification(ErrorCode.openMessage, OpenError.badPeerAs);
  }
  // RFC 6286 §2.2: equal identifiers are an error only between internal peers.
  if (peer.asn === config.localAsn && peer.bgpId === config.routerId) {
    return notification(ErrorCode.openMessage, OpenError.badBgpIdentifier);
  }
  const agreed = negotiate(localOpen(config), peer);
  if (agreed.families.length === 0) {
    // RFC 5492 §5: name the capability we need (our first multiprotocol one).
    const wanted = config.capabilities.find((c) => c.kind === "multiprotocol") ?? {
      kind: "multiprotocol" as const,
      afi: Afi.ipv4,
      safi: Safi.unicast,
    };
    return notification(
      ErrorCode.openMessage,
      OpenError.unsupportedCapability,
      encodeCapability(wanted),
    );
  }
  return undefined;
}

function peerAsnAcceptable(config: FsmConfig, asn: number): boolean {
  if (config.peerAsn !== undefined) return asn === config.peerAsn;
  if (config.dynamicAsn === "internal") return asn === config.localAsn;
  if (config.dynamicAsn === "external") return asn !== config.localAsn;
  return false;
}

const stopTimers = (timers: readonly TimerName[]): FsmAction[] =>
  timers.map((timer) => ({ type: "stopTimer", timer }));

/** Enter Connect (active) or Active (passive), as ManualStart and IdleHold expiry do (§8.2.2 Idle). */
function start(config: FsmConfig, s: FsmSnapshot): Transition {
  const base = { state: s.state, connectRetryCounter: s.connectRetryCounter, stopped: false };
  if (config.passive) {
    return { snapshot: { ...base, state: "Active" }, actions: [] };
  }
  return {
    snapshot: { ...base, state: "Connect" },
    actions: [
      {
        type: "startTimer",
        timer: "connectRetry",
        ms: retryDelayMs(config, s.connectRetryCounter),
      },
      { type: "connect" },
    ],
  };
}

/**
 * Every error path of §8.2.2: optionally send a NOTIFICATION, drop the
 * connection, stop the timers, count the failure and go to Idle. The IdleHold
 * timer then restarts the session (automatic restart) unless stopped.
 */
function fail(
  config: FsmConfig,
  s: FsmSnapshot,
  reason: DownReason,
  send?: NotificationValue,
): Transition {
  const counter = s.connectRetryCounter + 1;
  const actions: FsmAction[] = [];
  if (send !== undefined) actions.push({ type: "sendNotification", notification: send });
  actions.push({ type: "dropConnection" }, ...stopTimers(ALL_TIMERS), { type: "down", reason });
  if (!s.stopped) {
    actions.push({ type: "startTimer", timer: "idleHold", ms: retryDelayMs(config, counter) });
  }
  return {
    snapshot: {
      state: "Idle",
      connectRetryCounter: counter,
      stopped: s.stopped,
    },
    actions,
  };
}

const sentNotification = (config: FsmConfig, s: FsmSnapshot, n: NotificationValue): Transition =>
  fail(config, s, { kind: "notificationSent", notification: n }, n);

function manualStop(s: FsmSnapshot, n: NotificationValue | undefined): Transition {
  const connected =
    s.state === "OpenSent" || s.state === "OpenConfirm" || s.state === "Established";
  const actions: FsmAction[] = [];
  if (connected && n !== undefined) actions.push({ type: "sendNotification", notification: n });
  actions.push({ type: "dropConnection" }, ...stopTimers(ALL_TIMERS));
  if (s.state !== "Idle") actions.push({ type: "down", reason: { kind: "stopped" } });
  // §8.2.2: ManualStop sets the ConnectRetryCounter to zero.
  return { snapshot: { state: "Idle", connectRetryCounter: 0, stopped: true }, actions };
}

function onIdle(config: FsmConfig, s: FsmSnapshot, e: FsmEvent): Transition {
  if (e.type === "manualStart") return start(config, { ...s, connectRetryCounter: 0 });
  if (e.type === "timerExpired" && e.timer === "idleHold" && !s.stopped) return start(config, s);
  // §8.2.2 Idle: every other event is ignored (a stray connection is refused).
  if (e.type === "tcpConnectionConfirmed") {
    return { snapshot: s, actions: [{ type: "dropConnection" }] };
  }
  return { snapshot: s, actions: [] };
}

function connected(config: FsmConfig, s: FsmSnapshot): Transition {
  return {
    snapshot: { ...s, state: "OpenSent" },
    actions: [
      { type: "stopTimer", timer: "connectRetry" },
      { type: "sendOpen", open: localOpen(config) },
      { type: "startTimer", timer: "hold", ms: OPEN_SENT_HOLD_MS },
    ],
  };
}

/** Connect and Active (§8.2.2): waiting for a TCP connection. */
function onConnecting(config: FsmConfig, s: FsmSnapshot, e: FsmEvent): Transition {
  switch (e.type) {
    case "tcpConnectionConfirmed":
      return connected(config, s);
    case "tcpConnectionFails": {
      // Connect → Active, wait out the ConnectRetry timer already running.
      const next = s.state === "Connect" ? "Active" : s.state;
      return {
        snapshot: { ...s, state: next, connectRetryCounter: s.connectRetryCounter + 1 },
        actions: [{ type: "dropConnection" }],
      };
    }
    case "timerExpired":
      return onConnectingTimer(config, s, e.timer);
    case "manualStart":
    case "manualStop":
    case "message":
    case "decodeError":
      // Messages cannot arrive without a connection; anything else is an FSM error.
      return fail(config, s, { kind: "connectionLost", reason: `unexpected ${e.type}` });
  }
}

function onConnectingTimer(config: FsmConfig, s: FsmSnapshot, timer: TimerName): Transition {
  if (timer !== "connectRetry" || config.passive) return { snapshot: s, actions: [] };
  return {
    snapshot: { ...s, state: "Connect" },
    actions: [
      { type: "dropConnection" },
      {
        type: "startTimer",
        timer: "connectRetry",
        ms: retryDelayMs(config, s.connectRetryCounter),
      },
      { type: "connect" },
    ],
  };
}

function onTimerConnected(config: FsmConfig, s: FsmSnapshot, timer: TimerName): Transition {
  if (timer === "hold") {
    return sentNotification(config, s, notification(ErrorCode.holdTimerExpired, 0));
  }
  if (timer === "keepalive" && s.negotiated !== undefined && s.negotiated.holdTime > 0) {
    return {
      snapshot: s,
      actions: [
        { type: "sendKeepalive" },
        { type: "startTimer", timer: "keepalive", ms: keepaliveMs(config, s.negotiated.holdTime) },
      ],
    };
  }
  return { snapshot: s, actions: [] };
}

/** Events every connected state handles the same way. */
function common(config: FsmConfig, s: FsmSnapshot, e: FsmEvent): Transition | undefined {
  switch (e.type) {
    case "tcpConnectionFails":
      return fail(config, s, { kind: "connectionLost", reason: e.reason });
    case "decodeError":
      return sentNotification(config, s, e.notification);
    case "timerExpired":
      return onTimerConnected(config, s, e.timer);
    case "message":
      if (e.message.type === "notification") {
        const { code, subcode, data } = e.message;
        return fail(config, s, {
          kind: "notificationReceived",
          notification: { code, subcode, data },
        });
      }
      return undefined;
    case "manualStart":
    case "manualStop":
    case "tcpConnectionConfirmed":
      return undefined;
  }
}

function onOpen(config: FsmConfig, s: FsmSnapshot, peer: OpenMessage): Transition {
  const error = checkOpen(config, peer);
  if (error !== undefined) return sentNotification(config, s, error);
  const negotiated = negotiate(localOpen(config), peer);
  const actions: FsmAction[] = [
    { type: "stopTimer", timer: "connectRetry" },
    { type: "sendKeepalive" },
  ];
  if (negotiated.holdTime > 0) {
    actions.push(
      { type: "startTimer", timer: "keepalive", ms: keepaliveMs(config, negotiated.holdTime) },
      { type: "startTimer", timer: "hold", ms: negotiated.holdTime * 1000 },
    );
  } else {
    // Hold time 0: neither KEEPALIVEs nor a hold timer (§4.4).
    actions.push(...stopTimers(["keepalive", "hold"]));
  }
  return { snapshot: { ...s, state: "OpenConfirm", peerOpen: peer, negotiated }, actions };
}

const restartHold = (s: FsmSnapshot): FsmAction[] =>
  s.negotiated !== undefined && s.negotiated.holdTime > 0
    ? [{ type: "startTimer", timer: "hold", ms: s.negotiated.holdTime * 1000 }]
    : [];

function onOpenSent(config: FsmConfig, s: FsmSnapshot, e: FsmEvent): Transition {
  const shared = common(config, s, e);
  if (shared !== undefined) return shared;
  if (e.type === "message" && e.message.type === "open") return onOpen(config, s, e.message);
  // RFC 6608 §4: anything but OPEN or NOTIFICATION in OpenSent is 5/1.
  return sentNotification(
    config,
    s,
    notification(ErrorCode.fsm, FsmError.unexpectedMessageInOpenSent),
  );
}

function onOpenConfirm(config: FsmConfig, s: FsmSnapshot, e: FsmEvent): Transition {
  const shared = common(config, s, e);
  if (shared !== undefined) return shared;
  const { negotiated, peerOpen } = s;
  if (
    e.type === "message" &&
    e.message.type === "keepalive" &&
    negotiated !== undefined &&
    peerOpen !== undefined
  ) {
    return {
      snapshot: { ...s, state: "Established", connectRetryCounter: 0 },
      actions: [...restartHold(s), { type: "established", negotiated, peer: peerOpen }],
    };
  }
  // Without collision detection an OPEN here is unexpected too (RFC 6608 5/2).
  return sentNotification(
    config,
    s,
    notification(ErrorCode.fsm, FsmError.unexpectedMessageInOpenConfirm),
  );
}

function onEstablished(config: FsmConfig, s: FsmSnapshot, e: FsmEvent): Transition {
  const shared = common(config, s, e);
  if (shared !== undefined) return shared;
  if (e.type === "message") {
    const m = e.message;
    if (m.type === "keepalive") return { snapshot: s, actions: restartHold(s) };
    if (m.type === "update") {
      return { snapshot: s, actions: [...restartHold(s), { type: "deliverUpdate", update: m }] };
    }
    if (m.type === "routeRefresh") {
      return {
        snapshot: s,
        actions: [...restartHold(s), { type: "routeRefreshRequested", request: m }],
      };
    }
  }
  return sentNotification(
    config,
    s,
    notification(ErrorCode.fsm, FsmError.unexpectedMessageInEstablished),
  );
}

/** One FSM step. Never throws for any event in any state. */
export function step(config: FsmConfig, s: FsmSnapshot, e: FsmEvent): Transition {
  if (e.type === "manualStop") return manualStop(s, e.notification);
  if (e.type === "manualStart" && s.state !== "Idle") return { snapshot: s, actions: [] };
  switch (s.state) {
    case "Idle":
      return onIdle(config, s, e);
    case "Connect":
    case "Active":
      return onConnecting(config, s, e);
    case "OpenSent":
      return onOpenSent(config, s, e);
    case "OpenConfirm":
      return onOpenConfirm(config, s, e);
    case "Established":
      return onEstablished(config, s, e);
  }
}

/**
 * One frame from the splitter as an FSM event: a message, or the NOTIFICATION
 * the codec says to answer with. Before negotiation only OPEN and
 * NOTIFICATION are legal, and they decode the same for either AS width.
 */
export function eventFromFrame(frame: Frame, s: FsmSnapshot): FsmEvent {
  if (!frame.ok) return { type: "decodeError", notification: frame.notification };
  const decoded = decodeMessage(frame.frame, { fourOctetAs: s.negotiated?.fourOctetAs ?? true });
  return decoded.ok
    ? { type: "message", message: decoded.message }
    : { type: "decodeError", notification: decoded.notification };
}
