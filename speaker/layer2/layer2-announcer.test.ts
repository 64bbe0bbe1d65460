import { afterEach, describe, expect, it, vi } from "vitest";
import type { L2Announcement } from "../announcer.ts";
import { createLogger } from "../../core/logger.ts";
import { Layer2Announcer, type L2Driver, type Responder } from "./layer2-announcer.ts";

interface FakeResponder extends Responder {
  readonly log: string[];
  readonly owns: (ip: string) => boolean;
}

function fakeDriver(failing: Set<string> = new Set()): L2Driver & {
  readonly opened: Map<string, FakeResponder>;
} {
  const opened = new Map<string, FakeResponder>();
  return {
    name: "arp",
    family: "IPv4",
    opened,
    open(ifname, owns) {
      if (failing.has(ifname)) throw new Error(`no ${ifname}`);
      const log: string[] = [];
      const responder: FakeResponder = {
        ifname,
        mac: "02:00:00:00:00:0b",
        log,
        owns,
        announce: (ip) => log.push(`announce ${ip}`),
        acquire: (ip) => log.push(`acquire ${ip}`),
        release: (ip) => log.push(`release ${ip}`),
        close: () => log.push("close"),
      };
      opened.set(ifname, responder);
      return responder;
    },
  };
}

const desired = (...entries: L2Announcement[]): Map<string, L2Announcement> =>
  new Map(entries.map((e) => [e.ip, e]));
const log = createLogger("test", "silent");

afterEach(() => {
  vi.useRealTimers();
});

describe("Layer2Announcer", () => {
  it("answers only for owned IPs of its family, on the allowed interfaces", async () => {
    const driver = fakeDriver();
    const a = new Layer2Announcer({ driver, log });
    a.setInterfaces(["eth0", "eth1"]);
    a.update(
      desired(
        { ip: "192.0.2.100", interfaces: ["eth1"] },
        { ip: "192.0.2.101", interfaces: "all" },
        { ip: "2001:db8:1::100", interfaces: "all" },
      ),
    );
    const eth0 = driver.opened.get("eth0");
    const eth1 = driver.opened.get("eth1");
    expect(eth0?.owns("192.0.2.100")).toBe(false);
    expect(eth1?.owns("192.0.2.100")).toBe(true);
    expect(eth0?.owns("192.0.2.101")).toBe(true);
    expect(eth0?.owns("2001:db8:1::100")).toBe(false);
    expect([...a.owned.keys()]).toEqual(["192.0.2.100", "192.0.2.101"]);
    await a.close();
  });

  it("announces at once on takeover and stops when withdrawn", async () => {
    vi.useFakeTimers();
    const driver = fakeDriver();
    const sent: string[] = [];
    const a = new Layer2Announcer({
      driver,
      log,
      timing: { repeatMs: 1_100, burstMs: 5_000, refreshMs: 0 },
      onGratuitous: (ip) => sent.push(ip),
    });
    a.setInterfaces(["eth0"]);
    a.update(desired({ ip: "192.0.2.100", interfaces: "all" }));
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(["192.0.2.100"]);
    await vi.advanceTimersByTimeAsync(2_300);
    expect(sent).toHaveLength(3);
    a.update(new Map());
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent).toHaveLength(3);
    expect(driver.opened.get("eth0")?.log).toEqual([
      "acquire 192.0.2.100",
      "announce 192.0.2.100",
      "announce 192.0.2.100",
      "announce 192.0.2.100",
      "release 192.0.2.100",
    ]);
    await a.close();
    expect(driver.opened.get("eth0")?.log.at(-1)).toBe("close");
  });

  it("an unchanged update does nothing; a changed interface set moves acquisitions", async () => {
    const driver = fakeDriver();
    const a = new Layer2Announcer({
      driver,
      log,
      timing: { repeatMs: 1_100, burstMs: 5_000, refreshMs: 0 },
    });
    a.setInterfaces(["eth0", "eth1"]);
    a.update(desired({ ip: "192.0.2.100", interfaces: ["eth0"] }));
    a.update(desired({ ip: "192.0.2.100", interfaces: ["eth0"] }));
    a.update(desired({ ip: "192.0.2.100", interfaces: ["eth1"] }));
    expect(driver.opened.get("eth0")?.log).toEqual(["acquire 192.0.2.100", "release 192.0.2.100"]);
    expect(driver.opened.get("eth1")?.log).toEqual(["acquire 192.0.2.100"]);
    await a.close();
  });

  it("a new interface acquires and announces what is owned; a failing one is retried later", async () => {
    vi.useFakeTimers();
    const failing = new Set(["eth1"]);
    const driver = fakeDriver(failing);
    const a = new Layer2Announcer({ driver, log });
    a.update(desired({ ip: "192.0.2.100", interfaces: "all" }));
    a.setInterfaces(["eth0", "eth1"]);
    expect(driver.opened.has("eth1")).toBe(false);
    failing.clear();
    a.setInterfaces(["eth0", "eth1"]);
    await vi.advanceTimersByTimeAsync(0);
    expect(driver.opened.get("eth1")?.log).toEqual(["acquire 192.0.2.100", "announce 192.0.2.100"]);
    a.setInterfaces(["eth0"]);
    expect(driver.opened.get("eth1")?.log.at(-1)).toBe("close");
    await a.close();
  });
});

describe("Layer2Announcer.reannounceAll", () => {
  it("starts a new burst for every owned IP", async () => {
    vi.useFakeTimers();
    const driver = fakeDriver();
    const sent: string[] = [];
    const a = new Layer2Announcer({
      driver,
      log,
      timing: { repeatMs: 1_100, burstMs: 2_000, refreshMs: 0 },
      onGratuitous: (ip) => sent.push(ip),
    });
    a.setInterfaces(["eth0"]);
    a.update(
      desired({ ip: "192.0.2.100", interfaces: "all" }, { ip: "192.0.2.101", interfaces: "all" }),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent).toHaveLength(4);
    a.reannounceAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.slice(4).sort()).toEqual(["192.0.2.100", "192.0.2.101"]);
    await a.close();
  });
});
