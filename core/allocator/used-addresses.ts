// The used addresses as interval sets, so the lowest free address of a range
// is one O(log n) search (MetalLB walks address by address, §3.3). IPv4
// addresses of avoidBuggyIPs pools are also kept in the dense "good" numbering
// (buggy-ips.ts), where .0 and .255 do not exist and need no skipping.
import type { IpAddress, IpFamily } from "../net/ip-address-text.ts";
import { AddressSet, type Interval } from "./address-set.ts";
import { fromGoodIndex, goodIndexRange, isBuggy, toGoodIndex } from "./buggy-ips.ts";

export class UsedAddresses {
  readonly #plain: Record<IpFamily, AddressSet> = {
    IPv4: new AddressSet(),
    IPv6: new AddressSet(),
  };
  #good = new AddressSet();

  /** `inAvoidBuggyPool`: ip belongs to a pool with avoidBuggyIPs (so it is not .0/.255). */
  add(ip: IpAddress, inAvoidBuggyPool: boolean): void {
    this.#plain[ip.family].add(ip.value);
    if (inAvoidBuggyPool) this.#good.add(toGoodIndex(ip.value));
  }

  delete(ip: IpAddress): void {
    this.#plain[ip.family].delete(ip.value);
    if (ip.family === "IPv4" && !isBuggy(ip)) this.#good.delete(toGoodIndex(ip.value));
  }

  /** After pools changed: the IPv4 addresses that now lie in avoidBuggyIPs pools. */
  resetAvoidBuggy(ips: Iterable<bigint>): void {
    this.#good = new AddressSet();
    for (const value of ips) this.#good.add(toGoodIndex(value));
  }

  /** The lowest unused address of the range, skipping .0/.255 when asked. */
  firstFree(range: Interval, family: IpFamily, avoidBuggy: boolean): bigint | undefined {
    if (!avoidBuggy || family !== "IPv4") {
      return this.#plain[family].firstAbsentAtOrAfter(range.first, range.last);
    }
    const good = goodIndexRange(range.first, range.last);
    if (good === undefined) return undefined;
    const index = this.#good.firstAbsentAtOrAfter(good.first, good.last);
    return index === undefined ? undefined : fromGoodIndex(index);
  }
}
