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
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface InformerOptions {
  readonly api: ApiClient;
  /** Collection path, e.g. /apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddressclaims */
  readonly path: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

export type InformerEvent = "add" | "update" | "delete";

interface ListBody<T> {
  metadata?: { resourceVersion?: string };
  items?: T[];
}

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

function isGone(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === 410;
}

export class Informer<T extends InformedObject> {
  readonly #o: InformerOptions;
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

  constructor(options: InformerOptions) {
    this.#o = options;
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

  async #relist(): Promise<void> {
    const body = await this.#o.api.call<ListBody<T>>("GET", this.#o.path, {
      signal: this.#o.signal,
    });
    const seen = new Set<string>();
    for (const obj of body.items ?? []) {
      const key = keyOf(obj);
      seen.add(key);
      this.#put(key, obj);
    }
    for (const [key, old] of this.#store) {
      if (seen.has(key)) continue;
      this.#store.delete(key);
      this.#emit("delete", old);
    }
    this.#resourceVersion = body.metadata?.resourceVersion ?? "";
    this.#synced = true;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  #put(key: string, obj: T): void {
    const old = this.#store.get(key);
    this.#store.set(key, obj);
    if (old === undefined) this.#emit("add", obj);
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
      this.#emit("update", obj);
    }
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
      this.#emit("delete", old ?? event.object);
      return;
    }
    this.#put(key, event.object);
  }
}
