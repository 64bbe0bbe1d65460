import { describe, expect, it } from "vitest";
import { AnswerLog } from "./answer-log.ts";

function log(...answers: [number, string][]): AnswerLog {
  const l = new AnswerLog();
  for (const [at, node] of answers) l.add({ at, node });
  return l;
}

describe("AnswerLog", () => {
  it("times the first answer from another node at or after the event", () => {
    const l = log([90, "n1"], [100, "n2"], [105, "n1"], [250, "n3"], [260, "n2"]);
    expect(l.firstOther(100, "n1")).toBe(0);
    expect(l.firstOther(101, "n1")).toBe(149);
    expect(l.firstOther(101, "n3")).toBe(4);
    expect(l.firstOther(300, "n1")).toBeUndefined();
  });

  it("names the current answerer only once the last answers agree", () => {
    const l = log([1, "n1"], [2, "n1"], [3, "n2"], [4, "n2"]);
    expect(l.current(2)).toBe("n2");
    expect(l.current(3)).toBeUndefined();
    expect(l.current(5)).toBeUndefined();
  });

  it("measures how long one node has been the sole answerer", () => {
    const l = log([0, "n1"], [100, "n2"], [200, "n1"], [300, "n1"], [400, "n1"]);
    expect(l.soleFor("n1", 450)).toBe(250);
    expect(l.soleFor("n2", 450)).toBeUndefined();
    // Nothing heard for longer than freshMs: not steady, whatever came before.
    expect(l.soleFor("n1", 1_000)).toBeUndefined();
    expect(log([10, "n1"], [20, "n1"]).soleFor("n1", 30)).toBe(20);
    expect(new AnswerLog().soleFor("n1", 0)).toBeUndefined();
  });
});
