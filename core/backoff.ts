// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
// Backoff And Jitter"): replicas that failed together do not retry together.
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Injected for tests; Math.random by default. */
  readonly random?: () => number;
}

export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

export interface RetryOptions extends BackoffOptions {
  readonly attempts: number;
  readonly retryable: (e: unknown) => boolean;
  /** A server's Retry-After, when it gave one, in ms. */
  readonly retryAfterMs?: (e: unknown) => number | undefined;
  readonly signal?: AbortSignal;
}

export async function retry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e: unknown) {
      if (attempt + 1 >= options.attempts || !options.retryable(e) || options.signal?.aborted) {
        throw e;
      }
      const hinted = options.retryAfterMs?.(e);
      const delay = Math.min(options.maxMs, hinted ?? backoffDelay(attempt, options));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
