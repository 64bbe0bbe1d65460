// The few calls our components make to the Kubernetes API (JSON requests and
// watch streams) over one keep-alive HTTPS agent. Errors have the shape
// core/api-errors.ts classifies (an HTTP `code` and the raw `body`), the same
// as client-node's ApiException, so callers branch on kinds, not libraries.
import { Agent, request, type RequestOptions as HttpsRequestOptions } from "node:https";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { ApiConfig } from "./api-config.ts";

/**
 * An error status from the API server: `code` the HTTP status, `body` its
 * Status object as text, `headers` the response's (Retry-After for a 429).
 */
export class ApiError extends Error {
  readonly code: number;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;

  constructor(what: string, res: IncomingMessage, body: string) {
    const code = res.statusCode ?? 0;
    super(`${what}: HTTP ${String(code)}: ${statusMessage(body)}`);
    this.name = "ApiError";
    this.code = code;
    this.body = body;
    this.headers = res.headers;
  }
}

function statusMessage(body: string): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof message === "string") return message;
  } catch {
    // not a Status object: the text itself, shortened
  }
  return body.slice(0, 200);
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface CallOptions {
  readonly query?: Query;
  readonly body?: unknown;
  /** Default application/json; patches name their type (merge-patch+json …). */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export interface WatchEvent<T = unknown> {
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  readonly object: T;
}

/** A request that sends nothing for this long fails (client-go's default is none; a dead TCP peer must not hang a writer). */
const REQUEST_TIMEOUT_MS = 60_000;

export const MERGE_PATCH = "application/merge-patch+json";

function withQuery(path: string, query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text === "" ? path : `${path}?${text}`;
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Calls `onLine` with each non-empty line of a stream of newline-terminated lines. */
async function forEachLine(res: IncomingMessage, onLine: (line: string) => void): Promise<void> {
  // Decoded as a stream: a character split between two chunks stays whole.
  res.setEncoding("utf8");
  let pending = "";
  for await (const chunk of res) {
    const lines = (pending + (chunk as string)).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") onLine(line);
  }
}

export class ApiClient {
  readonly #config: ApiConfig;
  readonly #agent: Agent;
  readonly #url: URL;

  constructor(config: ApiConfig) {
    this.#config = config;
    this.#url = new URL(config.server);
    this.#agent = new Agent({
      keepAlive: true,
      ...(config.ca === undefined ? {} : { ca: config.ca }),
      ...(config.cert === undefined ? {} : { cert: config.cert }),
      ...(config.key === undefined ? {} : { key: config.key }),
      rejectUnauthorized: !config.insecureSkipTlsVerify,
    });
  }

  #open(method: string, path: string, options: CallOptions, timeoutMs: number) {
    const token = this.#config.token();
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const params: HttpsRequestOptions = {
      agent: this.#agent,
      host: this.#url.hostname.replace(/^\[|\]$/g, ""),
      port: this.#url.port === "" ? 443 : Number(this.#url.port),
      method,
      path: withQuery(path, options.query),
      headers: {
        accept: "application/json",
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined
          ? {}
          : {
              "content-type": options.contentType ?? "application/json",
              "content-length": Buffer.byteLength(body),
            }),
      },
      timeout: timeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(params, resolve);
      req.on("error", reject);
      req.on("timeout", () => {
        req.destroy(
          Object.assign(new Error(`${method} ${path}: no answer in ${String(timeoutMs)} ms`), {
            code: "ETIMEDOUT",
          }),
        );
      });
      req.end(body);
    });
  }

  /** One JSON call; resolves with the parsed body (undefined when empty), rejects with ApiError on an error status. */
  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const res = await this.#open(method, path, options, REQUEST_TIMEOUT_MS);
    const text = await readText(res);
    if ((res.statusCode ?? 0) >= 400) throw new ApiError(`${method} ${path}`, res, text);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /**
   * A watch stream: `onEvent` per event, in order. Resolves when the server
   * ends the stream (its timeoutSeconds), rejects on an error status, a
   * broken line or a dropped connection. `signal` ends it early (resolves).
   */
  async watch<T>(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    // The server closes a watch after timeoutSeconds; a silent connection is
    // the caller's watchdog's business, so no socket timeout here.
    let res: IncomingMessage;
    try {
      res = await this.#open("GET", path, { query: { ...query, watch: true }, signal }, 0);
    } catch (e: unknown) {
      if (signal.aborted) return;
      throw e;
    }
    if ((res.statusCode ?? 0) >= 400) {
      throw new ApiError(`WATCH ${path}`, res, await readText(res));
    }
    try {
      await forEachLine(res, (line) => {
        onEvent(JSON.parse(line) as WatchEvent<T>);
      });
    } catch (e: unknown) {
      if (signal.aborted) return;
      throw e;
    }
  }

  /** Closes idle connections (at shutdown). */
  close(): void {
    this.#agent.destroy();
  }
}
