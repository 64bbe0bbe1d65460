// The adapter over real UDP sockets on loopback (127.0.0.1 and 127.0.0.2, a
// free port): no root, no namespaces. Link cuts and timing across hosts are in
// test/network/liveness-*.test.ts.
import dgram from "node:dgram";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../core/logger.ts";
import { deriveHeartbeatKey } from "./heartbeat-codec.ts";
import { startLiveness, type Liveness, type LivenessOptions } from "./udp-transport.ts";
import { until } from "../test-kit.ts";

const KEY = deriveHeartbeatKey(Buffer.from("right"));
const WRONG = deriveHeartbeatKey(Buffer.from("wrong"));
const timing = { intervalMs: 20, missedBeats: 3, graceMs: 20, holdDownMs: 200 };
const logger = createLogger("liveness-test", "silent");

async function freePort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  const { port } = s.address();
  s.close();
  return port;
}

const peers = new Map([
  ["node-a", "127.0.0.1"],
  ["node-b", "127.0.0.2"],
]);

describe("startLiveness over loopback", () => {
  const started: Liveness[] = [];
  const start = async (o: Partial<LivenessOptions> & { node: string }): Promise<Liveness> => {
    const l = await startLiveness({ keys: [KEY], timing, logger, bindAddress6: false, ...o });
    started.push(l);
    l.setPeers(peers);
    return l;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((l) => l.leave()));
  });
  /** node-a and node-b on one port; node-a's candidate-set changes are recorded. */
  const startPair = async () => {
    const port = await freePort();
    const changes: string[][] = [];
    const a = await start({
      node: "node-a",
      port,
      bindAddress4: "127.0.0.1",
      onChange: (c) => changes.push([...c].sort()),
    });
    const b = await start({ node: "node-b", port, bindAddress4: "127.0.0.2" });
    return { a, b, changes };
  };

  it("two speakers see each other, turn ready after the hold-down, and a leave is seen at once", async () => {
    const { a, b, changes } = await startPair();
    await until(() => a.members().some((m) => m.name === "node-b" && m.state === "alive"));
    await until(() => a.candidates().size === 2 && a.selfStage() === "ready");
    expect([...b.candidates()].sort()).toEqual(["node-a", "node-b"]);
    expect(changes.at(-1)).toEqual(["node-a", "node-b"]);
    await b.leave();
    expect(a.members().find((m) => m.name === "node-b")?.state).toBe("left");
    expect([...a.candidates()]).toEqual(["node-a"]);
    expect(a.stats().dropped).toEqual({});
  });

  it("a stall of our own event loop longer than the dead-after time declares no peer dead", async () => {
    const { a, changes } = await startPair();
    await until(() => a.candidates().size === 2 && a.selfStage() === "ready");
    const seen = changes.length;
    // Both speakers share this process: neither sends nor reads for 200 ms,
    // 2.5 times the 80 ms after which a silent peer is dead.
    const end = performance.now() + 200;
    while (performance.now() < end) {
      // a blocked event loop, as during a long GC
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(changes.slice(seen)).toEqual([]);
    expect(a.members().find((m) => m.name === "node-b")?.state).toBe("alive");
  });

  it("heartbeats under another key are dropped as bad-mac and never make the peer alive", async () => {
    const port = await freePort();
    const a = await start({ node: "node-a", port, bindAddress4: "127.0.0.1" });
    await start({ node: "node-b", port, bindAddress4: "127.0.0.2", keys: [WRONG] });
    await until(() => (a.stats().dropped["bad-mac"] ?? 0) >= 5);
    expect(a.members()).toEqual([]);
    expect(a.stats().accepted).toBe(0);
  });

  it("a key list accepts the old key during rotation", async () => {
    const port = await freePort();
    const a = await start({ node: "node-a", port, bindAddress4: "127.0.0.1", keys: [KEY, WRONG] });
    await start({ node: "node-b", port, bindAddress4: "127.0.0.2", keys: [WRONG] });
    await until(() => a.members().some((m) => m.state === "alive"));
  });

  it("a valid heartbeat from the wrong address or an unknown node is dropped", async () => {
    const port = await freePort();
    const a = await start({ node: "node-a", port, bindAddress4: "127.0.0.1" });
    a.setPeers(
      new Map([
        ["node-a", "127.0.0.1"],
        ["node-b", "127.0.0.3"],
      ]),
    );
    const b = await start({ node: "node-b", port, bindAddress4: "127.0.0.2" });
    await until(() => (a.stats().dropped["address-mismatch"] ?? 0) >= 3);
    b.setPeers(new Map([["node-a", "127.0.0.1"]]));
    const c = await start({ node: "node-c", port, bindAddress4: "127.0.0.4" });
    await until(() => (a.stats().dropped["unknown-peer"] ?? 0) >= 3);
    expect(a.members()).toEqual([]);
    expect(c.members().length).toBe(0);
  });

  it("no key: LIVENESS_NO_KEY, nothing bound", async () => {
    await expect(
      startLiveness({
        node: "node-a",
        keys: [],
        logger,
        port: await freePort(),
        bindAddress6: false,
      }),
    ).rejects.toMatchObject({ code: "LIVENESS_NO_KEY" });
  });

  it("a taken port is a LIVENESS_BIND error", async () => {
    const port = await freePort();
    await start({ node: "node-a", port, bindAddress4: "127.0.0.1" });
    await expect(
      startLiveness({
        node: "node-x",
        keys: [KEY],
        logger,
        port,
        bindAddress4: "127.0.0.1",
        bindAddress6: false,
      }),
    ).rejects.toMatchObject({ code: "LIVENESS_BIND" });
  });

  it("the watchdog warns when no valid heartbeat arrives from any expected peer", async () => {
    const port = await freePort();
    const warnings: string[] = [];
    const capture = pino(
      { level: "warn" },
      {
        write: (line: string) => {
          warnings.push((JSON.parse(line) as { msg: string }).msg);
        },
      },
    );
    await start({
      node: "node-a",
      port,
      bindAddress4: "127.0.0.1",
      logger: capture,
      watchdogMs: 100,
    });
    await until(() => warnings.some((w) => w.startsWith("liveness: no valid heartbeat")));
  });

  it("the abort signal closes the sockets: the port is free again", async () => {
    const port = await freePort();
    const controller = new AbortController();
    await startLiveness({
      node: "node-a",
      keys: [KEY],
      logger,
      port,
      bindAddress4: "127.0.0.1",
      bindAddress6: false,
      signal: controller.signal,
    });
    controller.abort();
    await new Promise((r) => setTimeout(r, 20));
    // Binding the same address and port again fails while the first socket is open
    // (the LIVENESS_BIND test above).
    await expect(start({ node: "node-a", port, bindAddress4: "127.0.0.1" })).resolves.toBeDefined();
  });
});
