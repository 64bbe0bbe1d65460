import { describe, expect, it } from "vitest";
import { DOC_END, DOC_START, metallbWins, replaceSection, rows } from "./report.ts";
import { SCENARIOS } from "./scenarios.ts";

const scenario = SCENARIOS[0];
if (scenario === undefined) throw new Error("no scenarios");

describe("rows", () => {
  it("takes the median of each system's runs and the ratio ours / MetalLB", () => {
    const [row] = rows({
      scenario,
      runs: { "metallb-ts": [{ t_ms: 10 }, { t_ms: 30 }], MetalLB: [{ t_ms: 5 }, { t_ms: 15 }] },
    });
    expect(row).toEqual({ figure: "t_ms", ours: 20, theirs: 10, ratio: 2 });
  });

  it("prefers a figure pooled over all runs to the median of the runs", () => {
    const [row] = rows({
      scenario,
      runs: { "metallb-ts": [{ t_ms: 10 }, { t_ms: 30 }], MetalLB: [{ t_ms: 5 }, { t_ms: 15 }] },
      pooled: { "metallb-ts": { t_ms: 28 }, MetalLB: {} },
    });
    expect(row).toEqual({ figure: "t_ms", ours: 28, theirs: 10, ratio: 2.8 });
  });

  it("gives no ratio where MetalLB's figure is 0, and NaN for a figure only one side has", () => {
    const r = rows({
      scenario,
      runs: { "metallb-ts": [{ dup: 0, rss_webhooks_mb: 5 }], MetalLB: [{ dup: 0 }] },
    });
    expect(r[0]?.ratio).toBeNaN();
    expect(r[1]?.theirs).toBeNaN();
  });
});

describe("metallbWins", () => {
  it("names every figure where MetalLB is lower, and none where metallb-ts is", () => {
    const wins = metallbWins([
      {
        scenario,
        runs: { "metallb-ts": [{ a_ms: 10, b_ms: 1 }], MetalLB: [{ a_ms: 5, b_ms: 2 }] },
      },
    ]);
    expect(wins).toHaveLength(1);
    expect(wins[0]).toContain("a_ms: MetalLB 5 ms against metallb-ts 10 ms");
  });
});

describe("replaceSection", () => {
  it("replaces only what lies between the markers", () => {
    const doc = `# B\n\nbefore\n\n${DOC_START}\nold\n${DOC_END}\n\nafter\n`;
    const next = replaceSection(doc, `${DOC_START}\nnew\n${DOC_END}`);
    expect(next).toBe(`# B\n\nbefore\n\n${DOC_START}\nnew\n${DOC_END}\n\nafter\n`);
  });

  it("appends the section when the markers are missing", () => {
    expect(replaceSection("# B\n\ntext\n\n", `${DOC_START}\nx\n${DOC_END}`)).toBe(
      `# B\n\ntext\n\n${DOC_START}\nx\n${DOC_END}\n`,
    );
  });
});
