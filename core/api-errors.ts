// Classifies errors from the Kubernetes API by shape (an HTTP `code` and a
// raw `body`, as @kubernetes/client-node's ApiException carries them), so
// callers retry only what may succeed on retry. No client import: pure.
export type ApiErrorKind =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "Forbidden"
  | "TooManyRequests"
  | "Unavailable"
  | "Network"
  | "Other";

interface HttpShaped {
  code?: unknown;
  body?: unknown;
  headers?: unknown;
}

function status(e: HttpShaped): { reason?: unknown; message?: unknown } | undefined {
  if (typeof e.body !== "string") return undefined;
  try {
    return JSON.parse(e.body) as { reason?: unknown; message?: unknown };
  } catch {
    return undefined;
  }
}

function statusReason(e: HttpShaped): string | undefined {
  const reason = status(e)?.reason;
  return typeof reason === "string" ? reason : undefined;
}

type KindOf = (e: HttpShaped) => ApiErrorKind;

/** Kinds by HTTP status; any other 5xx is "Unavailable", anything else "Other". */
const KIND_BY_STATUS: ReadonlyMap<number, KindOf> = new Map<number, KindOf>([
  [404, () => "NotFound"],
  // 409 is both "AlreadyExists" (create) and "Conflict" (stale resourceVersion).
  [409, (e) => (statusReason(e) === "AlreadyExists" ? "AlreadyExists" : "Conflict")],
  [422, () => "Invalid"],
  [403, () => "Forbidden"],
  [429, () => "TooManyRequests"],
]);

function kindOfStatus(code: number, e: HttpShaped): ApiErrorKind {
  const kind = KIND_BY_STATUS.get(code);
  if (kind !== undefined) return kind(e);
  return code >= 500 ? "Unavailable" : "Other";
}

export function apiErrorKind(e: unknown): ApiErrorKind {
  if (e === null || typeof e !== "object") return "Other";
  const shaped = e as HttpShaped;
  if (typeof shaped.code === "number") return kindOfStatus(shaped.code, shaped);
  // Sockets fail with string codes (ECONNREFUSED, ECONNRESET, ETIMEDOUT …).
  if (typeof shaped.code === "string" && shaped.code.startsWith("E")) return "Network";
  const cause = (e as { cause?: unknown }).cause;
  return cause !== undefined && cause !== e ? apiErrorKind(cause) : "Other";
}

export function isRetryableApiError(e: unknown): boolean {
  const kind = apiErrorKind(e);
  return kind === "TooManyRequests" || kind === "Unavailable" || kind === "Network";
}

/** Retry-After in ms from a 429/503 (the API server sends seconds). */
export function retryAfterMs(e: unknown): number | undefined {
  const headers = (e as HttpShaped | null)?.headers;
  if (headers === null || typeof headers !== "object") return undefined;
  const value = (headers as Record<string, unknown>)["retry-after"];
  const seconds = typeof value === "string" ? Number(value) : Number.NaN;
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/**
 * One line for logs: "429 TooManyRequests: storage is (re)initializing".
 * client-node's ApiException message is a multi-line dump of body and headers.
 */
export function apiErrorSummary(e: unknown): string {
  const shaped = (e ?? {}) as HttpShaped;
  if (typeof shaped.code !== "number") return e instanceof Error ? e.message : String(e);
  const message = status(shaped)?.message;
  const detail = typeof message === "string" ? message : "";
  return `${shaped.code} ${apiErrorKind(e)}${detail === "" ? "" : `: ${detail}`}`;
}
