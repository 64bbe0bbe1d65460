// What a client probing a Layer 2 VIP has been answered, in order, and the
// questions a failover trial asks of it: who answers now, and how long after
// an event another node first answered. Pure (times are passed in), shared by
// `npm run bench -- l2-failover` (HTTP answers) and the vs-metallb Layer 2
// failover scenario (ARP answers).

/** One answer the client got: when (ms since the epoch) and from which node. */
export interface Answer {
  readonly at: number;
  readonly node: string;
}

/** How many answers in a row must name one node before it is "the" answerer. */
export const AGREEING_ANSWERS = 20;

export class AnswerLog {
  readonly answers: Answer[] = [];

  add(answer: Answer): void {
    this.answers.push(answer);
  }

  /** ms from `since` to the first answer at or after it from a node other than `not`. */
  firstOther(since: number, not: string): number | undefined {
    const answer = this.answers.find((a) => a.at >= since && a.node !== not);
    return answer === undefined ? undefined : answer.at - since;
  }

  /** The node answering now (the latest answer), once the last `count` answers agree. */
  current(count = AGREEING_ANSWERS): string | undefined {
    const last = this.answers.slice(-count);
    const node = last.at(-1)?.node;
    return last.length === count && last.every((a) => a.node === node) ? node : undefined;
  }

  /**
   * ms for which `node` has been the only answerer at `now`: since the first
   * answer after the last one from any other node (or the first answer at
   * all). Undefined unless the latest answer is from `node` and no older than
   * `freshMs`, so a probe that stopped hearing anything never looks steady.
   */
  soleFor(node: string, now: number, freshMs = 500): number | undefined {
    const latest = this.answers.at(-1);
    if (latest?.node !== node || now - latest.at > freshMs) return undefined;
    let i = this.answers.length - 1;
    while (i > 0 && this.answers[i - 1]?.node === node) i--;
    const first = this.answers[i];
    return first === undefined ? undefined : now - first.at;
  }
}
