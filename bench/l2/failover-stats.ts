// The figures of a series of failover trials: percentiles over the trials
// that were answered in time, and how many were not (reported, never
// dropped silently).
import { percentile } from "../bench-stats.ts";

export interface FailoverSummary {
  /** Trials answered within the deadline. */
  readonly answered: number;
  /** Trials with no answer from another node within the deadline. */
  readonly timeouts: number;
  /** Over the answered trials; NaN when none was. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** `samples`: ms per trial, undefined for a trial that timed out. */
export function summarizeFailover(samples: readonly (number | undefined)[]): FailoverSummary {
  const answered = samples.filter((s): s is number => s !== undefined);
  return {
    answered: answered.length,
    timeouts: samples.length - answered.length,
    p50Ms: percentile(answered, 50),
    p99Ms: percentile(answered, 99),
    maxMs: answered.length === 0 ? Number.NaN : Math.max(...answered),
  };
}
