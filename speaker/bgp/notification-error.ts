// What a receiver answers with (RFC 4271 §6): decoders return these as values.

export interface NotificationValue {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export type Decoded<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly notification: NotificationValue };

/**
 * Thrown only inside this folder's decoders, between a malformed field and
 * the public entry point (`decodeMessage`, `decodeOpen`, …), which turns it
 * into a `{ ok: false }` value. Nothing outside speaker/bgp ever sees it.
 */
export class NotificationError extends Error {
  readonly notification: NotificationValue;
  constructor(code: number, subcode: number, data: Uint8Array = new Uint8Array(0)) {
    super(`BGP NOTIFICATION ${code}/${subcode}`);
    this.notification = { code, subcode, data };
  }
}

export function fail(code: number, subcode: number, data?: Uint8Array): never {
  throw new NotificationError(code, subcode, data);
}

/** Runs a decoder and turns a NotificationError into a value; real bugs still throw. */
export function asDecoded<T>(decode: () => T): Decoded<T> {
  try {
    return { ok: true, message: decode() };
  } catch (e: unknown) {
    if (e instanceof NotificationError) return { ok: false, notification: e.notification };
    throw e;
  }
}

export function u16Bytes(value: number): Uint8Array {
  return Uint8Array.of((value >> 8) & 0xff, value & 0xff);
}
