// IPv4/IPv6 text <-> bytes, and RFC 4271 §4.3 prefix encoding (length + minimal octets).

export function parseIPv4(text: string): Uint8Array {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) {
    throw new RangeError(`not an IPv4 address: ${text}`);
  }
  return Uint8Array.from(parts.map(Number));
}

export function formatIPv4(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join(".");
}

function parseGroups(text: string): number[] {
  if (text === "") return [];
  return text.split(":").map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new RangeError(`bad IPv6 group "${g}"`);
    return parseInt(g, 16);
  });
}

export function parseIPv6(text: string): Uint8Array {
  const halves = text.split("::");
  if (halves.length > 2) throw new RangeError(`not an IPv6 address: ${text}`);
  const head = parseGroups(halves[0] ?? "");
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? "") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) {
    throw new RangeError(`not an IPv6 address: ${text}`);
  }
  const groups = [...head, ...Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** RFC 5952 canonical text: lower case, longest run (≥ 2) of zero groups as "::". */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let best = { at: -1, len: 0 };
  let run = { at: -1, len: 0 };
  groups.forEach((g, i) => {
    run = g === 0 ? { at: run.len === 0 ? i : run.at, len: run.len + 1 } : { at: -1, len: 0 };
    if (run.len > best.len) best = run;
  });
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) return hex.join(":");
  const left = hex.slice(0, best.at).join(":");
  const right = hex.slice(best.at + best.len).join(":");
  return `${left}::${right}`;
}

export type Family = 4 | 6;

export interface Prefix {
  readonly family: Family;
  /** Full-width address bytes (4 or 16), host bits zero. */
  readonly address: Uint8Array;
  readonly length: number;
}

/** Parses "a.b.c.d/len" or "v6/len"; host bits must be zero (RangeError otherwise). */
export function parsePrefix(text: string): Prefix {
  const slash = text.lastIndexOf("/");
  if (slash < 0) throw new RangeError(`prefix without length: ${text}`);
  const addrText = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  const family: Family = addrText.includes(":") ? 6 : 4;
  const address = family === 4 ? parseIPv4(addrText) : parseIPv6(addrText);
  const max = address.length * 8;
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
    throw new RangeError(`bad prefix length in ${text}`);
  }
  const length = Number(lenText);
  if (!hostBitsZero(address, length)) throw new RangeError(`host bits set in ${text}`);
  return { family, address, length };
}

export function formatPrefix(p: Prefix): string {
  const addr = p.family === 4 ? formatIPv4(p.address) : formatIPv6(p.address);
  return `${addr}/${p.length}`;
}

function hostBitsZero(address: Uint8Array, length: number): boolean {
  return address.every((b, i) => (b & ~prefixMaskByte(length, i) & 0xff) === 0);
}

function prefixMaskByte(length: number, index: number): number {
  const bits = Math.max(0, Math.min(8, length - index * 8));
  return (0xff << (8 - bits)) & 0xff;
}

/** Octets a prefix takes on the wire: 1 length octet + ceil(len/8). */
export function prefixWireSize(p: Prefix): number {
  return 1 + Math.ceil(p.length / 8);
}

export function encodePrefix(p: Prefix): Uint8Array {
  const octets = Math.ceil(p.length / 8);
  const out = new Uint8Array(1 + octets);
  out[0] = p.length;
  out.set(p.address.subarray(0, octets), 1);
  return out;
}

/**
 * Decodes a run of prefixes filling `data` exactly. Returns undefined when a
 * length exceeds the family width or runs past the end (the caller picks the
 * NOTIFICATION). Trailing bits past the length are irrelevant (§4.3) and are
 * cleared, so a decoded prefix always has zero host bits.
 */
export function decodePrefixes(data: Uint8Array, family: Family): Prefix[] | undefined {
  const width = family === 4 ? 4 : 16;
  const out: Prefix[] = [];
  let at = 0;
  while (at < data.length) {
    const length = data[at] ?? 0;
    const octets = Math.ceil(length / 8);
    if (length > width * 8 || at + 1 + octets > data.length) return undefined;
    const address = new Uint8Array(width);
    address.set(data.subarray(at + 1, at + 1 + octets));
    for (let i = 0; i < width; i++) address[i] = (address[i] ?? 0) & prefixMaskByte(length, i);
    out.push({ family, address, length });
    at += 1 + octets;
  }
  return out;
}
