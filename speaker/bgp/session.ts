// The thin adapter around the pure FSM (fsm.ts): one BGP session to one peer
// over one TCP connection. It owns the socket, the timers and the Adj-RIB-Out;
// every decision is the FSM's. Active sessions dial out through a pluggable
// `connect` (the speaker's native addon adds TCP MD5 and TTL there); a
// listener hands inbound connections to `accept`, which passive sessions
// wait for and active ones take while they are still dialling.

import { EventEmitter } from "node:events";
import net from "node:net";
import type { Duplex } from "node:stream";
import { isIPv4, isIPv6 } from "node:net";
import {
  buildRib,
  diffRib,
  fullTable,
  type AdvertisedRoute,
  type PeerView,
  type Rib,
  type RibDiff,
} from "./adj-rib-out.ts";
import type { Capability } from "./capabilities.ts";
import { Afi, CeaseSubcode, MessageType, Safi } from "./constants.ts";
import {
  eventFromFrame,
  initialSnapshot,
  step,
  type DownReason,
  type DynamicAsn,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmSnapshot,
  type FsmState,
  type TimerName,
} from "./fsm.ts";
import { encodeKeepalive, encodeRouteRefresh } from "./messages.ts";
import type { Negotiated } from "./negotiate.ts";
import { describeNotification, encodeNotification, shutdownNotification } from "./notification.ts";
import { encodeOpen, type OpenMessage } from "./open.ts";
import { MessageSplitter } from "./splitter.ts";
import type { UpdateMessage } from "./update.ts";
import { endOfRibMarkers, packDiff } from "./update-packer.ts";

/** A connected byte stream; `localAddress` picks the default next hop. */
export type BgpTransport = Duplex & { readonly localAddress?: string | undefined };

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** Opens the TCP connection. The lead plugs the addon's MD5/TTL connect in here. */
export type ConnectFn = (opts: ConnectOptions) => Promise<BgpTransport>;

export type AddressFamily = "ipv4" | "ipv6";

export interface SessionOptions {
  readonly peerAddress: string;
  /** Default 179. */
  readonly peerPort?: number;
  /** Local address to connect from (MetalLB `sourceAddress`). */
  readonly sourceAddress?: string;
  readonly localAsn: number;
  readonly peerAsn?: number;
  readonly dynamicAsn?: DynamicAsn;
  readonly routerId: string;
  /** Seconds, default 90. */
  readonly holdTime?: number;
  readonly keepaliveTime?: number;
  /** Seconds between connection attempts, default 10 (with backoff and jitter up to `maxRetryTime`). */
  readonly connectRetryTime?: number;
  readonly maxRetryTime?: number;
  /** TCP connect timeout in ms (MetalLB `connectTime`), default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Families in our OPEN; default both. */
  readonly families?: readonly AddressFamily[];
  /** RFC 4724 graceful restart capability. */
  readonly gracefulRestart?: { readonly restartTime: number; readonly restarting?: boolean };
  readonly passive?: boolean;
  /** NEXT_HOP for IPv4 prefixes; default: the connection's local address when IPv4. */
  readonly ipv4NextHop?: string;
  /** IPv6 next hops; default: the connection's local address when IPv6. */
  readonly ipv6NextHops?: readonly string[];
  readonly connect?: ConnectFn;
  /** Aborting stops the session with Cease/Administrative Shutdown (RFC 4486, RFC 9003). */
  readonly signal?: AbortSignal;
  readonly random?: () => number;
}

/** Plain counters for MetalLB's metric names (the speaker wires prom-client). */
export interface SessionCounters {
  opensSent: number;
  opensReceived: number;
  updatesSent: number;
  updatesReceived: number;
  notificationsSent: number;
  notificationsReceived: number;
  keepalivesSent: number;
  keepalivesReceived: number;
  routeRefreshSent: number;
  routeRefreshReceived: number;
  totalSent: number;
  totalReceived: number;
  /** Prefixes the peer currently holds from us (metallb_bgp_announced_prefixes_total). */
  announcedPrefixes: number;
  /** Times the session reached Established. */
  establishedTransitions: number;
}

export interface SessionEvents {
  state: [from: FsmState, to: FsmState];
  established: [negotiated: Negotiated, peer: OpenMessage];
  down: [reason: DownReason];
  update: [update: UpdateMessage];
}

const SENT_COUNTER: Partial<Record<number, keyof SessionCounters>> = {
  [MessageType.open]: "opensSent",
  [MessageType.update]: "updatesSent",
  [MessageType.notification]: "notificationsSent",
  [MessageType.keepalive]: "keepalivesSent",
  [MessageType.routeRefresh]: "routeRefreshSent",
};
const RECEIVED_COUNTER: Partial<Record<string, keyof SessionCounters>> = {
  open: "opensReceived",
  update: "updatesReceived",
  notification: "notificationsReceived",
  keepalive: "keepalivesReceived",
  routeRefresh: "routeRefreshReceived",
};

/** Default connect: plain TCP from `localAddress`. */
export const tcpConnect: ConnectFn = (opts) =>
  new Promise((resolve, reject) => {
    const socket = net.connect({
      host: opts.host,
      port: opts.port,
      ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }),
      timeout: opts.timeoutMs,
    });
    const fail = (e: Error): void => {
      socket.destroy();
      reject(e);
    };
    socket.once("error", fail);
    socket.once("timeout", () => {
      fail(new Error(`connect to ${opts.host}:${opts.port} timed out`));
    });
    opts.signal.addEventListener("abort", () => {
      fail(new Error("aborted"));
    });
    socket.once("connect", () => {
      socket.off("error", fail);
      socket.setTimeout(0);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });

function capabilities(o: SessionOptions): Capability[] {
  const families = o.families ?? ["ipv4", "ipv6"];
  const afis = families.map((f) => (f === "ipv4" ? Afi.ipv4 : Afi.ipv6));
  const caps: Capability[] = afis.map((afi) => ({
    kind: "multiprotocol",
    afi,
    safi: Safi.unicast,
  }));
  caps.push({ kind: "routeRefresh" }, { kind: "fourOctetAs", asn: o.localAsn });
  if (o.gracefulRestart !== undefined) {
    caps.push({
      kind: "gracefulRestart",
      flags: o.gracefulRestart.restarting === true ? 0x8 : 0,
      restartTime: o.gracefulRestart.restartTime,
      // F bit: the node keeps forwarding the Service while the speaker restarts.
      families: afis.map((afi) => ({ afi, safi: Safi.unicast, forwardingState: true })),
    });
  }
  return caps;
}

export function fsmConfig(o: SessionOptions): FsmConfig {
  return {
    localAsn: o.localAsn,
    ...(o.peerAsn === undefined ? {} : { peerAsn: o.peerAsn }),
    ...(o.dynamicAsn === undefined ? {} : { dynamicAsn: o.dynamicAsn }),
    routerId: o.routerId,
    holdTime: o.holdTime ?? 90,
    ...(o.keepaliveTime === undefined ? {} : { keepaliveTime: o.keepaliveTime }),
    connectRetryTime: o.connectRetryTime ?? 10,
    ...(o.maxRetryTime === undefined ? {} : { maxRetryTime: o.maxRetryTime }),
    passive: o.passive ?? false,
    capabilities: capabilities(o),
    ...(o.random === undefined ? {} : { random: o.random }),
  };
}

const emptyCounters = (): SessionCounters => ({
  opensSent: 0,
  opensReceived: 0,
  updatesSent: 0,
  updatesReceived: 0,
  notificationsSent: 0,
  notificationsReceived: 0,
  keepalivesSent: 0,
  keepalivesReceived: 0,
  routeRefreshSent: 0,
  routeRefreshReceived: 0,
  totalSent: 0,
  totalReceived: 0,
  announcedPrefixes: 0,
  establishedTransitions: 0,
});

/** A socket's address as configured: v4-mapped IPv6 (a dual-stack socket's view of IPv4) as IPv4, no zone. */
export function plainAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  return address.replace(/%.*$/, "");
}

type ActionHandlers = {
  readonly [K in FsmAction["type"]]: (action: Extract<FsmAction, { type: K }>) => void;
};

/** Default next hops: configured, else the connection's own local address of that family. */
function nextHops(
  o: SessionOptions,
  localAddress: string | undefined,
): Pick<PeerView, "ipv4NextHop" | "ipv6NextHops"> {
  const local = plainAddress(localAddress);
  const v4 = o.ipv4NextHop ?? (local !== undefined && isIPv4(local) ? local : undefined);
  const v6 = o.ipv6NextHops ?? (local !== undefined && isIPv6(local) ? [local] : undefined);
  return {
    ...(v4 === undefined ? {} : { ipv4NextHop: v4 }),
    ...(v6 === undefined ? {} : { ipv6NextHops: v6 }),
  };
}

export class BgpSession extends EventEmitter<SessionEvents> {
  readonly options: SessionOptions;
  readonly counters: SessionCounters = emptyCounters();
  readonly #config: FsmConfig;
  readonly #connect: ConnectFn;
  #snapshot: FsmSnapshot = initialSnapshot;
  #socket: BgpTransport | undefined;
  #splitter = new MessageSplitter();
  #connectAbort: AbortController | undefined;
  readonly #timers = new Map<TimerName, NodeJS.Timeout>();
  #queue: FsmEvent[] = [];
  #dispatching = false;
  #routes: readonly AdvertisedRoute[] = [];
  #view: PeerView | undefined;
  #sent: Rib = new Map();
  #closed: Promise<void> = Promise.resolve();

  constructor(options: SessionOptions) {
    super();
    this.options = options;
    this.#config = fsmConfig(options);
    this.#connect = options.connect ?? tcpConnect;
    options.signal?.addEventListener("abort", () => {
      void this.stop("shutdown");
    });
  }

  get state(): FsmState {
    return this.#snapshot.state;
  }

  get negotiated(): Negotiated | undefined {
    return this.#snapshot.state === "Established" ? this.#snapshot.negotiated : undefined;
  }

  /** ManualStart (§8.1.2 Event 1): dial out, or wait for `accept` when passive. */
  start(): void {
    if (this.options.signal?.aborted === true) return;
    this.#dispatch({ type: "manualStart" });
  }

  /**
   * ManualStop with Cease/Administrative Shutdown and an RFC 9003 message.
   * Resolves when the NOTIFICATION has been flushed and the socket closed.
   */
  stop(reason = ""): Promise<void> {
    const text = new TextEncoder().encode(reason).length > 255 ? "" : reason;
    this.#dispatch({
      type: "manualStop",
      notification: shutdownNotification(CeaseSubcode.administrativeShutdown, text),
    });
    return this.#closed;
  }

  /**
   * A listener accepted this connection from the peer. Taken in Connect (the
   * outgoing dial is aborted) and Active, where RFC 4271 §8.2.2 moves to
   * OpenSent on an incoming connection (Event 17) as on an outgoing one.
   * Closed at once in every other state: Idle refuses connections (§8.2.2),
   * and from OpenSent on this session already has a connection.
   *
   * That last case is a simplification of §6.8 collision detection, which
   * would keep both connections until an OPEN arrives and then compare BGP
   * Identifiers. Closing the newer one before any OPEN on it is safe: the
   * peer sees it fail as a plain connection failure (a §6.8 peer compares
   * Identifiers only once an OPEN arrives on it) and goes on with the
   * session's existing connection, so one connection remains.
   * Returns whether the session took the socket.
   */
  accept(socket: BgpTransport): boolean {
    const state = this.#snapshot.state;
    if (this.#socket !== undefined || (state !== "Connect" && state !== "Active")) {
      socket.destroy();
      return false;
    }
    this.#connectAbort?.abort();
    this.#connectAbort = undefined;
    this.#attach(socket);
    this.#dispatch({ type: "tcpConnectionConfirmed" });
    return true;
  }

  /**
   * The routes this peer should hold. On an Established session only the
   * difference is sent (incremental, no reset); otherwise it is kept for the
   * next Established.
   */
  setRoutes(routes: readonly AdvertisedRoute[]): void {
    this.#routes = routes;
    if (this.#view === undefined || this.#snapshot.state !== "Established") return;
    const { rib } = buildRib(routes, this.#view);
    this.#sendDiff(diffRib(this.#sent, rib), rib);
  }

  /** Prefixes of the last `setRoutes` that this peer cannot take (family or next hop missing). */
  get skippedPrefixes(): readonly string[] {
    return this.#view === undefined ? [] : buildRib(this.#routes, this.#view).skipped;
  }

  /** Ask the peer to resend its routes (RFC 2918); false unless negotiated. */
  requestRouteRefresh(afi: number, safi: number = Safi.unicast): boolean {
    if (this.negotiated?.routeRefresh !== true) return false;
    this.#write(encodeRouteRefresh({ afi, safi, subtype: 0 }));
    return true;
  }

  #dispatch(event: FsmEvent): void {
    this.#queue.push(event);
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let e = this.#queue.shift(); e !== undefined; e = this.#queue.shift()) {
        const from = this.#snapshot.state;
        const t = step(this.#config, this.#snapshot, e);
        this.#snapshot = t.snapshot;
        if (from !== t.snapshot.state) this.emit("state", from, t.snapshot.state);
        for (const a of t.actions) this.#run(a);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  /** One handler per FSM action; the mapped type makes a missing one a compile error. */
  readonly #handlers: ActionHandlers = {
    connect: () => {
      this.#startConnect();
    },
    dropConnection: () => {
      this.#drop();
    },
    sendOpen: (a) => {
      this.#write(encodeOpen(a.open));
    },
    sendKeepalive: () => {
      this.#write(encodeKeepalive());
    },
    sendNotification: (a) => {
      this.#write(encodeNotification(a.notification));
    },
    startTimer: (a) => {
      this.#startTimer(a.timer, a.ms);
    },
    stopTimer: (a) => {
      this.#stopTimer(a.timer);
    },
    established: (a) => {
      this.#onEstablished(a.negotiated, a.peer);
    },
    deliverUpdate: (a) => {
      this.emit("update", a.update);
    },
    routeRefreshRequested: () => {
      this.#resendAll();
    },
    down: (a) => {
      this.#onDown(a.reason);
    },
  };

  #run(a: FsmAction): void {
    (this.#handlers[a.type] as (action: FsmAction) => void)(a);
  }

  #startTimer(timer: TimerName, ms: number): void {
    this.#stopTimer(timer);
    this.#timers.set(
      timer,
      setTimeout(() => {
        this.#timers.delete(timer);
        this.#dispatch({ type: "timerExpired", timer });
      }, ms),
    );
  }

  #stopTimer(timer: TimerName): void {
    clearTimeout(this.#timers.get(timer));
    this.#timers.delete(timer);
  }

  #startConnect(): void {
    this.#connectAbort?.abort();
    const abort = new AbortController();
    this.#connectAbort = abort;
    const o = this.options;
    this.#connect({
      host: o.peerAddress,
      port: o.peerPort ?? 179,
      ...(o.sourceAddress === undefined ? {} : { localAddress: o.sourceAddress }),
      timeoutMs: o.connectTimeoutMs ?? 10_000,
      signal: abort.signal,
    }).then(
      (socket) => {
        if (abort.signal.aborted || this.#snapshot.state !== "Connect") {
          socket.destroy();
          return;
        }
        this.#connectAbort = undefined;
        this.#attach(socket);
        this.#dispatch({ type: "tcpConnectionConfirmed" });
      },
      (e: unknown) => {
        if (abort.signal.aborted) return;
        this.#connectAbort = undefined;
        this.#dispatch({ type: "tcpConnectionFails", reason: String(e) });
      },
    );
  }

  #attach(socket: BgpTransport): void {
    this.#socket = socket;
    this.#splitter = new MessageSplitter();
    let closed!: () => void;
    this.#closed = new Promise((resolve) => (closed = resolve));
    socket.on("data", (chunk: Buffer) => {
      this.#onData(socket, chunk);
    });
    socket.on("error", () => {
      // 'close' follows; the reason reaches the FSM there.
    });
    socket.on("close", () => {
      closed();
      if (this.#socket === socket) {
        this.#socket = undefined;
        this.#dispatch({ type: "tcpConnectionFails", reason: "connection closed" });
      }
    });
  }

  #onData(socket: BgpTransport, chunk: Buffer): void {
    for (const frame of this.#splitter.push(chunk)) {
      if (this.#socket !== socket) return;
      const event = eventFromFrame(frame, this.#snapshot);
      if (event.type === "message") {
        this.counters.totalReceived++;
        const counter = RECEIVED_COUNTER[event.message.type];
        if (counter !== undefined) this.counters[counter]++;
      }
      this.#dispatch(event);
    }
  }

  #write(bytes: Uint8Array): void {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed || !socket.writable) return;
    socket.write(bytes);
    this.counters.totalSent++;
    const counter = SENT_COUNTER[bytes[18] ?? 0];
    if (counter !== undefined) this.counters[counter]++;
  }

  /** Flushes what was written (the NOTIFICATION), then closes; destroys if the peer stalls. */
  #drop(): void {
    this.#connectAbort?.abort();
    this.#connectAbort = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined) return;
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  #onEstablished(negotiated: Negotiated, peer: OpenMessage): void {
    this.counters.establishedTransitions++;
    this.#view = {
      localAsn: this.options.localAsn,
      peerAsn: peer.asn,
      fourOctetAs: negotiated.fourOctetAs,
      families: negotiated.families,
      ...nextHops(this.options, this.#socket?.localAddress),
    };
    this.#sent = new Map();
    this.emit("established", negotiated, peer);
    // RFC 4724 §2: the initial table, then End-of-RIB per family.
    this.#resendAll();
    for (const m of endOfRibMarkers(negotiated.families)) this.#write(m);
  }

  #resendAll(): void {
    if (this.#view === undefined) return;
    const { rib } = buildRib(this.#routes, this.#view);
    this.#sendDiff(fullTable(rib), rib);
  }

  #sendDiff(diff: RibDiff, rib: Rib): void {
    const fourOctetAs = this.#view?.fourOctetAs ?? true;
    for (const m of packDiff(diff, { fourOctetAs })) this.#write(m);
    this.#sent = rib;
    this.counters.announcedPrefixes = rib.size;
  }

  #onDown(reason: DownReason): void {
    this.#view = undefined;
    this.#sent = new Map();
    this.counters.announcedPrefixes = 0;
    this.emit("down", reason);
  }
}

/** Text for logs: "notification sent: Cease (6/2)" and the like. */
export function describeDown(reason: DownReason): string {
  switch (reason.kind) {
    case "notificationSent":
      return `notification sent: ${describeNotification(reason.notification)}`;
    case "notificationReceived":
      return `notification received: ${describeNotification(reason.notification)}`;
    case "connectionLost":
      return `connection lost: ${reason.reason}`;
    case "stopped":
      return "stopped";
  }
}
