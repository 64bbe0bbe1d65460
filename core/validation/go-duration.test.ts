import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseGoDuration } from "./go-duration.ts";

describe("parseGoDuration", () => {
  it.each([
    ["0", 0],
    ["-0", 0],
    ["+0", 0],
    ["0s", 0],
    ["90s", 90_000],
    ["1m30s", 90_000],
    ["1h", 3_600_000],
    ["1.5h", 5_400_000],
    ["300ms", 300],
    [".5s", 500],
    ["1.s", 1000],
    ["2h45m", 9_900_000],
    ["-1.5s", -1500],
    ["+5s", 5000],
    ["1s1s", 2000], // Go sums repeated units
    ["1000000us", 1000],
    ["1000000µs", 1000], // U+00B5 micro sign
    ["1000000μs", 1000], // U+03BC Greek mu
    ["5000000ns", 5],
    ["65535s", 65_535_000],
  ])("%j is %d ms", (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it("keeps sub-millisecond parts", () => {
    expect(parseGoDuration("1h2m3s4ms5us6ns")).toBeCloseTo(3_723_004.005006, 9);
    expect(parseGoDuration("1us")).toBeCloseTo(0.001, 12);
  });

  it.each([
    "",
    "-",
    "+",
    "s",
    ".s",
    ".",
    "1",
    "00",
    "90",
    "1d",
    "1 s",
    " 1s",
    "1s ",
    "1S",
    "1h-1m",
    "1e3s",
    "1.5.5s",
    "--1s",
    "1sec",
    "one second",
    "1m30",
  ])("%j is not a duration", (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });

  it("sums parts written in any order", () => {
    const unit = fc.constantFrom(
      ["h", 3_600_000] as const,
      ["m", 60_000] as const,
      ["s", 1000] as const,
      ["ms", 1] as const,
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(10_000), unit), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (parts, negative) => {
          const text = (negative ? "-" : "") + parts.map(([n, [u]]) => `${n}${u}`).join("");
          const ms = parts.reduce((acc, [n, [, f]]) => acc + n * f, 0);
          expect(parseGoDuration(text)).toBe(negative ? -ms : ms);
        },
      ),
    );
  });

  it("never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        const ms = parseGoDuration(text);
        if (ms !== undefined) expect(Number.isFinite(ms)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
