// Errors that leave a component carry a stable code and their cause, so logs
// and callers can branch on the code instead of parsing text.
export class MetallbError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MetallbError";
    this.code = code;
  }
}

/** Text of any thrown value, for logs and messages. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
