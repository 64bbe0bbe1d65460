// What ARP and NDP announcing have in common: one responder per usable
// interface, the owned IPs with the interfaces each may be answered on, and
// the gratuitous burst on takeover. The protocol specifics (decoding
// requests, building replies, multicast groups) sit in a driver, so the ARP
// and NDP announcers are this class with a different driver.
import { allowsInterface, type Announcer, type L2Announcement } from "../announcer.ts";
import { errorText } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { parseIp, type IpFamily } from "../../core/net/ip-address-text.ts";
import { GratuitousSchedule, type GratuitousTiming } from "./gratuitous-schedule.ts";

/** An open responder on one interface. */
export interface Responder {
  readonly ifname: string;
  readonly mac: string;
  /** One unsolicited announcement of `ip` (gratuitous ARP / unsolicited NA). */
  announce(ip: string): void;
  /** `ip` became owned (NDP joins its solicited-node group). */
  acquire(ip: string): void;
  /** `ip` is no longer owned. */
  release(ip: string): void;
  close(): void;
}

export interface L2Driver {
  readonly name: "arp" | "ndp";
  readonly family: IpFamily;
  /** Opens a responder that answers requests for which `owns(ip)` is true. Throws on failure. */
  open(ifname: string, owns: (ip: string) => boolean): Responder;
}

export interface Layer2AnnouncerOptions {
  readonly driver: L2Driver;
  readonly log: Logger;
  readonly timing?: GratuitousTiming | undefined;
  /** Called after each unsolicited announcement (metrics). */
  readonly onGratuitous?: ((ip: string) => void) | undefined;
  readonly now?: () => number;
}

export class Layer2Announcer implements Announcer<L2Announcement> {
  readonly name: string;
  readonly #driver: L2Driver;
  readonly #log: Logger;
  readonly #schedule: GratuitousSchedule;
  readonly #onGratuitous: (ip: string) => void;
  readonly #now: () => number;
  readonly #responders = new Map<string, Responder>();
  #owned = new Map<string, L2Announcement>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: Layer2AnnouncerOptions) {
    this.#driver = options.driver;
    this.name = options.driver.name;
    this.#log = options.log.child({ announcer: this.name });
    this.#schedule = new GratuitousSchedule(options.timing);
    this.#onGratuitous = options.onGratuitous ?? (() => undefined);
    this.#now = options.now ?? Date.now;
  }

  /** The interfaces usable now; opens and closes responders to match. Failures are logged and retried on the next scan. */
  setInterfaces(names: readonly string[]): void {
    if (this.#closed) return;
    for (const [ifname, responder] of this.#responders) {
      if (!names.includes(ifname)) this.#closeResponder(ifname, responder);
    }
    for (const ifname of names) {
      if (!this.#responders.has(ifname)) this.#openResponder(ifname);
    }
    this.#reschedule();
  }

  #openResponder(ifname: string): void {
    let responder: Responder;
    try {
      responder = this.#driver.open(ifname, (ip) => this.#owns(ip, ifname));
    } catch (e: unknown) {
      this.#log.warn(
        { ifname, err: errorText(e) },
        "cannot open responder; retrying on the next interface scan",
      );
      return;
    }
    this.#responders.set(ifname, responder);
    this.#log.info({ ifname, mac: responder.mac }, "responder open");
    // A new interface is a takeover on that link: announce what we own there.
    for (const announcement of this.#owned.values()) {
      if (!allowsInterface(announcement, ifname)) continue;
      responder.acquire(announcement.ip);
      this.#schedule.arm(announcement.ip, this.#now());
    }
  }

  #closeResponder(ifname: string, responder: Responder): void {
    this.#responders.delete(ifname);
    try {
      responder.close();
    } catch (e: unknown) {
      this.#log.warn({ ifname, err: errorText(e) }, "responder close failed");
    }
    this.#log.info({ ifname }, "responder closed");
  }

  #owns(ip: string, ifname: string): boolean {
    const announcement = this.#owned.get(ip);
    return announcement !== undefined && allowsInterface(announcement, ifname);
  }

  update(desired: ReadonlyMap<string, L2Announcement>): void {
    if (this.#closed) return;
    const next = new Map<string, L2Announcement>();
    for (const [ip, announcement] of desired) {
      if (parseIp(ip)?.family === this.#driver.family) next.set(ip, announcement);
    }
    const previous = this.#owned;
    this.#owned = next;
    for (const [ip, before] of previous) {
      if (!next.has(ip)) this.#release(before);
    }
    for (const [ip, now] of next) {
      const before = previous.get(ip);
      if (before === undefined || !sameInterfaces(before, now)) this.#acquire(now, before);
    }
    this.#reschedule();
  }

  #acquire(announcement: L2Announcement, before: L2Announcement | undefined): void {
    for (const responder of this.#responders.values()) {
      const was = before !== undefined && allowsInterface(before, responder.ifname);
      const is = allowsInterface(announcement, responder.ifname);
      if (is && !was) responder.acquire(announcement.ip);
      if (was && !is) responder.release(announcement.ip);
    }
    this.#schedule.arm(announcement.ip, this.#now());
    this.#log.info({ ip: announcement.ip, interfaces: announcement.interfaces }, "announcing");
  }

  #release(announcement: L2Announcement): void {
    this.#schedule.remove(announcement.ip);
    for (const responder of this.#responders.values()) {
      if (allowsInterface(announcement, responder.ifname)) responder.release(announcement.ip);
    }
    this.#log.info({ ip: announcement.ip }, "withdrawn");
  }

  /**
   * Re-announces every owned IP (a new burst). After the live set changed, a
   * node that was cut off may have announced in the moment before it heard
   * its peers again; the owners' burst puts every cache right (ADR 0006).
   */
  reannounceAll(): void {
    if (this.#closed) return;
    for (const ip of this.#owned.keys()) this.#schedule.arm(ip, this.#now());
    this.#reschedule();
  }

  /** The IPs announced now (for status and metrics). */
  get owned(): ReadonlyMap<string, L2Announcement> {
    return this.#owned;
  }

  #reschedule(): void {
    clearTimeout(this.#timer);
    const next = this.#schedule.nextDue();
    if (next === undefined || this.#closed) return;
    this.#timer = setTimeout(
      () => {
        this.#sendDue();
      },
      Math.max(0, next - this.#now()),
    );
    this.#timer.unref();
  }

  #sendDue(): void {
    for (const ip of this.#schedule.due(this.#now())) {
      const announcement = this.#owned.get(ip);
      if (announcement === undefined) continue;
      for (const responder of this.#responders.values()) {
        if (!allowsInterface(announcement, responder.ifname)) continue;
        this.#announceOn(responder, ip);
      }
    }
    this.#reschedule();
  }

  #announceOn(responder: Responder, ip: string): void {
    try {
      responder.announce(ip);
      this.#onGratuitous(ip);
    } catch (e: unknown) {
      this.#log.warn({ ip, ifname: responder.ifname, err: errorText(e) }, "announcement not sent");
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const [ifname, responder] of [...this.#responders])
      this.#closeResponder(ifname, responder);
    this.#owned = new Map();
    return Promise.resolve();
  }
}

function sameInterfaces(a: L2Announcement, b: L2Announcement): boolean {
  if (a.interfaces === "all" || b.interfaces === "all") return a.interfaces === b.interfaces;
  return (
    a.interfaces.length === b.interfaces.length &&
    a.interfaces.every((i) => b.interfaces.includes(i))
  );
}
