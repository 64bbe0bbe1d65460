// One allocation decision (metallb-reference §2.5 steps 4–7), pure over the
// allocator's state: keep what the Service holds if it is still valid, else
// the addresses it requests, else its named pool, else automatic choice.
import type { IpAddress } from "../net/ip-address-text.ts";
import type {
  Allocation,
  AllocationResult,
  PoolDefinition,
  ServiceRequest,
} from "./allocation-types.ts";
import { namedPool, poolOfAll, type DecisionView } from "./decision-view.ts";
import { failed, succeeded } from "./failures.ts";
import { compatibilityProblem } from "./pool-definitions.ts";
import { automatic, fromNamedPool } from "./pool-choice.ts";
import { fromRequested } from "./requested-ips.ts";

/** Where held addresses are written; named in sharing messages about them. */
const STATUS_FIELD = "status.loadBalancer.ingress";

function sameAddresses(a: readonly IpAddress[], b: readonly IpAddress[]): boolean {
  return (
    a.length === b.length &&
    a.every((x) => b.some((y) => x.family === y.family && x.value === y.value))
  );
}

/**
 * §2.5 step 4 (`serviceFamilyChanged`): the held families must be the
 * Service's; PreferDualStack on a dual-stack Service also accepts one family.
 */
function familiesFit(ips: readonly IpAddress[], req: ServiceRequest): boolean {
  const held = new Set(ips.map((ip) => ip.family));
  if (held.size !== ips.length) return false;
  const wanted = new Set(req.families);
  if (held.size === wanted.size && [...held].every((f) => wanted.has(f))) return true;
  return req.familyPolicy === "PreferDualStack" && wanted.size === 2 && held.size === 1;
}

/** §2.5 step 5: the annotation and requested IPs still describe what is held. */
function stillWhatIsAsked(
  current: Allocation,
  owner: PoolDefinition,
  req: ServiceRequest,
): boolean {
  const named = namedPool(req);
  if (named !== undefined && owner.name !== named) return false;
  return req.requestedIPs.length === 0 || sameAddresses(req.requestedIPs, current.ips);
}

/** §2.5 step 5, the re-`Assign`: one owning pool, compatible, families right, sharing OK. */
function validOwner(view: DecisionView, req: ServiceRequest): PoolDefinition | undefined {
  const current = view.current(req.key);
  if (current === undefined) return undefined;
  const owner = poolOfAll(view.index, current.ips);
  if (owner === undefined || !stillWhatIsAsked(current, owner, req)) return undefined;
  if (compatibilityProblem(owner, req) !== undefined || !familiesFit(current.ips, req)) {
    return undefined;
  }
  const shareable = current.ips.every(
    (ip) => view.sharingProblem(ip, req, STATUS_FIELD) === undefined,
  );
  return shareable ? owner : undefined;
}

/**
 * §2.5 step 6, `AllocateFromPoolForAdditionalFamily`: a PreferDualStack
 * Service holding one family gets the other from the same pool when it can.
 * Only for a dual-stack Service: MetalLB also tries it for a single-family
 * one, which the next reconcile then rejects as a family change (§2.9).
 */
function withAdditionalFamily(
  view: DecisionView,
  owner: PoolDefinition,
  held: readonly IpAddress[],
  req: ServiceRequest,
): Allocation {
  const [only] = held;
  const wantsMore =
    req.familyPolicy === "PreferDualStack" && new Set(req.families).size === 2 && held.length === 1;
  if (!wantsMore || only === undefined) return { pool: owner.name, ips: [...held] };
  const extra = view.pick(owner, only.family === "IPv4" ? "IPv6" : "IPv4", req);
  return { pool: owner.name, ips: extra === undefined ? [only] : [only, extra] };
}

function keepCurrent(view: DecisionView, req: ServiceRequest): Allocation | undefined {
  const owner = validOwner(view, req);
  const current = view.current(req.key);
  if (owner === undefined || current === undefined) return undefined;
  return withAdditionalFamily(view, owner, current.ips, req);
}

/** The addresses the Service should have now; never changes state. */
export function decide(view: DecisionView, req: ServiceRequest): AllocationResult {
  if (req.families.length === 0) {
    return failed(
      "NO_AVAILABLE_IPS",
      `spec.ipFamilies: Service "${req.key}" has no IP family yet, so there is no family to allocate`,
    );
  }
  if (view.index.pools.length === 0) {
    return failed("NO_POOLS", "no IPAddressPool is configured");
  }
  const kept = keepCurrent(view, req);
  if (kept !== undefined) return succeeded(kept);
  if (req.requestedIPs.length > 0) return fromRequested(view, req);
  const named = namedPool(req);
  return named !== undefined ? fromNamedPool(view, req, named) : automatic(view, req);
}
