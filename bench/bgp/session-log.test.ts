import { describe, expect, it } from "vitest";
import { parseLogTime, sessionEstablishedAt } from "./session-log.ts";

describe("sessionEstablishedAt", () => {
  it("reads metallb-ts's pino line (ISO time)", () => {
    const log = [
      '{"level":30,"time":"2026-11-21T18:35:07.100Z","msg":"speaker started"}',
      '{"level":30,"time":"2026-11-21T18:35:07.770Z","peer":"vs-bgp-rtr","msg":"BGP session established"}',
    ].join("\n");
    expect(sessionEstablishedAt(log)).toBe(Date.parse("2026-11-21T18:35:07.770Z"));
  });

  it("reads MetalLB's go-kit line (ts with nanoseconds)", () => {
    const log =
      '{"caller":"native.go:123","event":"sessionUp","level":"info","localASN":64513,"msg":"BGP session established","ts":"2026-11-21T18:31:00.123456789Z"}\n';
    expect(sessionEstablishedAt(log)).toBe(Date.parse("2026-11-21T18:31:00.123Z"));
  });

  it("skips a line cut short and is undefined without the line", () => {
    expect(sessionEstablishedAt('{"msg":"BGP session established","ts":"2026-')).toBeUndefined();
    expect(sessionEstablishedAt('{"msg":"BGP session down"}')).toBeUndefined();
  });
});

describe("parseLogTime", () => {
  it("takes whole seconds, offsets and epoch numbers", () => {
    expect(parseLogTime("2026-11-21T18:31:00Z")).toBe(Date.parse("2026-11-21T18:31:00.000Z"));
    expect(parseLogTime("2026-11-21T19:31:00.5+01:00")).toBe(
      Date.parse("2026-11-21T18:31:00.500Z"),
    );
    expect(parseLogTime(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(parseLogTime("yesterday")).toBeUndefined();
  });
});
