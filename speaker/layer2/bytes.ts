// Byte-level helpers shared by the ARP and NDP codecs: MAC and IP addresses
// to and from bytes, and integer writers that check widths before writing.
// Pure: no sockets, no Kubernetes.
import { formatIp, parseIp } from "../../core/net/ip-address-text.ts";

export const MAC_LENGTH = 6;
export const IPV4_LENGTH = 4;
export const IPV6_LENGTH = 16;

const MAC_TEXT = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** Parses `02:00:00:00:00:0a` (or with `-`) into 6 bytes; throws RangeError otherwise. */
export function parseMac(text: string): Uint8Array {
  if (!MAC_TEXT.test(text)) throw new RangeError(`not a MAC address: ${JSON.stringify(text)}`);
  return Uint8Array.from(text.split(/[:-]/), (part) => Number.parseInt(part, 16));
}

/** Lower-case, colon-separated text of the 6 bytes at `offset` (the caller checks the length). */
export function formatMac(bytes: Uint8Array, offset = 0): string {
  checkSpan(bytes, offset, MAC_LENGTH, "MAC address");
  return Array.from(bytes.subarray(offset, offset + MAC_LENGTH), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join(":");
}

/** 4 bytes of a dotted-quad IPv4 address; throws RangeError for anything else. */
export function ipv4ToBytes(text: string): Uint8Array {
  const ip = parseIp(text);
  if (ip?.family !== "IPv4") throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return bigintToBytes(ip.value, IPV4_LENGTH);
}

/** 16 bytes of an IPv6 address; throws RangeError for anything else (zones included). */
export function ipv6ToBytes(text: string): Uint8Array {
  const ip = parseIp(text);
  if (ip?.family !== "IPv6") throw new RangeError(`not an IPv6 address: ${JSON.stringify(text)}`);
  return bigintToBytes(ip.value, IPV6_LENGTH);
}

/** Dotted quad of the 4 bytes at `offset`. */
export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  checkSpan(bytes, offset, IPV4_LENGTH, "IPv4 address");
  return Array.from(bytes.subarray(offset, offset + IPV4_LENGTH)).join(".");
}

/** RFC 5952 text of the 16 bytes at `offset` (the same form formatIp gives everywhere else). */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  checkSpan(bytes, offset, IPV6_LENGTH, "IPv6 address");
  let value = 0n;
  for (const b of bytes.subarray(offset, offset + IPV6_LENGTH)) value = (value << 8n) | BigInt(b);
  return formatIp({ family: "IPv6", value });
}

function bigintToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** Throws RangeError unless `length` bytes starting at `offset` lie inside `bytes`. */
export function checkSpan(bytes: Uint8Array, offset: number, length: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > bytes.length) {
    throw new RangeError(
      `${what}: ${length} bytes at offset ${offset} do not fit in ${bytes.length}`,
    );
  }
}

function checkUint(value: number, bits: 8 | 16 | 32, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1) {
    throw new RangeError(`${what}: ${value} does not fit in ${bits} unsigned bits`);
  }
}

/** Writes one byte after checking that the value is an integer in 0..255 and the offset fits. */
export function writeUint8(bytes: Uint8Array, offset: number, value: number, what: string): void {
  checkUint(value, 8, what);
  checkSpan(bytes, offset, 1, what);
  bytes[offset] = value;
}

/** Writes a big-endian 16-bit integer after checking its width and the offset. */
export function writeUint16(bytes: Uint8Array, offset: number, value: number, what: string): void {
  checkUint(value, 16, what);
  checkSpan(bytes, offset, 2, what);
  bytes[offset] = value >>> 8;
  bytes[offset + 1] = value & 0xff;
}

/** Writes a big-endian 32-bit integer after checking its width and the offset. */
export function writeUint32(bytes: Uint8Array, offset: number, value: number, what: string): void {
  checkUint(value, 32, what);
  checkSpan(bytes, offset, 4, what);
  writeUint16(bytes, offset, value >>> 16, what);
  writeUint16(bytes, offset + 2, value & 0xffff, what);
}

/** Copies `source` (which must be exactly `length` bytes) into `bytes` at `offset`. */
export function writeBytes(
  bytes: Uint8Array,
  offset: number,
  source: Uint8Array,
  what: string,
): void {
  checkSpan(bytes, offset, source.length, what);
  bytes.set(source, offset);
}

/** Big-endian 16-bit read; the caller has checked the length. */
export function readUint16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}
