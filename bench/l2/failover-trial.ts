// One Layer 2 failover trial against a running probe: wait for a settled
// owner, do the event to it (link cut, speaker killed), time until another
// node answers the client, undo the event, and let things settle before the
// next trial.
import { waitFor } from "../../test/lab/exec.ts";
import type { AnswerLog } from "./answer-log.ts";

export interface TrialPlan {
  /** The probe's answers (AnswerProbe.log). */
  readonly answers: AnswerLog;
  /** Names the event in messages: "link", "kill". */
  readonly event: string;
  readonly cut: (owner: string) => Promise<void>;
  readonly restore: (owner: string) => Promise<void>;
  /** After restore(): resolves once the next trial may start. */
  readonly settle: (owner: string) => Promise<void>;
  /** A trial with no answer from another node within this is a timeout. */
  readonly deadlineMs: number;
}

export interface TrialResult {
  readonly owner: string;
  /** ms from the event to the first answer from another node; undefined: timed out. */
  readonly ms: number | undefined;
}

export async function failoverTrial(plan: TrialPlan): Promise<TrialResult> {
  const owner = await waitFor("a settled owner", () => plan.answers.current(), {
    timeoutMs: 20_000,
    stepMs: 50,
  });
  const since = Date.now();
  await plan.cut(owner);
  const ms = await waitFor(
    `another node answers after ${owner}'s ${plan.event}`,
    () => plan.answers.firstOther(since, owner),
    { timeoutMs: plan.deadlineMs, stepMs: 20 },
  ).catch(() => undefined);
  await plan.restore(owner);
  await plan.settle(owner);
  // The last poll may come after the deadline: an answer that late is a timeout too.
  return { owner, ms: ms !== undefined && ms <= plan.deadlineMs ? ms : undefined };
}
