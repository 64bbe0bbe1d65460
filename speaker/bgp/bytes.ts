// Width-checked byte writer and a bounds-aware reader for the BGP codec.

function checkUint(value: number, bits: 8 | 16 | 32, what: string): void {
  const max = 2 ** bits - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} ${value} does not fit in ${bits} bits (0..${max})`);
  }
}

export class ByteWriter {
  readonly #parts: number[] = [];

  get length(): number {
    return this.#parts.length;
  }

  u8(value: number, what = "value"): this {
    checkUint(value, 8, what);
    this.#parts.push(value);
    return this;
  }

  u16(value: number, what = "value"): this {
    checkUint(value, 16, what);
    this.#parts.push(value >> 8, value & 0xff);
    return this;
  }

  u32(value: number, what = "value"): this {
    checkUint(value, 32, what);
    this.#parts.push(
      (value >>> 24) & 0xff,
      (value >>> 16) & 0xff,
      (value >>> 8) & 0xff,
      value & 0xff,
    );
    return this;
  }

  bytes(data: Uint8Array): this {
    for (const b of data) this.#parts.push(b);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#parts);
  }
}

/** Reads big-endian integers; `need` reports whether enough bytes remain. */
export class ByteReader {
  readonly #data: Uint8Array;
  #pos = 0;

  constructor(data: Uint8Array) {
    this.#data = data;
  }

  get remaining(): number {
    return this.#data.length - this.#pos;
  }

  get position(): number {
    return this.#pos;
  }

  has(n: number): boolean {
    return this.remaining >= n;
  }

  u8(): number {
    return this.take(1)[0] ?? 0;
  }

  u16(): number {
    const b = this.take(2);
    return ((b[0] ?? 0) << 8) | (b[1] ?? 0);
  }

  u32(): number {
    const b = this.take(4);
    return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
  }

  /** Callers check `has(n)` first; reading past the end is a bug, so it throws RangeError. */
  take(n: number): Uint8Array {
    if (n < 0 || this.#pos + n > this.#data.length) {
      throw new RangeError(`read of ${n} bytes at ${this.#pos} past end ${this.#data.length}`);
    }
    const out = this.#data.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
