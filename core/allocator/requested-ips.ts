// A Service that asks for its addresses (metallb-reference §2.7, §3.4): one
// address, or one per family for dual-stack, of the Service's families, all
// in one pool that may serve the Service (and the pool it names, if any),
// usable next to their other users (§2.8). autoAssign does not matter.
import { formatIp, type IpAddress, type IpFamily } from "../net/ip-address-text.ts";
import type {
  AllocationFailure,
  AllocationResult,
  PoolDefinition,
  ServiceRequest,
} from "./allocation-types.ts";
import { namedPool, type DecisionView } from "./decision-view.ts";
import {
  ANNOTATION_ADDRESS_POOL,
  ANNOTATION_LOAD_BALANCER_IPS,
  failure,
  ipList,
  succeeded,
} from "./failures.ts";
import { compatibilityProblem } from "./pool-definitions.ts";
import type { PoolIndex } from "./pool-index.ts";

function familiesText(families: readonly IpFamily[]): string {
  const set = new Set(families);
  if (set.size === 2) return "dual-stack (IPv4 and IPv6)";
  return [...set].join("") || "of no family";
}

function formProblem(req: ServiceRequest, field: string): AllocationFailure | undefined {
  const ips = req.requestedIPs;
  // Same code as the Service reader (service-request.ts) gives these.
  if (ips.length > 2) {
    return failure(
      "REQUESTED_IP_FAMILY_MISMATCH",
      `${field}: "${ipList(ips)}" has ${ips.length} addresses; at most two, one IPv4 and one IPv6`,
    );
  }
  const [a, b] = ips;
  if (a !== undefined && b !== undefined && a.family === b.family) {
    return failure(
      "REQUESTED_IP_FAMILY_MISMATCH",
      `${field}: "${ipList(ips)}" has two ${a.family} addresses; a dual-stack request needs one IPv4 and one IPv6`,
    );
  }
  return undefined;
}

/** §2.7: the requested family must equal the Service's (a dual-stack Service asks for two). */
function familyProblem(req: ServiceRequest, field: string): AllocationFailure | undefined {
  const wanted = new Set(req.families);
  const asked = new Set(req.requestedIPs.map((ip) => ip.family));
  const same = wanted.size === asked.size && [...asked].every((f) => wanted.has(f));
  if (same) return undefined;
  return failure(
    "REQUESTED_IP_FAMILY_MISMATCH",
    `${field}: "${ipList(req.requestedIPs)}" is ${familiesText([...asked])} but Service "${req.key}" is ${familiesText(req.families)} (spec.ipFamilies ${req.families.join(",")})`,
  );
}

export function unknownPoolProblem(
  index: PoolIndex,
  req: ServiceRequest,
): AllocationFailure | undefined {
  const name = namedPool(req);
  if (name === undefined || index.get(name) !== undefined) return undefined;
  return failure("UNKNOWN_POOL", `${ANNOTATION_ADDRESS_POOL}: no IPAddressPool named "${name}"`);
}

function notInPool(index: PoolIndex, ip: IpAddress, field: string): AllocationFailure {
  const spanning = index.poolSpanning(ip);
  const why =
    spanning === undefined
      ? "is not in any IPAddressPool"
      : `is in IPAddressPool "${spanning.name}", whose avoidBuggyIPs excludes addresses ending in .0 and .255`;
  return failure("REQUESTED_IP_NOT_IN_POOL", `${field}: ${formatIp(ip)} ${why}`);
}

type OwnerResult =
  | { readonly ok: true; readonly pool: PoolDefinition }
  | { readonly ok: false; readonly failure: AllocationFailure };

/** The single pool all requested addresses belong to (`poolFor`, §3.4 step 1). */
function owner(index: PoolIndex, ips: readonly IpAddress[], field: string): OwnerResult {
  let found: { pool: PoolDefinition; ip: IpAddress } | undefined;
  for (const ip of ips) {
    const pool = index.poolOf(ip);
    if (pool === undefined) return { ok: false, failure: notInPool(index, ip, field) };
    if (found !== undefined && found.pool !== pool) {
      const message = `${field}: ${formatIp(found.ip)} is in IPAddressPool "${found.pool.name}" but ${formatIp(ip)} is in IPAddressPool "${pool.name}"; requested addresses must come from one pool`;
      return { ok: false, failure: failure("REQUESTED_IP_NOT_IN_POOL", message) };
    }
    found ??= { pool, ip };
  }
  return found === undefined
    ? { ok: false, failure: failure("REQUESTED_IP_INVALID", `${field}: no address`) }
    : { ok: true, pool: found.pool };
}

function poolRulesProblem(
  pool: PoolDefinition,
  req: ServiceRequest,
  field: string,
): AllocationFailure | undefined {
  const ips = ipList(req.requestedIPs);
  const name = namedPool(req);
  if (name !== undefined && name !== pool.name) {
    return failure(
      "REQUESTED_IP_NOT_IN_NAMED_POOL",
      `${field}: ${ips} is in IPAddressPool "${pool.name}", not in "${name}" named by ${ANNOTATION_ADDRESS_POOL}`,
    );
  }
  const problem = compatibilityProblem(pool, req);
  if (problem === undefined) return undefined;
  return failure(
    "POOL_NOT_ALLOWED",
    `${field}: ${ips} is in IPAddressPool "${pool.name}", which may not serve Service "${req.key}": ${problem}`,
  );
}

function sharingProblems(
  view: DecisionView,
  req: ServiceRequest,
  field: string,
): AllocationFailure | undefined {
  for (const ip of req.requestedIPs) {
    const problem = view.sharingProblem(ip, req, field);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Allocation of the requested addresses, in the requested order (§2.3). */
export function fromRequested(view: DecisionView, req: ServiceRequest): AllocationResult {
  const field = req.requestedIPsField ?? ANNOTATION_LOAD_BALANCER_IPS;
  const early =
    formProblem(req, field) ?? familyProblem(req, field) ?? unknownPoolProblem(view.index, req);
  if (early !== undefined) return { ok: false, failure: early };
  const found = owner(view.index, req.requestedIPs, field);
  if (!found.ok) return found;
  const late = poolRulesProblem(found.pool, req, field) ?? sharingProblems(view, req, field);
  if (late !== undefined) return { ok: false, failure: late };
  return succeeded({ pool: found.pool.name, ips: [...req.requestedIPs] });
}
