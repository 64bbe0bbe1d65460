// The one place that loads the native link addon (speaker/native, built by
// `npm ci`): its raw shape, typed, and how its errors become MetallbErrors.
// Everything else imports the typed wrappers beside this file.
import { createRequire } from "node:module";
import path from "node:path";
import { MetallbError, errorText } from "../../core/errors.ts";

export const ADDON_PATH = path.resolve(
  import.meta.dirname,
  "../native/build/Release/metallb_link.node",
);

/** One frame as the addon reads it: the whole Ethernet frame, and the VLAN TCI from PACKET_AUXDATA if the kernel stripped a tag. */
export interface NativeFrame {
  readonly frame: Buffer;
  readonly vlanTci?: number;
}

/** One ICMPv6 message with what the kernel knew about its IPv6 header (hopLimit -1 if it did not say). */
export interface NativeIcmp6Message {
  readonly body: Buffer;
  readonly hopLimit: number;
  readonly source: string;
  readonly destination: string;
}

/** Gets receive errors (e.g. ENETDOWN when the interface goes down); the socket stays open. */
export type LinkErrorHandler = (error: MetallbError) => void;

export type NativeBatchHandler<T> = (error: Error | null, batch: T[]) => void;

export interface NativePacketSocket {
  readonly ifname: string;
  readonly ifindex: number;
  readonly mac: string;
  readonly isOpen: boolean;
  send(frame: Uint8Array): void;
  close(): void;
}

export interface NativeIcmp6Socket {
  readonly ifname: string;
  readonly ifindex: number;
  readonly isOpen: boolean;
  send(destination: string, body: Uint8Array, source?: string): void;
  joinGroup(group: string): void;
  leaveGroup(group: string): void;
  close(): void;
}

export interface NativeConnectOptions {
  readonly remote: string;
  readonly port: number;
  readonly local?: string;
  readonly md5Key?: string;
  readonly ttl?: number;
}

export interface NativeListenOptions {
  readonly address: string;
  readonly port: number;
  readonly backlog?: number;
  readonly md5Peers?: readonly { readonly address: string; readonly key: string }[];
}

export interface NativeInterfaceInfo {
  readonly ifname: string;
  readonly ifindex: number;
  readonly mac: string;
  /** ARPHRD_* (1 = Ethernet, 772 = loopback). */
  readonly hardwareType: number;
  readonly mtu: number;
  /** The raw IFF_* flags. */
  readonly flags: number;
  readonly up: boolean;
  readonly running: boolean;
  readonly loopback: boolean;
  readonly noArp: boolean;
  readonly multicast: boolean;
  /** IFF_SLAVE: a member of a bond. The speaker must not answer on it. */
  readonly bondSlave: boolean;
  readonly bondMaster: boolean;
}

export interface LinkAddon {
  readonly PacketSocket: new (
    ifname: string,
    onFrames: NativeBatchHandler<NativeFrame>,
  ) => NativePacketSocket;
  readonly Icmp6Socket: new (
    ifname: string,
    types: readonly number[],
    onMessages: NativeBatchHandler<NativeIcmp6Message>,
  ) => NativeIcmp6Socket;
  readonly TcpConnect: new (
    options: NativeConnectOptions,
    onDone: (error: Error | null, fd: number | null) => void,
  ) => { cancel(): void };
  readonly interfaceInfo: (ifname: string) => NativeInterfaceInfo;
  readonly tcpListen: (options: NativeListenOptions) => number;
  readonly setTcpMd5: (fd: number, peerAddress: string, key: string) => void;
  readonly getSocketTtl: (fd: number) => number;
  readonly setSocketTtl: (fd: number, ttl: number) => void;
  readonly napiVersion: number;
}

let loaded: LinkAddon | undefined;

/**
 * The addon, loaded on first use (importing this module never fails).
 * Throws MetallbError LINK_ADDON_MISSING when it was not built.
 */
export function linkAddon(): LinkAddon {
  if (loaded !== undefined) return loaded;
  try {
    loaded = createRequire(import.meta.url)(ADDON_PATH) as LinkAddon;
  } catch (e: unknown) {
    throw new MetallbError(
      "LINK_ADDON_MISSING",
      `the native link addon ${ADDON_PATH} could not be loaded (${errorText(e)}); run npm ci, which builds it`,
      { cause: e },
    );
  }
  return loaded;
}

/** The errno name (ENODEV, EPERM…) of an addon error, if it has one. */
export function errnoCode(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as Error & { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Wraps an error the addon threw: argument errors (TypeError, RangeError)
 * are programming errors and pass through unchanged; syscall errors become
 * MetallbError(code, "<what>: <syscall> <context>: <strerror> (<ERRNO>)").
 * A closed socket is always LINK_CLOSED.
 */
export function linkError(code: string, what: string, e: unknown): Error {
  if (e instanceof TypeError || e instanceof RangeError) return e;
  const finalCode = errnoCode(e) === "ERR_LINK_CLOSED" ? "LINK_CLOSED" : code;
  return new MetallbError(finalCode, `${what}: ${errorText(e)}`, { cause: e });
}
