// Turns arbitrary TCP chunks into whole BGP messages (or one framing error).

import { HEADER_LENGTH } from "./constants.ts";
import { checkHeader } from "./header.ts";
import { asDecoded, type NotificationValue } from "./notification-error.ts";

export type Frame =
  | { readonly ok: true; readonly frame: Uint8Array }
  | { readonly ok: false; readonly notification: NotificationValue };

/**
 * Buffers bytes and yields each whole message as soon as it is complete.
 * A bad marker or length yields one `{ ok: false }` frame; after that the
 * stream is out of sync, the splitter stays failed and ignores further input
 * (the session must send the NOTIFICATION and close).
 */
export class MessageSplitter {
  #buffer = new Uint8Array(0);
  #failed = false;

  get failed(): boolean {
    return this.#failed;
  }

  /** Octets held back waiting for the rest of a message. */
  get pending(): number {
    return this.#buffer.length;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.#failed) return [];
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const frames: Frame[] = [];
    let at = 0;
    while (joined.length - at >= HEADER_LENGTH) {
      const checked = asDecoded(() => checkHeader(joined.subarray(at, at + HEADER_LENGTH)));
      if (!checked.ok) {
        this.#failed = true;
        this.#buffer = new Uint8Array(0);
        frames.push(checked);
        return frames;
      }
      if (joined.length - at < checked.message) break;
      frames.push({ ok: true, frame: joined.slice(at, at + checked.message) });
      at += checked.message;
    }
    this.#buffer = joined.slice(at);
    return frames;
  }
}
