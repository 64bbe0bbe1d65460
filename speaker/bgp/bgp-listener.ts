// The passive side of BGP peering (issue 6): one listening TCP socket for all
// of this node's peers, opened only when the speaker is given a port
// (MetalLB's native speaker never listens). An inbound connection goes to the
// session of the peer whose address it comes from; any other is closed at
// once. The peers' TCP MD5 keys (RFC 2385) sit on the listening socket, so
// the kernel drops a SYN with a missing or wrong signature before accept(),
// and accepted sockets inherit the key.
import type net from "node:net";
import { backoffDelay } from "../../core/backoff.ts";
import { MetallbError, errorText } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { formatIp, parseIp } from "../../core/net/ip-address-text.ts";
import { setSocketTtl, setTcpMd5, tcpListen } from "../link/tcp.ts";
import { plainAddress, type BgpSession } from "./session.ts";

/** What a listen factory is asked for. */
export interface ListenRequest {
  readonly address: string;
  readonly port: number;
  /** RFC 2385 keys to put in place before listen(). */
  readonly md5Peers: readonly { readonly address: string; readonly key: string }[];
  readonly onConnection: (socket: net.Socket) => void;
  /** Errors of the socket once it listens (accept() failures such as EMFILE). */
  readonly onError: (e: Error) => void;
}

/** A listening socket, as the listener uses it. */
export interface ListenSocket {
  /** Sets (an empty key: removes) the MD5 key of one peer; later accepted sockets inherit it. */
  setMd5(peerAddress: string, key: string): void;
  /** Sets the IP TTL / hop limit of an accepted socket. */
  setTtl(socket: net.Socket, ttl: number): void;
  /** Stops accepting; accepted connections stay open. */
  close(): Promise<void>;
}

/** Opens the listening socket (tests replace the addon with plain TCP). */
export type ListenFactory = (request: ListenRequest) => Promise<ListenSocket>;

/** The session an inbound connection belongs to. */
export interface InboundPeer {
  /** BGPPeer name, for logs. */
  readonly name: string;
  /** The peer's TCP MD5 key; "" for none. */
  readonly password: string;
  /** IP TTL of the session (ebgpMultiHop, bgp-plan.ts), as the outgoing dial sets it. */
  readonly ttl: number;
  readonly session: Pick<BgpSession, "accept" | "state">;
}

export interface BgpListenerOptions {
  readonly port: number;
  /** Default "::": one dual-stack socket, IPv4 peers arrive v4-mapped. */
  readonly address?: string;
  readonly log: Logger;
  /** Default: the native addon (MD5 keys before listen()). */
  readonly listen?: ListenFactory;
  /** The peer that connections from this (canonical) address belong to; undefined: none. */
  readonly peerFor: (address: string) => InboundPeer | undefined;
  /** Backoff after a failed listen: 1 s doubling up to 60 s by default, with jitter. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly random?: () => number;
}

/** TCP_MD5SIG_MAXKEYLEN (linux/tcp.h): the kernel refuses longer keys. */
const MAX_MD5_KEY_BYTES = 80;

/** One spelling per address (RFC 5952 for IPv6, no zone), so configured and socket addresses compare equal. */
export function canonicalAddress(address: string): string {
  const plain = plainAddress(address) ?? address;
  const ip = parseIp(plain);
  return ip === undefined ? plain.toLowerCase() : formatIp(ip);
}

/** The fd behind an accepted net.Socket (Node exposes it only on the internal handle). */
function socketFd(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) {
    throw new MetallbError("BGP_SOCKET_FD", "the accepted socket has no file descriptor");
  }
  return fd;
}

/** The addon's listen: SO_REUSEADDR, MD5 keys before listen(), setTcpMd5 and setSocketTtl later. */
export const addonListenFactory: ListenFactory = async (request) => {
  const { server, fd } = await tcpListen(
    { address: request.address, port: request.port, md5Peers: request.md5Peers },
    request.onConnection,
  );
  server.on("error", request.onError);
  return {
    setMd5: (peer, key) => {
      setTcpMd5(fd, peer, key);
    },
    setTtl: (socket, ttl) => {
      setSocketTtl(socketFd(socket), ttl);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
};

/** The errno name (EADDRINUSE, EACCES…) of an error or of its cause. */
function errnoOf(e: unknown): string | undefined {
  for (let x = e, depth = 0; x instanceof Error && depth < 3; x = x.cause, depth++) {
    const code = (x as Error & { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) return code;
  }
  return undefined;
}

const LISTEN_HINTS: Partial<Record<string, string>> = {
  EADDRINUSE: "another process on this node (a BGP daemon?) already listens on this port",
  EACCES: "ports below 1024 need root or CAP_NET_BIND_SERVICE",
  EAFNOSUPPORT: "IPv6 is disabled on this node",
};

export class BgpListener {
  readonly #o: BgpListenerOptions;
  readonly #listen: ListenFactory;
  readonly #where: string;
  /** The keys the peers want: canonical address → key (never ""). */
  #wanted = new Map<string, string>();
  /** The keys on the socket now (only those that were set successfully). */
  #applied = new Map<string, string>();
  /** Key changes that failed, so each is logged once ("address\0key"). */
  readonly #failedKeys = new Set<string>();
  #socket: ListenSocket | undefined;
  #started = false;
  #closed = false;
  #attempt = 0;
  #retry: NodeJS.Timeout | undefined;
  #pending: Promise<void> = Promise.resolve();

  constructor(options: BgpListenerOptions) {
    this.#o = options;
    this.#listen = options.listen ?? addonListenFactory;
    const address = options.address ?? "::";
    this.#where = `${address.includes(":") ? `[${address}]` : address}:${String(options.port)}`;
  }

  /** Whether the socket listens now. */
  get listening(): boolean {
    return this.#socket !== undefined;
  }

  /**
   * The MD5 keys of the current peers (address → key, "" for none). Keys of
   * peers that are gone are removed. The first call opens the socket, so the
   * first peers' keys are in place before listen().
   */
  setPeers(keys: ReadonlyMap<string, string>): void {
    const wanted = new Map<string, string>();
    for (const [address, key] of keys) if (key !== "") wanted.set(canonicalAddress(address), key);
    this.#wanted = wanted;
    if (this.#socket !== undefined) this.#syncKeys(this.#socket);
    else if (!this.#started) {
      this.#started = true;
      this.#tryListen();
    }
  }

  /** Stops accepting (a listen in flight or a pending retry included); sessions keep their connections. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.#pending;
    const socket = this.#socket;
    this.#socket = undefined;
    await socket?.close();
  }

  #tryListen(): void {
    if (this.#closed) return;
    const initial = new Map<string, string>();
    for (const [address, key] of this.#wanted) {
      // A key the addon refuses would fail the whole listen; #syncKeys retries it alone and logs it.
      if (Buffer.byteLength(key) <= MAX_MD5_KEY_BYTES) initial.set(address, key);
    }
    const request: ListenRequest = {
      address: this.#o.address ?? "::",
      port: this.#o.port,
      md5Peers: [...initial].map(([address, key]) => ({ address, key })),
      onConnection: (socket) => {
        this.#onConnection(socket);
      },
      onError: (e) => {
        this.#o.log.warn({ err: errorText(e) }, `BGP listening socket ${this.#where}: error`);
      },
    };
    // Through a promise, so a factory that throws is a failed listen, not a crash.
    this.#pending = Promise.resolve(request)
      .then((r) => this.#listen(r))
      .then(
        async (socket) => {
          if (this.#closed) {
            await socket.close();
            return;
          }
          this.#socket = socket;
          this.#applied = initial;
          this.#attempt = 0;
          this.#o.log.info(`listening for BGP connections on ${this.#where}`);
          this.#syncKeys(socket);
        },
        (e: unknown) => {
          this.#listenFailed(e);
        },
      );
  }

  #listenFailed(e: unknown): void {
    if (this.#closed) return;
    const delay = this.#retryDelay();
    this.#attempt++;
    const hint = LISTEN_HINTS[errnoOf(e) ?? ""];
    this.#o.log.warn(
      { err: errorText(e), ...(hint === undefined ? {} : { hint }), retryInMs: delay },
      `cannot listen for BGP connections on ${this.#where}; retrying`,
    );
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#tryListen();
    }, delay);
    this.#retry.unref();
  }

  /** Equal jitter: at least half the doubled delay (no hot loop), the rest random. */
  #retryDelay(): number {
    const baseMs = this.#o.retryBaseMs ?? 1000;
    const maxMs = this.#o.retryMaxMs ?? 60_000;
    const attempt = Math.min(this.#attempt, 30);
    const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
    const jitter = backoffDelay(attempt, {
      baseMs: baseMs / 2,
      maxMs: maxMs / 2,
      ...(this.#o.random === undefined ? {} : { random: this.#o.random }),
    });
    return Math.floor(ceiling / 2 + jitter);
  }

  #syncKeys(socket: ListenSocket): void {
    for (const [address, key] of this.#wanted) {
      if (this.#applied.get(address) !== key) this.#setKey(socket, address, key);
    }
    for (const address of [...this.#applied.keys()]) {
      if (!this.#wanted.has(address)) this.#setKey(socket, address, "");
    }
  }

  #setKey(socket: ListenSocket, address: string, key: string): void {
    const id = `${address}\0${key}`;
    if (this.#failedKeys.has(id)) return;
    try {
      socket.setMd5(address, key);
      if (key === "") this.#applied.delete(address);
      else this.#applied.set(address, key);
    } catch (e: unknown) {
      // Inbound connections from this peer are refused until its key is in place (#onConnection).
      this.#failedKeys.add(id);
      this.#o.log.warn(
        { address, err: errorText(e) },
        "cannot set the TCP MD5 key of a BGP peer on the listening socket",
      );
    }
  }

  #onConnection(socket: net.Socket): void {
    const address = canonicalAddress(socket.remoteAddress ?? "");
    const peer = address === "" ? undefined : this.#o.peerFor(address);
    if (peer === undefined) {
      this.#o.log.debug(
        { address },
        "inbound BGP connection from an address that is no peer: closed",
      );
      socket.destroy();
      return;
    }
    const log = this.#o.log.child({ peer: peer.name, address });
    // A configured key that is not on the socket (yet, or refused by the
    // kernel) means this connection was not checked: never run such a session unsigned.
    if (peer.password !== "" && this.#applied.get(address) !== peer.password) {
      log.warn(
        "inbound BGP connection closed: the peer's TCP MD5 key is not on the listening socket",
      );
      socket.destroy();
      return;
    }
    try {
      this.#socket?.setTtl(socket, peer.ttl);
    } catch (e: unknown) {
      log.warn({ err: errorText(e) }, "inbound BGP connection closed: cannot set its TTL");
      socket.destroy();
      return;
    }
    if (peer.session.accept(socket)) {
      log.info("inbound BGP connection accepted");
    } else {
      log.debug(
        { state: peer.session.state },
        "inbound BGP connection closed: the session is not waiting for one",
      );
    }
  }
}
