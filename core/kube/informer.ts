// A list-watch cache that keeps itself alive, as client-go's reflector: list,
// then watch from the list's resourceVersion; a watch the server ends (its
// timeoutSeconds) is resumed from the last resourceVersion seen; 410 Gone
// relists at once; any other failure retries after an exponential, jittered
// delay; a watch silent for longer than the server may stay silent is
// abandoned (watchdog); the AbortSignal stops it all. On each list the cache
// is reconciled with what was listed, so a missed delete is still delivered.
import { setTimeout as sleep } from "node:timers/promises";
import { apiErrorSummary } from "../api-errors.ts";
import { backoffDelay } from "../backoff.ts";
import type { Logger } from "../logger.ts";
import type { ApiClient, WatchEvent } from "./api-client.ts";

/** What the cache needs of an object: its identity and version. */
export interface InformedObject {
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    managedFields?: unknown;
  };
}

export interface InformerOptions<T extends InformedObject = InformedObject> {
  readonly api: ApiClient;
  /** Collection path, e.g. /apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddressclaims */
  readonly path: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /**
   * What the cache keeps of an object once the add/update handlers have seen
   * it whole (client-go's SetTransform, applied after delivery). It must keep
   * metadata's name, namespace and resourceVersion; delete handlers and
   * list()/get() see what it kept. Default: everything but
   * metadata.managedFields, which no component reads and which is a large
   * part of every object (issues 4 and 5: memory at 10,000 Services).
   */
  readonly keep?: ((obj: T) => T) | undefined;
}

export type InformerEvent = "add" | "update" | "delete";

interface ListBody<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/**
 * Objects per list page, as client-go's pager (tools/pager, defaultPageSize).
 * A relist of 10,000 Services in one response is a ~20 MB string and its
 * parse at once; in pages, each is handed to the handlers (which keep only
 * what they need) before the next arrives, so the peak stays one page.
 */
const LIST_PAGE_SIZE = 500;

/**
 * client-go asks for a timeout between 5 and 10 minutes (reflector.go
 * minWatchTimeout, randomized so watches of many clients do not end together).
 */
const MIN_WATCH_TIMEOUT_S = 300;
/** With bookmarks allowed the server sends one at least every minute or so; silence beyond the timeout plus this is a dead stream. */
const WATCHDOG_SLACK_MS = 30_000;

class WatchSilent extends Error {
  readonly code = "ETIMEDOUT";
}

function keyOf(obj: InformedObject): string {
  const m = obj.metadata;
  return m?.namespace === undefined || m.namespace === ""
    ? (m?.name ?? "")
    : `${m.namespace}/${m.name ?? ""}`;
}

export interface IdentityMetadata {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
}

/** Identity, version and labels of `metadata`: what a `keep` that drops the rest must leave. */
export function identityMetadata(metadata: IdentityMetadata | undefined): IdentityMetadata {
  const kept: IdentityMetadata = {};
  if (metadata?.name !== undefined) kept.name = metadata.name;
  if (metadata?.namespace !== undefined) kept.namespace = metadata.namespace;
  if (metadata?.resourceVersion !== undefined) kept.resourceVersion = metadata.resourceVersion;
  if (metadata?.labels !== undefined) kept.labels = metadata.labels;
  return kept;
}

function withoutManagedFields<T extends InformedObject>(obj: T): T {
  if (obj.metadata?.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function isGone(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === 410;
}

export class Informer<T extends InformedObject> {
  readonly #o: InformerOptions<T>;
  readonly #keep: (obj: T) => T;
  readonly #log: Logger;
  readonly #store = new Map<string, T>();
  readonly #handlers: Record<InformerEvent, ((obj: T) => void)[]> = {
    add: [],
    update: [],
    delete: [],
  };
  #resourceVersion = "";
  #failures = 0;
  #synced = false;
  #started = false;
  readonly #waiters: (() => void)[] = [];

  constructor(options: InformerOptions<T>) {
    this.#o = options;
    this.#keep = options.keep ?? withoutManagedFields;
    this.#log = options.log.child({ informer: options.path });
  }

  /** Starts listing and watching; resolves once the first list has arrived. */
  async start(): Promise<void> {
    if (!this.#started) {
      this.#started = true;
      void this.#run();
    }
    if (!this.#synced) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  get synced(): boolean {
    return this.#synced;
  }

  on(event: InformerEvent, callback: (obj: T) => void): void {
    this.#handlers[event].push(callback);
  }

  list(namespace?: string): readonly T[] {
    const all = [...this.#store.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#store.get(namespace === undefined ? name : `${namespace}/${name}`);
  }

  #emit(event: InformerEvent, obj: T): void {
    for (const handler of this.#handlers[event]) handler(obj);
  }

  async #run(): Promise<void> {
    const { signal } = this.#o;
    while (!this.#stopped()) {
      try {
        if (this.#resourceVersion === "") await this.#relist();
        await this.#watch();
        this.#failures = 0;
      } catch (e: unknown) {
        if (this.#stopped()) return;
        const gone = isGone(e);
        // 410: our resourceVersion was compacted away; list again, at once
        // the first time, after the usual delay if it keeps happening.
        if (gone) this.#resourceVersion = "";
        const attempt = this.#failures++;
        if (gone && attempt === 0) continue;
        const delay = backoffDelay(attempt, { baseMs: 250, maxMs: 30_000 });
        this.#log.warn({ err: apiErrorSummary(e), retryInMs: delay }, "watch failed; restarting");
        await sleep(delay, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  #stopped(): boolean {
    return this.#o.signal.aborted;
  }

  /**
   * Lists in pages of one consistent snapshot (the continue token pins the
   * list's resourceVersion); an expired token is 410, which relists.
   */
  async #relist(): Promise<void> {
    const seen = new Set<string>();
    let page: ListBody<T>["metadata"];
    do {
      page = await this.#listPage(page?.continue, seen);
    } while (page?.continue !== undefined && page.continue !== "");
    for (const [key, old] of this.#store) {
      if (seen.has(key)) continue;
      this.#store.delete(key);
      this.#emit("delete", old);
    }
    this.#resourceVersion = page?.resourceVersion ?? "";
    this.#synced = true;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  /** Fetches and delivers one page, adding its keys to `seen`; returns the page's list metadata. */
  async #listPage(token: string | undefined, seen: Set<string>): Promise<ListBody<T>["metadata"]> {
    const body = await this.#o.api.call<ListBody<T>>("GET", this.#o.path, {
      signal: this.#o.signal,
      query: { limit: LIST_PAGE_SIZE, continue: token },
    });
    for (const obj of body.items ?? []) {
      const key = keyOf(obj);
      seen.add(key);
      this.#put(key, obj);
    }
    return body.metadata;
  }

  #put(key: string, obj: T): void {
    const old = this.#store.get(key);
    // Whole while the handlers run (they may read the cache), then reduced.
    this.#store.set(key, obj);
    if (old === undefined) this.#emit("add", obj);
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
      this.#emit("update", obj);
    }
    this.#store.set(key, this.#keep(obj));
  }

  async #watch(): Promise<void> {
    const timeoutS = Math.floor(MIN_WATCH_TIMEOUT_S * (1 + Math.random()));
    const stop = new AbortController();
    const onAbort = () => {
      stop.abort();
    };
    this.#o.signal.addEventListener("abort", onAbort, { once: true });
    let watchdog: NodeJS.Timeout | undefined;
    const pet = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(
        () => {
          stop.abort();
        },
        timeoutS * 1000 + WATCHDOG_SLACK_MS,
      );
    };
    pet();
    const t0 = performance.now();
    try {
      await this.#o.api.watch<T>(
        this.#o.path,
        {
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: timeoutS,
        },
        (event) => {
          pet();
          this.#apply(event);
        },
        stop.signal,
      );
    } finally {
      clearTimeout(watchdog);
      this.#o.signal.removeEventListener("abort", onAbort);
    }
    if (this.#stopped()) return;
    // Aborted, but not by our caller: the watchdog.
    if (stop.signal.aborted) {
      throw new WatchSilent(`no event for ${String(timeoutS)} s + 30 s`);
    }
    // A stream the server ends at once, again and again, must not spin: back off (client-go: "very short watch").
    if (performance.now() - t0 < 1000) {
      throw new Error(`the watch of ${this.#o.path} ended within a second`);
    }
  }

  #apply(event: WatchEvent<T>): void {
    if (event.type === "ERROR") {
      // A Status object: 410 Gone (too old a resourceVersion) or a failure.
      const status = event.object as { code?: number; message?: string };
      throw Object.assign(new Error(`watch error: ${status.message ?? "unknown"}`), {
        code: status.code ?? 500,
        body: JSON.stringify(status),
      });
    }
    const rv = event.object.metadata?.resourceVersion;
    if (rv !== undefined) this.#resourceVersion = rv;
    if (event.type === "BOOKMARK") return;
    const key = keyOf(event.object);
    if (event.type === "DELETED") {
      const old = this.#store.get(key);
      this.#store.delete(key);
      this.#emit("delete", old ?? this.#keep(event.object));
      return;
    }
    this.#put(key, event.object);
  }
}
