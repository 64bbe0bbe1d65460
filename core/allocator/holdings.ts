// Who uses which address, as the claims say (metallb-reference §3.1, with
// several holders per address for sharing): per address its holders, per
// Service its addresses and pool, per sharing key the addresses it is on, and
// the addresses another writer owns that no claim has shown us yet.
import type { IpAddress, IpFamily } from "../net/ip-address-text.ts";
import type { Holder } from "./allocation-types.ts";
import { ChurnSafeMap } from "./churn-safe-map.ts";

export interface ServiceHolding {
  pool: string;
  readonly ips: IpAddress[];
}

function ipKey(ip: IpAddress): string {
  return `${ip.family}/${ip.value}`;
}

function sameIp(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.value === b.value;
}

export class Holdings {
  // ChurnSafeMap, not Map: the same keys are deleted and re-added all the time.
  readonly #holders: Record<IpFamily, ChurnSafeMap<bigint, Holder[]>> = {
    IPv4: new ChurnSafeMap(),
    IPv6: new ChurnSafeMap(),
  };
  readonly #taken: Record<IpFamily, ChurnSafeMap<bigint, true>> = {
    IPv4: new ChurnSafeMap(),
    IPv6: new ChurnSafeMap(),
  };
  readonly #services = new ChurnSafeMap<string, ServiceHolding>();
  readonly #bySharingKey = new ChurnSafeMap<string, ChurnSafeMap<string, IpAddress>>();

  isUsed(ip: IpAddress): boolean {
    return this.#holders[ip.family].has(ip.value) || this.isTaken(ip);
  }

  isTaken(ip: IpAddress): boolean {
    return this.#taken[ip.family].has(ip.value);
  }

  holdersOf(ip: IpAddress): readonly Holder[] {
    return this.#holders[ip.family].get(ip.value) ?? [];
  }

  service(key: string): ServiceHolding | undefined {
    return this.#services.get(key);
  }

  services(): Iterable<[string, ServiceHolding]> {
    return this.#services.entries();
  }

  /** Addresses some Service with this sharing key uses. */
  withSharingKey(sharingKey: string): Iterable<IpAddress> {
    return this.#bySharingKey.get(sharingKey)?.values() ?? [];
  }

  /** Every used address: held or taken. */
  *usedAddresses(): Generator<IpAddress> {
    for (const family of ["IPv4", "IPv6"] as const) {
      for (const value of this.#holders[family].keys()) yield { family, value };
      for (const value of this.#taken[family].keys()) {
        if (!this.#holders[family].has(value)) yield { family, value };
      }
    }
  }

  /** Records a claim; true when the address was unused before. */
  hold(ip: IpAddress, pool: string, holder: Holder): boolean {
    const wasUsed = this.isUsed(ip);
    this.#taken[ip.family].delete(ip.value);
    const holders = this.#holders[ip.family].get(ip.value) ?? [];
    const previous = holders.find((h) => h.serviceKey === holder.serviceKey);
    const next = holders.filter((h) => h !== previous);
    next.push(holder);
    this.#holders[ip.family].set(ip.value, next);
    if (previous !== undefined) this.#unindexKey(ip, previous, next);
    this.#indexKey(ip, holder);
    this.#addToService(ip, pool, holder.serviceKey);
    return !wasUsed;
  }

  /** Drops one Service's claim on an address; true when the address is now unused. */
  release(ip: IpAddress, serviceKey: string): boolean {
    const holders = this.#holders[ip.family].get(ip.value) ?? [];
    const gone = holders.find((h) => h.serviceKey === serviceKey);
    const rest = holders.filter((h) => h !== gone);
    if (rest.length > 0) this.#holders[ip.family].set(ip.value, rest);
    else this.#holders[ip.family].delete(ip.value);
    if (gone !== undefined) this.#unindexKey(ip, gone, rest);
    this.#removeFromService(ip, serviceKey);
    if (rest.length > 0) return false;
    // A claim on the address went away, so an unseen owner we noted is stale too.
    const wasUsed = gone !== undefined || this.#taken[ip.family].delete(ip.value);
    return wasUsed;
  }

  /** Notes an address another writer owns; true when it was unused before. */
  markTaken(ip: IpAddress): boolean {
    if (this.isUsed(ip)) return false;
    this.#taken[ip.family].set(ip.value, true);
    return true;
  }

  #addToService(ip: IpAddress, pool: string, serviceKey: string): void {
    const current = this.#services.get(serviceKey);
    if (current === undefined) {
      this.#services.set(serviceKey, { pool, ips: [ip] });
      return;
    }
    current.pool = pool;
    if (!current.ips.some((held) => sameIp(held, ip))) current.ips.push(ip);
  }

  #removeFromService(ip: IpAddress, serviceKey: string): void {
    const current = this.#services.get(serviceKey);
    if (current === undefined) return;
    const index = current.ips.findIndex((held) => sameIp(held, ip));
    if (index >= 0) current.ips.splice(index, 1);
    if (current.ips.length === 0) this.#services.delete(serviceKey);
  }

  #indexKey(ip: IpAddress, holder: Holder): void {
    const key = holder.sharingKey;
    if (key === undefined || key === "") return;
    let ips = this.#bySharingKey.get(key);
    if (ips === undefined) {
      ips = new ChurnSafeMap();
      this.#bySharingKey.set(key, ips);
    }
    ips.set(ipKey(ip), ip);
  }

  /** Forgets that `gone`'s key is on ip, unless a remaining holder has it too. */
  #unindexKey(ip: IpAddress, gone: Holder, remaining: readonly Holder[]): void {
    const key = gone.sharingKey;
    if (key === undefined || key === "") return;
    if (remaining.some((h) => h.sharingKey === key)) return;
    const ips = this.#bySharingKey.get(key);
    ips?.delete(ipKey(ip));
    if (ips?.size === 0) this.#bySharingKey.delete(key);
  }
}
