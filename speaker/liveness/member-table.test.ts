import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Heartbeat } from "./heartbeat-codec.ts";
import { DEFAULT_LIVENESS_TIMING, MemberTable, type Transition } from "./member-table.ts";

const T = DEFAULT_LIVENESS_TIMING; // 100 ms, 3 missed, 50 ms grace, 2 s hold-down
const DEAD_AFTER = 3 * 100 + 50;

/** A peer that sends heartbeats with a growing sequence, as a real one does. */
function peer(node: string, incarnation = 1000): (extra?: Partial<Heartbeat>) => Heartbeat {
  let sequence = 0;
  return (extra = {}) => ({
    node,
    incarnation,
    sequence: ++sequence,
    intervalMs: 100,
    stage: "ready",
    leaving: false,
    ...extra,
  });
}

/** Drives a table with a fake clock: `run(ms, beat)` advances in 10 ms steps. */
function harness(self = "a", start = 0) {
  const table = new MemberTable({ self, ...T }, start);
  let now = start;
  const transitions: (Transition & { at: number })[] = [];
  const run = (ms: number, beats: Record<string, () => Heartbeat> = {}): void => {
    const end = now + ms;
    while (now < end) {
      now += 10;
      if (now % 100 === 0) {
        for (const beat of Object.values(beats)) {
          const r = table.receive(beat(), now);
          if (r.accepted && r.transition) transitions.push({ ...r.transition, at: now });
        }
      }
      for (const t of table.tick(now)) transitions.push({ ...t, at: now });
    }
  };
  return { table, run, transitions, now: () => now };
}

describe("MemberTable", () => {
  it("a peer is alive from its first heartbeat and dead after 3 missed intervals + grace", () => {
    const h = harness();
    const b = peer("b");
    h.run(1000, { b });
    expect(h.transitions).toEqual([{ node: "b", from: "unknown", to: "alive", at: 100 }]);
    const lastHeard = 1000;
    h.run(1000);
    const dead = h.transitions.at(-1);
    expect(dead?.to).toBe("dead");
    expect((dead?.at ?? 0) - lastHeard).toBeGreaterThan(DEAD_AFTER);
    expect((dead?.at ?? 0) - lastHeard).toBeLessThanOrEqual(DEAD_AFTER + 10);
  });

  it("uses the longer of our interval and the peer's", () => {
    const h = harness();
    const b = peer("b");
    h.table.receive(b({ intervalMs: 1000 }), 0);
    expect(h.table.tick(2999 + 50)).toEqual([]);
    expect(h.table.tick(3051)).toEqual([{ node: "b", from: "alive", to: "dead" }]);
  });

  it("leaving: dropped at once, not after the timeout", () => {
    const h = harness();
    const b = peer("b");
    h.run(500, { b });
    const r = h.table.receive(b({ leaving: true }), h.now() + 1);
    expect(r).toEqual({ accepted: true, transition: { node: "b", from: "alive", to: "left" } });
    expect(h.table.candidates(h.now() + 1).has("b")).toBe(false);
  });

  it("replay protection: sequence must grow within an incarnation; old incarnations are refused while the new one lives", () => {
    const table = new MemberTable({ self: "a", ...T }, 0);
    const hb = (incarnation: number, sequence: number): Heartbeat => ({
      node: "b",
      incarnation,
      sequence,
      intervalMs: 100,
      stage: "ready",
      leaving: false,
    });
    expect(table.receive(hb(5, 10), 0).accepted).toBe(true);
    expect(table.receive(hb(5, 10), 1)).toEqual({ accepted: false, reason: "replayed" });
    expect(table.receive(hb(5, 9), 2)).toEqual({ accepted: false, reason: "replayed" });
    expect(table.receive(hb(4, 99), 3)).toEqual({ accepted: false, reason: "stale-incarnation" });
    expect(table.receive(hb(6, 1), 4).accepted).toBe(true); // restarted
    expect(table.receive({ ...hb(7, 1), node: "a" }, 5)).toEqual({
      accepted: false,
      reason: "self",
    });
    // The peer died; it comes back with a clock set back: taken.
    table.tick(1000);
    expect(table.receive(hb(3, 1), 1001).accepted).toBe(true);
  });

  it("fuzz: any sequence of heartbeats never makes an older (incarnation, sequence) win over a live newer one", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(5), fc.nat(5)), { minLength: 1, maxLength: 40 }),
        (beats) => {
          const table = new MemberTable({ self: "a", ...T }, 0);
          let best: [number, number] | undefined;
          beats.forEach(([inc, seq], i) => {
            const r = table.receive(
              {
                node: "b",
                incarnation: inc,
                sequence: seq,
                intervalMs: 100,
                stage: "ready",
                leaving: false,
              },
              i,
            );
            const newer = best === undefined || inc > best[0] || (inc === best[0] && seq > best[1]);
            expect(r.accepted).toBe(newer);
            if (newer) best = [inc, seq];
          });
        },
      ),
    );
  });

  it("self stage: starting for the hold-down, then ready", () => {
    const table = new MemberTable({ self: "a", ...T }, 5000);
    expect(table.selfStage(5000)).toBe("starting");
    expect(table.selfStage(6999)).toBe("starting");
    expect(table.selfStage(7000)).toBe("ready");
  });

  it("candidates: the live nodes of the best stage present", () => {
    const h = harness("a", 0);
    const b = peer("b");
    const c = peer("c");
    // At cluster start everyone is starting: all are candidates at once.
    h.run(500, { b: () => b({ stage: "starting" }), c: () => c({ stage: "starting" }) });
    expect([...h.table.candidates(h.now())].sort()).toEqual(["a", "b", "c"]);
    // b turns ready first: for a moment it is the only candidate.
    h.run(100, { b: () => b({ stage: "ready" }), c: () => c({ stage: "starting" }) });
    expect([...h.table.candidates(h.now())]).toEqual(["b"]);
    h.run(2000, { b, c });
    expect([...h.table.candidates(h.now())].sort()).toEqual(["a", "b", "c"]);
  });

  it("a node that hears no peer and then hears one again is rejoining for the hold-down", () => {
    const h = harness("a", 0);
    const b = peer("b");
    const c = peer("c");
    h.run(3000, { b, c });
    expect(h.table.selfStage(h.now())).toBe("ready");
    h.run(1000); // a's link is cut: it hears nobody
    expect(h.table.candidates(h.now())).toEqual(new Set(["a"])); // alone, it serves everything
    expect(h.table.selfStage(h.now())).toBe("rejoining");
    h.run(200, { b, c }); // link back: b and c are ready, so a waits
    expect([...h.table.candidates(h.now())].sort()).toEqual(["b", "c"]);
    h.run(1700, { b, c });
    expect(h.table.selfStage(h.now())).toBe("rejoining");
    h.run(200, { b, c });
    expect(h.table.selfStage(h.now())).toBe("ready");
    expect([...h.table.candidates(h.now())].sort()).toEqual(["a", "b", "c"]);
  });

  it("the peers' view of a flapping node: excluded while it flaps, back after it stays for the hold-down", () => {
    const h = harness("a", 0);
    const b = peer("b");
    const f = peer("f");
    h.run(3000, { b, f });
    expect(h.table.candidates(h.now()).has("f")).toBe(true);
    for (let i = 0; i < 5; i++) {
      h.run(500, { b }); // f's link down for 500 ms
      expect(h.table.candidates(h.now()).has("f")).toBe(false);
      // f noticed it heard nobody, so it says rejoining when it comes back
      h.run(500, { b, f: () => f({ stage: "rejoining" }) });
      expect(h.table.candidates(h.now()).has("f")).toBe(false);
    }
    h.run(2000, { b, f: () => f({ stage: "ready" }) });
    expect(h.table.candidates(h.now()).has("f")).toBe(true);
  });

  it("a peer that left gracefully does not make the survivor 'rejoining' when it comes back", () => {
    const h = harness("a", 0);
    const b = peer("b");
    h.run(3000, { b });
    h.table.receive(b({ leaving: true }), h.now() + 1);
    h.run(1000);
    const b2 = peer("b", 2000);
    h.run(500, { b: () => b2({ stage: "starting" }) });
    expect(h.table.selfStage(h.now())).toBe("ready");
    expect([...h.table.candidates(h.now())]).toEqual(["a"]);
  });

  it("two nodes healing a partition: both were alone, both candidates at once (no owner-less gap)", () => {
    const h = harness("a", 0);
    const b = peer("b");
    h.run(3000, { b });
    h.run(1000);
    h.run(200, { b: () => b({ stage: "rejoining" }) });
    expect([...h.table.candidates(h.now())].sort()).toEqual(["a", "b"]);
  });

  it("retain forgets peers whose Node is gone", () => {
    const h = harness("a", 0);
    const b = peer("b");
    h.run(3000, { b });
    h.run(1000);
    expect(h.table.selfStage(h.now())).toBe("rejoining");
    h.table.retain(new Set());
    expect(h.table.members(h.now())).toEqual([]);
    expect(h.table.selfStage(h.now())).toBe("ready");
  });
});
