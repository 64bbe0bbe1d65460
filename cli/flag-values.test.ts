import { describe, expect, it } from "vitest";
import { parseDuration, parsePort } from "./flag-values.ts";

describe("flag values", () => {
  it("reads durations as Go durations", () => {
    expect(parseDuration("60s")).toBe(60_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(() => parseDuration("soon")).toThrow(/invalid duration "soon"/);
  });

  it("reads ports and names the flag when one is not", () => {
    expect(parsePort("7472", "--metrics-port")).toBe(7472);
    expect(parsePort("0", "--metrics-port")).toBe(0);
    for (const bad of ["", "x", "65536", "-1", "1.5"]) {
      expect(() => parsePort(bad, "--metrics-port")).toThrow(/--metrics-port/);
    }
  });
});
