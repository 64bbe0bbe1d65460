// The recorder's bounds, with a fake API: at most `inFlight` creates at once,
// at most `queued` waiting, the rest dropped and counted, one warning per burst;
// nothing sent while deferred.
import { describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import type { ApiClient } from "./api-client.ts";
import { EventRecorder } from "./event-recorder.ts";

function fakeApi() {
  const calls: { reason: string | undefined; resolve: () => void }[] = [];
  let peak = 0;
  let open = 0;
  const api = {
    call: (_method: string, _path: string, req: { body: { reason?: string } }) =>
      new Promise<void>((resolve) => {
        open++;
        peak = Math.max(peak, open);
        calls.push({
          reason: req.body.reason,
          resolve: () => {
            open--;
            resolve();
          },
        });
      }),
  } as unknown as ApiClient;
  return { api, calls, peak: () => peak };
}

const tick = () => new Promise((r) => setImmediate(r));
const target = { namespace: "ns", name: "svc" };
const event = (n: number) => ({ type: "Normal" as const, reason: `r${String(n)}`, message: "m" });

describe("EventRecorder", () => {
  it("sends at most inFlight at once, keeps order, drops beyond the queue", async () => {
    const { api, calls, peak } = fakeApi();
    const warnings: unknown[] = [];
    const log = createLogger("test", "silent");
    log.warn = (o: unknown) => {
      warnings.push(o);
    };
    const recorder = new EventRecorder(api, "c", log, { inFlight: 2, queued: 3 });
    for (let i = 0; i < 10; i++) recorder.record(target, event(i));
    // 2 in flight, 3 queued, 5 dropped with a single warning.
    expect(calls.map((c) => c.reason)).toEqual(["r0", "r1"]);
    expect(recorder.dropped).toBe(5);
    expect(warnings).toHaveLength(1);
    while (calls.some((c) => c.reason !== "done")) {
      const open = calls.filter((c) => c.reason !== "done");
      for (const c of open) {
        c.resolve();
        c.reason = "done";
      }
      await tick();
      await tick();
    }
    expect(peak()).toBe(2);
    expect(calls).toHaveLength(5);
    // Drained: a new burst warns again.
    for (let i = 0; i < 6; i++) recorder.record(target, event(i));
    expect(recorder.dropped).toBe(6);
    expect(warnings).toHaveLength(2);
  });

  it("holds Events back while deferred and sends them in order once it settles", async () => {
    const { api, calls } = fakeApi();
    const recorder = new EventRecorder(api, "c", createLogger("test", "silent"), { inFlight: 2 });
    let settle = (): void => undefined;
    recorder.deferUntil(new Promise<void>((r) => (settle = r)));
    // A second hold while held changes nothing: the first one decides.
    recorder.deferUntil(new Promise<void>(() => undefined));
    for (let i = 0; i < 3; i++) recorder.record(target, event(i));
    await tick();
    expect(recorder.deferred).toBe(true);
    expect(calls).toHaveLength(0);
    settle();
    await tick();
    expect(recorder.deferred).toBe(false);
    expect(calls.map((c) => c.reason)).toEqual(["r0", "r1"]);
    calls[0]?.resolve();
    await tick();
    await tick();
    expect(calls.map((c) => c.reason)).toEqual(["r0", "r1", "r2"]);
    expect(recorder.dropped).toBe(0);
  });
});
