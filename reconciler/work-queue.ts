// A keyed work queue: a key queued twice is processed once; a key queued while
// it is being processed is processed again afterwards, never concurrently.
// Keys are taken in batches, each batch sorted by `order` (the reconciler puts
// Services that hold IPs first, then pending ones by creation time).
export interface WorkQueueOptions {
  readonly handle: (key: string) => Promise<void>;
  readonly order: (a: string, b: string) => number;
  readonly concurrency: number;
  /** Called when handle throws; the key is retried after `retryMs`. */
  readonly onError: (key: string, e: unknown) => void;
  readonly retryMs?: number | undefined;
}

export class WorkQueue {
  readonly #o: WorkQueueOptions;
  readonly #queued = new Set<string>();
  readonly #running = new Set<string>();
  /** Queued again while running. */
  readonly #dirty = new Set<string>();
  #batch: string[] = [];
  readonly #inBatch = new Set<string>();
  #active = false;
  #idleWaiters: (() => void)[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: WorkQueueOptions) {
    this.#o = options;
  }

  add(key: string): void {
    if (this.#running.has(key)) this.#dirty.add(key);
    else if (!this.#inBatch.has(key)) this.#queued.add(key);
    this.#pump();
  }

  /** Only an active queue processes keys (the leader's). */
  setActive(active: boolean): void {
    this.#active = active;
    if (active) this.#pump();
  }

  get size(): number {
    return this.#queued.size + this.#batch.length + this.#running.size;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  stop(): void {
    this.#active = false;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #next(): string | undefined {
    if (this.#batch.length === 0 && this.#queued.size > 0) {
      this.#batch = [...this.#queued].sort(this.#o.order).reverse();
      for (const key of this.#batch) this.#inBatch.add(key);
      this.#queued.clear();
    }
    const key = this.#batch.pop();
    if (key !== undefined) this.#inBatch.delete(key);
    return key;
  }

  #pump(): void {
    while (this.#active && this.#running.size < this.#o.concurrency) {
      const key = this.#next();
      if (key === undefined) break;
      if (this.#running.has(key)) {
        this.#dirty.add(key);
        continue;
      }
      this.#running.add(key);
      void this.#run(key);
    }
    if (this.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  async #run(key: string): Promise<void> {
    try {
      await this.#o.handle(key);
    } catch (e: unknown) {
      this.#o.onError(key, e);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.add(key);
      }, this.#o.retryMs ?? 500);
      this.#timers.add(timer);
    } finally {
      this.#running.delete(key);
      if (this.#dirty.delete(key)) this.#queued.add(key);
      this.#pump();
    }
  }
}
