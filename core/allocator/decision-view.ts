// What the allocation decision reads from the allocator's state. The decision
// functions (keep-current, requested, named pool, automatic) are pure over it.
import type { IpAddress, IpFamily } from "../net/ip-address-text.ts";
import type {
  Allocation,
  AllocationFailure,
  PoolDefinition,
  ServiceRequest,
} from "./allocation-types.ts";
import type { PoolIndex } from "./pool-index.ts";

export interface DecisionView {
  readonly index: PoolIndex;
  /** What the Service holds now, with the pool its claims name. */
  current(serviceKey: string): Allocation | undefined;
  /** Why the Service may not use ip next to its other users (§2.8), or undefined. */
  sharingProblem(
    ip: IpAddress,
    req: ServiceRequest,
    ipField: string,
  ): AllocationFailure | undefined;
  /** The lowest address of the family in the pool that is free or shareable by the Service (§2.8, §3.2). */
  pick(pool: PoolDefinition, family: IpFamily, req: ServiceRequest): IpAddress | undefined;
}

/** The metallb.io/address-pool value, "" counting as unset (MetalLB tests `!= ""`). */
export function namedPool(req: ServiceRequest): string | undefined {
  return req.pool === undefined || req.pool === "" ? undefined : req.pool;
}

/** The one pool that owns every address, or undefined (`poolFor`, §3.4). */
export function poolOfAll(index: PoolIndex, ips: readonly IpAddress[]): PoolDefinition | undefined {
  const [first, ...rest] = ips;
  if (first === undefined) return undefined;
  const owner = index.poolOf(first);
  return rest.every((ip) => index.poolOf(ip) === owner) ? owner : undefined;
}
