// TCP sockets for BGP with what must be set before the SYN: a TCP MD5
// signature key (RFC 2385, TCP_MD5SIG) and the TTL / hop limit (eBGP
// multihop), plus an optional source address. The addon makes the socket;
// Node wraps the fd (net.Socket({ fd }) / server.listen({ fd })).
import net from "node:net";
import { MetallbError } from "../../core/errors.ts";
import { linkAddon, linkError, type NativeListenOptions } from "./link-addon.ts";

export interface TcpConnectOptions {
  readonly remote: string;
  readonly port: number;
  /** Source address to bind before connecting (port chosen by the kernel). */
  readonly local?: string;
  /** RFC 2385 key for `remote` (at most 80 bytes); empty or absent: none. */
  readonly md5Key?: string;
  /** IP TTL / IPv6 unicast hop limit of every segment, the SYN included (1-255). */
  readonly ttl?: number;
  /** Aborts the connect: the socket is closed and the promise rejects with LINK_CONNECT_ABORTED. */
  readonly signal?: AbortSignal;
}

function endpoint(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Connects without blocking the loop and resolves to the connected fd (the
 * caller owns it). A peer that drops the SYN (no route, a wrong MD5 key)
 * keeps it pending until the kernel gives up, so pass a `signal`
 * (AbortSignal.timeout) for a connect timeout.
 */
export function tcpConnectFd(options: TcpConnectOptions): Promise<number> {
  const { signal, ...native } = options;
  const where = endpoint(options.remote, options.port);
  return new Promise((resolve, reject) => {
    const aborted = (): MetallbError =>
      new MetallbError("LINK_CONNECT_ABORTED", `connect to ${where} aborted`, {
        cause: signal?.reason,
      });
    if (signal?.aborted === true) {
      reject(aborted());
      return;
    }
    const onAbort = (): void => {
      pending.cancel();
      reject(aborted());
    };
    let pending: { cancel(): void };
    try {
      pending = new (linkAddon().TcpConnect)(native, (error, fd) => {
        signal?.removeEventListener("abort", onAbort);
        if (error !== null || fd === null) {
          reject(linkError("LINK_CONNECT_FAILED", `cannot connect to ${where}`, error));
        } else {
          resolve(fd);
        }
      });
    } catch (e: unknown) {
      reject(
        e instanceof MetallbError
          ? e
          : linkError("LINK_CONNECT_FAILED", `cannot connect to ${where}`, e),
      );
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** tcpConnectFd, wrapped in a net.Socket that reads and writes. */
export async function tcpConnect(options: TcpConnectOptions): Promise<net.Socket> {
  const fd = await tcpConnectFd(options);
  return new net.Socket({ fd, readable: true, writable: true });
}

export type TcpListenOptions = NativeListenOptions;

/**
 * A listening socket (SO_REUSEADDR) with MD5 keys for `md5Peers` in place
 * before listen(); an IPv4 peer on an IPv6 (dual-stack) listener is keyed
 * by its v4-mapped address. Returns the fd; keys can be changed later with
 * setTcpMd5(fd, …) and are inherited by accepted sockets.
 */
export function tcpListenFd(options: TcpListenOptions): number {
  try {
    return linkAddon().tcpListen(options);
  } catch (e: unknown) {
    if (e instanceof MetallbError) throw e;
    throw linkError(
      "LINK_LISTEN_FAILED",
      `cannot listen on ${endpoint(options.address, options.port)}`,
      e,
    );
  }
}

/** tcpListenFd, served by a net.Server; resolves once it listens. */
export function tcpListen(
  options: TcpListenOptions,
  onConnection: (socket: net.Socket) => void,
): Promise<{ server: net.Server; fd: number }> {
  const fd = tcpListenFd(options);
  const server = net.createServer(onConnection);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ fd }, () => {
      server.off("error", reject);
      resolve({ server, fd });
    });
  });
}

function sockopt<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (e: unknown) {
    if (e instanceof MetallbError) throw e;
    throw linkError("LINK_SOCKOPT_FAILED", what, e);
  }
}

/** Sets (or, with an empty key, removes) the MD5 key for one peer on a TCP socket. */
export function setTcpMd5(fd: number, peerAddress: string, key: string): void {
  sockopt(`cannot set the TCP MD5 key for ${peerAddress}`, () => {
    linkAddon().setTcpMd5(fd, peerAddress, key);
  });
}

/** IP_TTL (IPv4 socket) or IPV6_UNICAST_HOPS (IPv6 socket). */
export function getSocketTtl(fd: number): number {
  return sockopt(`cannot read the TTL of fd ${fd}`, () => linkAddon().getSocketTtl(fd));
}

/** Sets IP_TTL / IPV6_UNICAST_HOPS, e.g. on an accepted eBGP multihop session. */
export function setSocketTtl(fd: number, ttl: number): void {
  sockopt(`cannot set the TTL of fd ${fd}`, () => {
    linkAddon().setSocketTtl(fd, ttl);
  });
}
