// Liveness over UDP: the thin adapter between node:dgram and the pure codec
// and member table (docs/adr/0006-l2-ownership-and-liveness.md). Every
// interval it sends one authenticated heartbeat to each peer's address (the
// Node's InternalIP, given by the caller); every half interval it ages the
// member table. It needs no API server: once given the peer addresses it keeps
// working through an API outage.
import dgram from "node:dgram";
import { MetallbError, errorText } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { formatIp, parseIp } from "../../core/net/ip-address-text.ts";
import {
  MAX_HEARTBEAT_LENGTH,
  decodeHeartbeat,
  encodeHeartbeat,
  type HeartbeatDropReason,
  type Stage,
} from "./heartbeat-codec.ts";
import {
  DEFAULT_LIVENESS_TIMING,
  MemberTable,
  type Member,
  type MemberTableConfig,
  type RejectReason,
  type Transition,
} from "./member-table.ts";

/** MetalLB's memberlist port; speakers of one cluster must agree on it. */
export const DEFAULT_LIVENESS_PORT = 7946;

export type LivenessTiming = Omit<MemberTableConfig, "self">;

export interface LivenessOptions {
  readonly node: string;
  /** HMAC keys (deriveHeartbeatKey): the first signs, any verifies (rotation). */
  readonly keys: readonly Uint8Array[];
  readonly port?: number;
  /** IPv4 bind address (default 0.0.0.0). */
  readonly bindAddress4?: string;
  /** IPv6 bind address (default ::); false for no IPv6 socket. */
  readonly bindAddress6?: string | false;
  readonly timing?: Partial<LivenessTiming>;
  /** Warn when no valid heartbeat arrived for this long while peers are expected (default 10 s). */
  readonly watchdogMs?: number;
  readonly logger: Logger;
  /** Called (from a socket or timer callback, never from setPeers) when the candidate set changes. */
  readonly onChange?: (candidates: ReadonlySet<string>) => void;
  /** Closes the sockets at once, without the leaving heartbeats (use leave() for those). */
  readonly signal?: AbortSignal;
}

export type LivenessDropReason =
  | HeartbeatDropReason
  | RejectReason
  | "oversize"
  /** A valid heartbeat from a node we were not told about. */
  | "unknown-peer"
  /** A valid heartbeat naming a peer, from another address than that peer's. */
  | "address-mismatch";

export interface LivenessStats {
  readonly sent: number;
  readonly sendErrors: number;
  readonly received: number;
  readonly accepted: number;
  readonly dropped: Readonly<Partial<Record<LivenessDropReason, number>>>;
}

export interface Liveness {
  /** The peers to heartbeat: Node name → address (from the Nodes' InternalIP). */
  setPeers(peers: ReadonlyMap<string, string>): void;
  /** Nodes that may own IPs now (this node included when it may). */
  candidates(): ReadonlySet<string>;
  members(): Member[];
  selfStage(): Stage;
  stats(): LivenessStats;
  /** Graceful shutdown: three leaving heartbeats, 20 ms apart, then close. */
  leave(): Promise<void>;
}

const LEAVE_REPEATS = 3;
const LEAVE_SPACING_MS = 20;

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean =>
  a.size === b.size && [...a].every((x) => b.has(x));

const canonical = (address: string): string => {
  const ip = parseIp(address);
  return ip === undefined ? address : formatIp(ip);
};

function bind(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off("error", reject);
      resolve();
    });
  });
}

class UdpLiveness implements Liveness {
  readonly #o: LivenessOptions;
  readonly #timing: LivenessTiming;
  readonly #port: number;
  readonly #table: MemberTable;
  readonly #incarnation = Date.now();
  #sequence = 0;
  #peers = new Map<string, string>();
  #sockets: { udp4?: dgram.Socket; udp6?: dgram.Socket } = {};
  #timers: NodeJS.Timeout[] = [];
  #last: ReadonlySet<string> = new Set();
  #lastStage: Stage = "starting";
  #lastValidAt = performance.now();
  #lastTick = performance.now();
  /** The previous tick was skipped as following a stall of our own. */
  #skippedTick = false;
  #closed = false;
  #stats = { sent: 0, sendErrors: 0, received: 0, accepted: 0 };
  readonly #dropped: Partial<Record<LivenessDropReason, number>> = {};
  #lastSendErrorLog = Number.NEGATIVE_INFINITY;

  constructor(options: LivenessOptions) {
    this.#o = options;
    this.#timing = { ...DEFAULT_LIVENESS_TIMING, ...options.timing };
    this.#port = options.port ?? DEFAULT_LIVENESS_PORT;
    this.#table = new MemberTable({ self: options.node, ...this.#timing }, performance.now());
    this.#last = this.#table.candidates(performance.now());
    if (options.keys.length === 0) {
      throw new MetallbError("LIVENESS_NO_KEY", "liveness needs at least one heartbeat key");
    }
  }

  async open(): Promise<void> {
    const udp4 = dgram.createSocket({ type: "udp4" });
    await bind(udp4, this.#port, this.#o.bindAddress4 ?? "0.0.0.0").catch((e: unknown) => {
      udp4.close();
      throw new MetallbError(
        "LIVENESS_BIND",
        `cannot bind UDP ${this.#o.bindAddress4 ?? "0.0.0.0"}:${this.#port}: ${errorText(e)}`,
        { cause: e },
      );
    });
    this.#sockets.udp4 = udp4;
    await this.#openUdp6();
    for (const socket of [this.#sockets.udp4, this.#sockets.udp6]) {
      socket?.on("message", (msg, rinfo) => {
        this.#onMessage(msg, rinfo.address);
      });
      socket?.on("error", (e: unknown) => {
        this.#o.logger.warn({ err: errorText(e) }, "liveness socket error");
      });
    }
    this.#start();
  }

  async #openUdp6(): Promise<void> {
    const address = this.#o.bindAddress6 ?? "::";
    if (address === false) return;
    const udp6 = dgram.createSocket({ type: "udp6", ipv6Only: true });
    try {
      await bind(udp6, this.#port, address);
      this.#sockets.udp6 = udp6;
    } catch (e: unknown) {
      udp6.close();
      this.#o.logger.warn(
        { err: errorText(e), address },
        "liveness: no IPv6 socket, IPv4 peers only",
      );
    }
  }

  #start(): void {
    const { intervalMs } = this.#timing;
    const watchdogMs = this.#o.watchdogMs ?? 10_000;
    this.#timers.push(
      setInterval(() => {
        this.#send(false);
      }, intervalMs),
      setInterval(
        () => {
          this.#tick();
        },
        Math.max(1, Math.floor(intervalMs / 2)),
      ),
      setInterval(() => {
        this.#watchdog(watchdogMs);
      }, watchdogMs),
    );
    this.#o.signal?.addEventListener(
      "abort",
      () => {
        this.#close();
      },
      { once: true },
    );
    this.#send(false);
  }

  setPeers(peers: ReadonlyMap<string, string>): void {
    this.#peers = new Map([...peers].map(([node, address]) => [node, canonical(address)]));
    // No onChange from here: the caller typically sets peers while recomputing
    // and reads candidates() next; a change shows up on the next tick.
    this.#table.retain(new Set(this.#peers.keys()));
  }

  candidates(): ReadonlySet<string> {
    return this.#table.candidates(performance.now());
  }

  members(): Member[] {
    return this.#table.members(performance.now());
  }

  selfStage(): Stage {
    return this.#table.selfStage(performance.now());
  }

  stats(): LivenessStats {
    return { ...this.#stats, dropped: { ...this.#dropped } };
  }

  async leave(): Promise<void> {
    if (this.#closed) return;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    for (let i = 0; i < LEAVE_REPEATS; i++) {
      this.#send(true);
      await new Promise((resolve) => setTimeout(resolve, LEAVE_SPACING_MS));
    }
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#sockets.udp4?.close();
    this.#sockets.udp6?.close();
  }

  #send(leaving: boolean): void {
    if (this.#closed) return;
    const stage = this.#table.selfStage(performance.now());
    this.#lastStage = stage;
    const bytes = encodeHeartbeat(
      {
        node: this.#o.node,
        incarnation: this.#incarnation,
        sequence: ++this.#sequence,
        intervalMs: this.#timing.intervalMs,
        stage,
        leaving,
      },
      this.#o.keys[0] ?? new Uint8Array(),
    );
    for (const [node, address] of this.#peers) {
      if (node !== this.#o.node) this.#sendTo(bytes, address);
    }
  }

  #sendTo(bytes: Uint8Array, address: string): void {
    const socket = address.includes(":") ? this.#sockets.udp6 : this.#sockets.udp4;
    if (socket === undefined) return;
    socket.send(bytes, this.#port, address, (e) => {
      if (e === null) {
        this.#stats.sent++;
        return;
      }
      this.#stats.sendErrors++;
      // A cut link makes every send fail; say so every 10 s, not 10 times a second.
      const now = performance.now();
      if (now - this.#lastSendErrorLog > 10_000) {
        this.#lastSendErrorLog = now;
        this.#o.logger.warn({ address, err: errorText(e) }, "liveness: heartbeat send failed");
      }
    });
  }

  #onMessage(msg: Buffer, from: string): void {
    this.#stats.received++;
    const reason = this.#admit(msg, from);
    if (reason !== undefined) this.#dropped[reason] = (this.#dropped[reason] ?? 0) + 1;
  }

  /** Decodes, authenticates, checks the sender and feeds the table; the drop reason if any. */
  #admit(msg: Buffer, from: string): LivenessDropReason | undefined {
    if (msg.length > MAX_HEARTBEAT_LENGTH) return "oversize";
    const decoded = decodeHeartbeat(msg, this.#o.keys);
    if (!decoded.ok) return decoded.reason;
    const hb = decoded.heartbeat;
    const expected = this.#peers.get(hb.node);
    if (expected === undefined) return "unknown-peer";
    if (expected !== from) return "address-mismatch";
    const now = performance.now();
    const result = this.#table.receive(hb, now);
    if (!result.accepted) return result.reason;
    this.#stats.accepted++;
    this.#lastValidAt = now;
    if (result.transition !== undefined) this.#logTransition(result.transition);
    this.#emitIfChanged();
    return undefined;
  }

  #tick(): void {
    const now = performance.now();
    // Ticks run every interval/2. A later one means our own event loop was
    // blocked (a long GC, a big plan, a starved CPU): the peers' heartbeats
    // from that time are still queued in the socket, and judging their
    // silence now would declare live peers dead and flap ownership. The next
    // tick, after the socket has been read, judges. Only one tick in a row is
    // skipped, so a node that stays starved still detects real deaths.
    const stalled = now - this.#lastTick > this.#timing.intervalMs;
    this.#lastTick = now;
    if (stalled && !this.#skippedTick) {
      this.#skippedTick = true;
      return;
    }
    this.#skippedTick = false;
    for (const t of this.#table.tick(now)) this.#logTransition(t);
    // A stage change goes out at once, so peers see it within a round trip.
    if (this.#table.selfStage(now) !== this.#lastStage) this.#send(false);
    this.#emitIfChanged();
  }

  #watchdog(watchdogMs: number): void {
    const silentForMs = Math.round(performance.now() - this.#lastValidAt);
    const expected = [...this.#peers.keys()].filter((n) => n !== this.#o.node).length;
    if (expected === 0 || silentForMs < watchdogMs) return;
    this.#o.logger.warn(
      { silentForMs, peers: expected, dropped: this.#dropped, port: this.#port },
      "liveness: no valid heartbeat from any peer (firewall on the UDP port? different secret key?)",
    );
  }

  #logTransition(t: Transition): void {
    this.#o.logger.info({ peer: t.node, from: t.from, to: t.to }, "liveness: peer state changed");
  }

  #emitIfChanged(): void {
    const now = this.#table.candidates(performance.now());
    if (sameSet(now, this.#last)) return;
    this.#last = now;
    this.#o.logger.info({ candidates: [...now].sort() }, "liveness: candidate nodes changed");
    this.#o.onChange?.(now);
  }
}

/** Binds the sockets and starts heartbeating. Throws MetallbError LIVENESS_BIND when the port is taken. */
export async function startLiveness(options: LivenessOptions): Promise<Liveness> {
  const liveness = new UdpLiveness(options);
  await liveness.open();
  return liveness;
}
