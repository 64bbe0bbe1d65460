// A list-watch cache that keeps itself alive. client-node's ListWatch relists
// on 410 and rewatches after its inactivity timeout, but on any other error it
// emits "error" and stops for good (ecosystem notes §2.4, client-node #1933):
// here every error restarts it after an exponential, jittered delay, until
// the AbortSignal says stop.
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
} from "@kubernetes/client-node";
import { backoffDelay } from "../backoff.ts";
import { apiErrorSummary } from "../api-errors.ts";
import type { Logger } from "../logger.ts";

export interface InformerOptions<T extends KubernetesObject> {
  readonly kc: KubeConfig;
  /** Watch path, e.g. /apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddressclaims */
  readonly path: string;
  readonly list: ListPromise<T>;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

export type InformerEvent = "add" | "update" | "delete";

export class Informer<T extends KubernetesObject> {
  readonly #lw: ListWatch<T>;
  readonly #log: Logger;
  readonly #signal: AbortSignal;
  #failures = 0;
  #synced = false;
  #restartTimer: NodeJS.Timeout | undefined;
  readonly #waiters: (() => void)[] = [];

  constructor(options: InformerOptions<T>) {
    this.#log = options.log.child({ informer: options.path });
    this.#signal = options.signal;
    this.#lw = new ListWatch(options.path, new Watch(options.kc), options.list, false);
    this.#lw.on("connect", () => {
      this.#failures = 0;
    });
    this.#lw.on("error", (e: unknown) => {
      this.#scheduleRestart(e);
    });
    options.signal.addEventListener("abort", () => {
      clearTimeout(this.#restartTimer);
      void this.#lw.stop();
    });
  }

  /** Starts listing and watching; resolves once the first list has arrived. */
  async start(): Promise<void> {
    await this.#startOnce();
    if (!this.#synced) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async #startOnce(): Promise<void> {
    await this.#lw.start();
    if (this.#lw.latestResourceVersion() !== "" && !this.#synced) {
      this.#synced = true;
      for (const resolve of this.#waiters.splice(0)) resolve();
    }
  }

  #scheduleRestart(e: unknown): void {
    if (this.#signal.aborted) return;
    const delay = backoffDelay(this.#failures++, { baseMs: 250, maxMs: 30_000 });
    this.#log.warn({ err: apiErrorSummary(e), retryInMs: delay }, "watch failed; restarting");
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      this.#startOnce().catch((err: unknown) => {
        this.#scheduleRestart(err);
      });
    }, delay);
  }

  get synced(): boolean {
    return this.#synced;
  }

  on(event: InformerEvent, callback: (obj: T) => void): void {
    this.#lw.on(event, callback);
  }

  list(namespace?: string): readonly T[] {
    return this.#lw.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#lw.get(name, namespace);
  }
}
