// Which of this node's interfaces get ARP and NDP responders — MetalLB's rules
// (metallb-reference §4.4), read from sysfs every scan: the interface is UP,
// is not a port of a bond or bridge (it has no `master`: a bond slave must
// never answer, the bond itself does), is not loopback, does not have
// IFF_NOARP, and does not match the exclude patterns. ARP needs
// IFF_BROADCAST; NDP needs an IPv6 link-local address to send from.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import path from "node:path";

// <linux/if.h> net_device_flags.
const IFF_UP = 0x1;
const IFF_BROADCAST = 0x2;
const IFF_LOOPBACK = 0x8;
const IFF_NOARP = 0x80;

export interface HostInterface {
  readonly name: string;
  readonly flags: number;
  /** A bond or bridge port (sysfs `master` link present). */
  readonly hasMaster: boolean;
  readonly hasIpv6LinkLocal: boolean;
}

export interface UsableInterfaces {
  readonly arp: string[];
  readonly ndp: string[];
  /** Every interface name that is not excluded, up or not (MetalLB compares advertisement interfaces to this list). */
  readonly all: string[];
}

/** Pure: the responder sets for a list of interfaces. */
export function usableInterfaces(
  interfaces: readonly HostInterface[],
  exclude: readonly RegExp[] = [],
): UsableInterfaces {
  const all = interfaces.filter((i) => !exclude.some((re) => re.test(i.name)));
  const eligible = all.filter(
    (i) =>
      (i.flags & IFF_UP) !== 0 &&
      (i.flags & IFF_LOOPBACK) === 0 &&
      (i.flags & IFF_NOARP) === 0 &&
      !i.hasMaster,
  );
  return {
    arp: eligible.filter((i) => (i.flags & IFF_BROADCAST) !== 0).map((i) => i.name),
    ndp: eligible.filter((i) => i.hasIpv6LinkLocal).map((i) => i.name),
    all: all.map((i) => i.name),
  };
}

/** Reads the interfaces of this network namespace from sysfs (root injectable for tests). */
export function readHostInterfaces(sysClassNet = "/sys/class/net"): HostInterface[] {
  const addresses = networkInterfaces();
  const result: HostInterface[] = [];
  for (const name of readdirSync(sysClassNet)) {
    const dir = path.join(sysClassNet, name);
    let flags: number;
    try {
      flags = Number.parseInt(readFileSync(path.join(dir, "flags"), "utf8").trim(), 16);
    } catch {
      continue; // vanished between readdir and read, or not an interface
    }
    const linkLocal = (addresses[name] ?? []).some(
      (a) => a.family === "IPv6" && a.address.toLowerCase().startsWith("fe80:"),
    );
    result.push({
      name,
      flags: Number.isNaN(flags) ? 0 : flags,
      hasMaster: existsSync(path.join(dir, "master")),
      hasIpv6LinkLocal: linkLocal,
    });
  }
  return result;
}
