// The BGP announcer: one BgpSession per BGPPeer this node peers with. The
// desired state (bgp-plan.ts) arrives whole; sessions whose parameters are
// unchanged only get the new route set (setRoutes sends the difference as
// UPDATEs), so Service and advertisement changes never reset a session.
// A session is replaced only when its own `PeerSessionConfig` changes
// (metallb-reference §5.3), and closed when the peer no longer applies.
// Sessions always dial out (as MetalLB); with a listen port they also take
// inbound connections from their peer (bgp-listener.ts).
import type { Announcer } from "../announcer.ts";
import type { Logger } from "../../core/logger.ts";
import { errorText } from "../../core/errors.ts";
import { tcpConnect as addonConnect } from "../link/tcp.ts";
import {
  BgpListener,
  canonicalAddress,
  type InboundPeer,
  type ListenFactory,
} from "./bgp-listener.ts";
import { definedFields, sessionKey, type PeerPlan, type PeerSessionConfig } from "./bgp-plan.ts";
import { BgpSession, describeDown, type ConnectFn, type SessionOptions } from "./session.ts";

/** Builds the connect function of one session (tests may replace the addon). */
export type ConnectFactory = (config: PeerSessionConfig) => ConnectFn;

export interface BgpAnnouncerOptions {
  readonly log: Logger;
  /** Default: the native addon (TCP MD5 and TTL before the SYN). */
  readonly connectFactory?: ConnectFactory;
  /** Seconds of RFC 4724 restart time advertised when enableGracefulRestart; default 120. */
  readonly restartTime?: number;
  /** Cap of the reconnect backoff in seconds (MetalLB: 2 minutes). */
  readonly maxRetryTime?: number;
  /** Accept connections from configured peers on this TCP port too (passive side); undefined: never listen. */
  readonly listenPort?: number | undefined;
  /** Default: the native addon (MD5 keys on the listening socket). */
  readonly listenFactory?: ListenFactory;
  /** Called when a session comes up or goes down (for metrics or logs). */
  readonly onSessionChange?: () => void;
}

/** One live session with what it was made from. */
export interface PeerSession {
  readonly config: PeerSessionConfig;
  readonly key: string;
  readonly session: BgpSession;
}

/** The addon's connect: MD5 key and TTL set before connect(), bound to sourceAddress. */
export const addonConnectFactory: ConnectFactory = (config) => async (opts) => {
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  return addonConnect({
    remote: opts.host,
    port: opts.port,
    ...(opts.localAddress === undefined ? {} : { local: opts.localAddress }),
    ...(config.password === "" ? {} : { md5Key: config.password }),
    ttl: config.ttl,
    signal,
  });
};

export function sessionOptions(
  config: PeerSessionConfig,
  options: Pick<BgpAnnouncerOptions, "restartTime" | "maxRetryTime">,
  connect: ConnectFn,
): SessionOptions {
  return {
    peerAddress: config.peerAddress,
    peerPort: config.peerPort,
    localAsn: config.myAsn,
    routerId: config.routerId,
    ...definedFields({
      sourceAddress: config.sourceAddress,
      peerAsn: config.peerAsn,
      dynamicAsn: config.dynamicAsn,
      holdTime: config.holdTime,
      keepaliveTime: config.keepaliveTime,
      ipv4NextHop: config.ipv4NextHop,
      ipv6NextHops: config.ipv6NextHop === undefined ? undefined : [config.ipv6NextHop],
      gracefulRestart: config.gracefulRestart
        ? { restartTime: options.restartTime ?? 120 }
        : undefined,
    }),
    connectRetryTime: config.connectRetryTime,
    maxRetryTime: options.maxRetryTime ?? 120,
    connectTimeoutMs: 10_000,
    families: config.families,
    connect,
  };
}

export class BgpAnnouncer implements Announcer<PeerPlan> {
  readonly name = "bgp";
  readonly #o: BgpAnnouncerOptions;
  readonly #connectFactory: ConnectFactory;
  readonly #sessions = new Map<string, PeerSession>();
  readonly #listener: BgpListener | undefined;
  #closed = false;

  constructor(options: BgpAnnouncerOptions) {
    this.#o = options;
    this.#connectFactory = options.connectFactory ?? addonConnectFactory;
    if (options.listenPort !== undefined && options.listenPort > 0) {
      this.#listener = new BgpListener({
        port: options.listenPort,
        log: options.log,
        ...(options.listenFactory === undefined ? {} : { listen: options.listenFactory }),
        peerFor: (address) => this.#peerFor(address),
      });
    }
  }

  /** The live sessions by BGPPeer name (metrics read their counters at scrape time). */
  get sessions(): ReadonlyMap<string, PeerSession> {
    return this.#sessions;
  }

  update(desired: ReadonlyMap<string, PeerPlan>): void {
    if (this.#closed) return;
    for (const [name, current] of this.#sessions) {
      const wanted = desired.get(name);
      if (wanted === undefined || sessionKey(wanted.config) !== current.key) {
        this.#stop(name, current, wanted === undefined ? "peer removed" : "peer changed");
      }
    }
    for (const [name, plan] of desired) {
      const current = this.#sessions.get(name) ?? this.#start(plan.config);
      current.session.setRoutes(plan.routes);
    }
    this.#listener?.setPeers(this.#md5Keys());
  }

  /** Address → MD5 key of the live sessions; of two peers with one address, the first by name. */
  #md5Keys(): Map<string, string> {
    const keys = new Map<string, string>();
    const byName = [...this.#sessions.values()].sort((x, y) =>
      x.config.name.localeCompare(y.config.name),
    );
    for (const { config } of byName) {
      const address = canonicalAddress(config.peerAddress);
      if (!keys.has(address)) keys.set(address, config.password);
    }
    return keys;
  }

  /** The session an inbound connection from `address` is for: one still waiting for a connection first. */
  #peerFor(address: string): InboundPeer | undefined {
    let found: PeerSession | undefined;
    for (const entry of this.#sessions.values()) {
      if (canonicalAddress(entry.config.peerAddress) !== address) continue;
      const state = entry.session.state;
      if (state === "Connect" || state === "Active") {
        found = entry;
        break;
      }
      found ??= entry;
    }
    if (found === undefined) return undefined;
    const { config, session } = found;
    return { name: config.name, password: config.password, ttl: config.ttl, session };
  }

  #start(config: PeerSessionConfig): PeerSession {
    const log = this.#o.log.child({ peer: config.name, address: config.peerAddress });
    const session = new BgpSession(sessionOptions(config, this.#o, this.#connectFactory(config)));
    session.on("established", (negotiated) => {
      log.info({ holdTime: negotiated.holdTime }, "BGP session established");
      this.#o.onSessionChange?.();
    });
    session.on("down", (reason) => {
      log.info({ reason: describeDown(reason) }, "BGP session down");
      this.#o.onSessionChange?.();
    });
    const entry = { config, key: sessionKey(config), session };
    this.#sessions.set(config.name, entry);
    session.start();
    log.info("BGP session started");
    return entry;
  }

  #stop(name: string, current: PeerSession, why: string): void {
    this.#sessions.delete(name);
    this.#o.log.info({ peer: name, why }, "BGP session stopped");
    current.session.stop(why).catch((e: unknown) => {
      this.#o.log.warn({ peer: name, err: errorText(e) }, "BGP session stop failed");
    });
    this.#o.onSessionChange?.();
  }

  /** Cease to every peer (they withdraw our routes at once), then release the sockets. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all([
      this.#listener?.close(),
      ...sessions.map((s) =>
        Promise.race([
          s.session.stop("speaker shutting down"),
          new Promise<void>((resolve) => setTimeout(resolve, 2000).unref()),
        ]),
      ),
    ]);
  }
}
