// Gives the V8 heap's free pages back to the OS once the speaker is quiet
// (issue 5: speaker RSS with 10,000 Services).
//
// Why it is needed: a burst of changes (the initial list, thousands of
// Services created) leaves the old generation fragmented. Small semi-spaces
// (manifests/install/runtime.ts) promote short-lived objects early, and what
// survives is spread thin over pages V8 keeps committed. V8 compacts and
// releases them only under memory pressure; its idle memory reducer never ran
// in 80 s of a quiet speaker (BENCHMARKS.md, l2). The inspector's
// HeapProfiler.collectGarbage is V8's "all available garbage" collection
// (Isolate::LowMemoryNotification): full GCs that compact and release the
// pages. A plain `gc()` does not compact and gave almost nothing back.
//
// It blocks the event loop for one full GC, so it runs only after `quietMs`
// without changes, at most once per `minIntervalMs`, and not while the
// speaker answers a flood (`busy`).
import type { Logger } from "../core/logger.ts";
import { errorText } from "../core/errors.ts";

export interface TrimPolicy {
  /** How long without changes before trimming. */
  readonly quietMs: number;
  /** Least time between two trims. */
  readonly minIntervalMs: number;
}

export interface TrimClock {
  readonly now: number;
  /** When the last change was reported. */
  readonly lastChange: number;
  /** When the last trim ran (-Infinity: never). */
  readonly lastTrim: number;
  /** Answering a flood right now: a pause would overflow the sockets' receive buffers. */
  readonly busy?: boolean;
}

export type TrimDecision =
  { readonly kind: "trim" } | { readonly kind: "wait"; readonly ms: number };

/** Trim now, or how long to wait before asking again. */
export function decideTrim(policy: TrimPolicy, clock: TrimClock): TrimDecision {
  const quietFor = clock.now - clock.lastChange;
  if (quietFor < policy.quietMs) return { kind: "wait", ms: policy.quietMs - quietFor };
  const sinceTrim = clock.now - clock.lastTrim;
  if (sinceTrim < policy.minIntervalMs) {
    return { kind: "wait", ms: policy.minIntervalMs - sinceTrim };
  }
  return clock.busy === true ? { kind: "wait", ms: policy.quietMs } : { kind: "trim" };
}

/** The compacting collection; resolves when it is done. */
export type Collect = () => Promise<void>;

/** HeapProfiler.collectGarbage over an in-process inspector session (no port is opened). */
export async function inspectorCollect(): Promise<void> {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  try {
    await session.post("HeapProfiler.collectGarbage");
  } finally {
    session.disconnect();
  }
}

export interface HeapTrimmerOptions extends TrimPolicy {
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Called with each trim's duration in seconds (a metric). */
  readonly onTrim?: (seconds: number) => void;
  readonly collect?: Collect;
  /** Milliseconds, monotonic (tests pass a fake clock). */
  readonly now?: () => number;
  /** True while the speaker is too busy to pause (an ARP/NDP flood): the trim waits. */
  readonly busy?: () => boolean;
}

export class HeapTrimmer {
  readonly #o: HeapTrimmerOptions;
  readonly #collect: Collect;
  readonly #now: () => number;
  #lastChange = 0;
  #lastTrim = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  /** A change arrived since the last trim: without one there is nothing new to give back. */
  #dirty = false;
  #disabled = false;

  constructor(options: HeapTrimmerOptions) {
    this.#o = options;
    this.#collect = options.collect ?? inspectorCollect;
    this.#now = options.now ?? (() => performance.now());
    options.signal.addEventListener("abort", () => {
      clearTimeout(this.#timer);
    });
  }

  /** Something changed (and allocated): trim once things are quiet again. */
  changed(): void {
    if (this.#disabled || this.#o.quietMs <= 0 || this.#o.signal.aborted) return;
    this.#lastChange = this.#now();
    this.#dirty = true;
    this.#timer ??= this.#schedule(this.#o.quietMs);
  }

  #schedule(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#check();
    }, ms);
    timer.unref();
    return timer;
  }

  #check(): void {
    if (!this.#dirty || this.#o.signal.aborted) return;
    const decision = decideTrim(this.#o, {
      now: this.#now(),
      lastChange: this.#lastChange,
      lastTrim: this.#lastTrim,
      busy: this.#o.busy?.() ?? false,
    });
    if (decision.kind === "wait") {
      this.#timer = this.#schedule(decision.ms);
      return;
    }
    this.#dirty = false;
    void this.#trim();
  }

  async #trim(): Promise<void> {
    const before = process.memoryUsage();
    const started = this.#now();
    try {
      await this.#collect();
    } catch (e: unknown) {
      // A Node built without the inspector: trimming is an optimisation, so
      // the speaker goes on without it.
      this.#disabled = true;
      this.#o.log.warn({ err: errorText(e) }, "heap trimming unavailable; disabled");
      return;
    }
    const seconds = (this.#now() - started) / 1000;
    this.#lastTrim = this.#now();
    const after = process.memoryUsage();
    this.#o.onTrim?.(seconds);
    this.#o.log.debug(
      {
        ms: Math.round(seconds * 1000),
        rssMb: [mb(before.rss), mb(after.rss)],
        heapTotalMb: [mb(before.heapTotal), mb(after.heapTotal)],
      },
      "heap trimmed",
    );
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}
