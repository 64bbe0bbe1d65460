// The speakers' heartbeat datagram (docs/adr/0006-l2-ownership-and-liveness.md).
// Pure: bytes in, a heartbeat or a drop reason out; never throws on input.
//
//   0  "MLBH" magic                 4 bytes
//   4  version = 1                  1
//   5  flags                        1   bit 0 leaving; bits 1–2 stage (0 ready,
//                                       1 rejoining, 2 starting); others zero
//   6  interval (ms)                2   the sender's heartbeat interval, ≥ 1
//   8  incarnation                  8   the sender's boot time (Unix ms), < 2^53
//  16  sequence                     8   per incarnation, from 1, < 2^53
//  24  name length n                1   1…253
//  25  node name                    n   a Node name (RFC 1123 subdomain)
//  25+n HMAC-SHA256                32   RFC 2104, over bytes 0 … 25+n−1
//
// All integers big-endian (network order). The MAC is checked before any
// field is believed, and in constant time (crypto.timingSafeEqual). Replay
// protection is the receiver's (member-table.ts): it accepts a heartbeat only
// with a newer (incarnation, sequence) than the last one it accepted.
import { createHmac, timingSafeEqual } from "node:crypto";

export const HEARTBEAT_VERSION = 1;
const MAGIC = [0x4d, 0x4c, 0x42, 0x48]; // "MLBH"
const HEADER_LENGTH = 25;
const MAC_LENGTH = 32;
const MAX_NAME_LENGTH = 253;
const LEAVING_BIT = 0x01;
const STAGE_SHIFT = 1;
const STAGE_MASK = 0x06;
const KNOWN_FLAGS = LEAVING_BIT | STAGE_MASK;
const TWO_32 = 2 ** 32;
/** Shortest and longest valid datagrams. */
export const MIN_HEARTBEAT_LENGTH = HEADER_LENGTH + 1 + MAC_LENGTH;
export const MAX_HEARTBEAT_LENGTH = HEADER_LENGTH + MAX_NAME_LENGTH + MAC_LENGTH;

/**
 * What the sender says of itself: `ready` nodes may own IPs; `rejoining`
 * (it just came back from hearing no peer) and `starting` (it just booted)
 * nodes wait out the hold-down first (member-table.ts).
 */
export const STAGES = ["ready", "rejoining", "starting"] as const;
export type Stage = (typeof STAGES)[number];

export interface Heartbeat {
  readonly node: string;
  readonly incarnation: number;
  readonly sequence: number;
  readonly intervalMs: number;
  readonly stage: Stage;
  /** Graceful shutdown: peers drop the sender at once instead of waiting for the timeout. */
  readonly leaving: boolean;
}

export type HeartbeatDropReason =
  /** Shorter than the header, or than the length its name length implies. */
  | "truncated"
  /** Longer than the name length implies. */
  | "trailing-bytes"
  | "bad-magic"
  | "unsupported-version"
  /** No key of ours produced this MAC: wrong key, forged or corrupted. */
  | "bad-mac"
  /** Authenticated but malformed: unknown flag bits, stage 3, interval 0, integers ≥ 2^53, name length 0. */
  | "bad-field"
  /** Authenticated but the name is not an RFC 1123 subdomain. */
  | "bad-name";

export type HeartbeatDecodeResult =
  | { readonly ok: true; readonly heartbeat: Heartbeat }
  | { readonly ok: false; readonly reason: HeartbeatDropReason };

// Node names: RFC 1123 subdomains (what the API server accepts for a Node).
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KEY_CONTEXT = "metallb-ts liveness heartbeat v1";

/**
 * The HMAC key from the `memberlist` Secret's `secretkey` bytes. Derived with a
 * context string so the same secret never keys two different protocols
 * (MetalLB's memberlist uses it for AES-GCM).
 */
export function deriveHeartbeatKey(secret: Uint8Array): Buffer {
  return createHmac("sha256", secret).update(KEY_CONTEXT).digest();
}

function mac(key: Uint8Array, bytes: Uint8Array): Buffer {
  return createHmac("sha256", key).update(bytes).digest();
}

function writeUint53(view: DataView, offset: number, value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`heartbeat ${field} must be an integer in [0, 2^53): ${value}`);
  }
  view.setUint32(offset, Math.floor(value / TWO_32));
  view.setUint32(offset + 4, value % TWO_32);
}

function readUint53(view: DataView, offset: number): number | undefined {
  const value = view.getUint32(offset) * TWO_32 + view.getUint32(offset + 4);
  return Number.isSafeInteger(value) ? value : undefined;
}

function checkHeartbeat(hb: Heartbeat): Buffer {
  const name = Buffer.from(hb.node, "utf8");
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || !NODE_NAME.test(hb.node)) {
    throw new RangeError(`heartbeat node name is not an RFC 1123 subdomain: "${hb.node}"`);
  }
  if (!Number.isInteger(hb.intervalMs) || hb.intervalMs < 1 || hb.intervalMs > 0xffff) {
    throw new RangeError(`heartbeat interval must be 1…65535 ms: ${hb.intervalMs}`);
  }
  return name;
}

/** The datagram for `hb`, authenticated with `key`. Throws RangeError on a field out of range. */
export function encodeHeartbeat(hb: Heartbeat, key: Uint8Array): Uint8Array {
  const name = checkHeartbeat(hb);
  const body = new Uint8Array(HEADER_LENGTH + name.length);
  const view = new DataView(body.buffer);
  body.set(MAGIC, 0);
  view.setUint8(4, HEARTBEAT_VERSION);
  view.setUint8(5, (hb.leaving ? LEAVING_BIT : 0) | (STAGES.indexOf(hb.stage) << STAGE_SHIFT));
  view.setUint16(6, hb.intervalMs);
  writeUint53(view, 8, hb.incarnation, "incarnation");
  writeUint53(view, 16, hb.sequence, "sequence");
  view.setUint8(24, name.length);
  body.set(name, HEADER_LENGTH);
  const out = new Uint8Array(body.length + MAC_LENGTH);
  out.set(body, 0);
  out.set(mac(key, body), body.length);
  return out;
}

function framingProblem(bytes: Uint8Array): HeartbeatDropReason | undefined {
  if (bytes.length < HEADER_LENGTH) return "truncated";
  if (MAGIC.some((b, i) => bytes[i] !== b)) return "bad-magic";
  if (bytes[4] !== HEARTBEAT_VERSION) return "unsupported-version";
  const expected = HEADER_LENGTH + (bytes[24] ?? 0) + MAC_LENGTH;
  if (bytes.length < expected) return "truncated";
  if (bytes.length > expected) return "trailing-bytes";
  return undefined;
}

function authentic(bytes: Uint8Array, keys: readonly Uint8Array[]): boolean {
  const bodyLength = bytes.length - MAC_LENGTH;
  const body = bytes.subarray(0, bodyLength);
  const given = bytes.subarray(bodyLength);
  return keys.some((key) => timingSafeEqual(mac(key, body), given));
}

function fields(bytes: Uint8Array): HeartbeatDecodeResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = view.getUint8(5);
  const stage = STAGES[(flags & STAGE_MASK) >> STAGE_SHIFT];
  const intervalMs = view.getUint16(6);
  const incarnation = readUint53(view, 8);
  const sequence = readUint53(view, 16);
  const nameLength = view.getUint8(24);
  const bad =
    (flags & ~KNOWN_FLAGS) !== 0 ||
    stage === undefined ||
    intervalMs === 0 ||
    incarnation === undefined ||
    sequence === undefined ||
    nameLength === 0;
  if (bad) return { ok: false, reason: "bad-field" };
  const node = Buffer.from(bytes.subarray(HEADER_LENGTH, HEADER_LENGTH + nameLength)).toString(
    "latin1",
  );
  if (!NODE_NAME.test(node)) return { ok: false, reason: "bad-name" };
  const leaving = (flags & LEAVING_BIT) !== 0;
  return { ok: true, heartbeat: { node, incarnation, sequence, intervalMs, stage, leaving } };
}

/**
 * Reads one datagram. Accepts a MAC made with any of `keys` (so a key can be
 * rotated: send with the new one, accept both for a while).
 */
export function decodeHeartbeat(
  bytes: Uint8Array,
  keys: readonly Uint8Array[],
): HeartbeatDecodeResult {
  const problem = framingProblem(bytes);
  if (problem !== undefined) return { ok: false, reason: problem };
  if (!authentic(bytes, keys)) return { ok: false, reason: "bad-mac" };
  return fields(bytes);
}
