import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readHostInterfaces, usableInterfaces, type HostInterface } from "./host-interfaces.ts";

const iface = (name: string, flags: number, extra: Partial<HostInterface> = {}): HostInterface => ({
  name,
  flags,
  hasMaster: false,
  hasIpv6LinkLocal: true,
  ...extra,
});

describe("usableInterfaces", () => {
  it("keeps up, broadcast, non-loopback interfaces without a master", () => {
    const result = usableInterfaces([
      iface("lo", 0x9),
      iface("eth0", 0x1003),
      iface("eth1", 0x1002), // down
      iface("bond0", 0x1403),
      iface("eth2", 0x1803, { hasMaster: true }), // bond slave
      iface("tun0", 0x10d1, { hasIpv6LinkLocal: false }), // point-to-point, NOARP
      iface("wg0", 0x0091, { hasIpv6LinkLocal: false }),
    ]);
    expect(result.arp).toEqual(["eth0", "bond0"]);
    expect(result.ndp).toEqual(["eth0", "bond0"]);
    expect(result.all).toHaveLength(7);
  });

  it("NDP needs a link-local address, ARP needs broadcast", () => {
    const result = usableInterfaces([
      iface("eth0", 0x1003, { hasIpv6LinkLocal: false }),
      iface("p2p", 0x1011),
    ]);
    expect(result.arp).toEqual(["eth0"]);
    expect(result.ndp).toEqual(["p2p"]);
  });

  it("excluded names get nothing and are not listed", () => {
    const result = usableInterfaces([iface("eth0", 0x1003), iface("cali123", 0x1003)], [/^cali/]);
    expect(result.arp).toEqual(["eth0"]);
    expect(result.all).toEqual(["eth0"]);
  });
});

describe("readHostInterfaces", () => {
  it("reads flags and master links from a sysfs-shaped directory", () => {
    const root = mkdtempSync(path.join(tmpdir(), "sysnet-"));
    try {
      for (const [name, flags] of [
        ["eth0", "0x1003"],
        ["eth1", "0x1803"],
      ] as const) {
        mkdirSync(path.join(root, name));
        writeFileSync(path.join(root, name, "flags"), `${flags}\n`);
      }
      mkdirSync(path.join(root, "bond0"));
      writeFileSync(path.join(root, "bond0", "flags"), "0x1403\n");
      symlinkSync(path.join(root, "bond0"), path.join(root, "eth1", "master"));
      mkdirSync(path.join(root, "junk"));
      const read = readHostInterfaces(root).sort((a, b) => a.name.localeCompare(b.name));
      expect(read.map((i) => [i.name, i.flags, i.hasMaster])).toEqual([
        ["bond0", 0x1403, false],
        ["eth0", 0x1003, false],
        ["eth1", 0x1803, true],
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
