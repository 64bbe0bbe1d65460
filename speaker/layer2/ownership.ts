// Who answers ARP/NDP for each IP (issue 5 "Who announces";
// docs/adr/0006-l2-ownership-and-liveness.md). Pure: every speaker runs this
// on the same inputs and gets the same answer, so agreeing on an owner costs
// no messages.
//
// Rendezvous (highest-random-weight) hashing, Thaler & Ravishankar 1998: the
// owner of an IP is the eligible node with the highest score(node, ip).
// - Removing a node that is not the owner changes nothing for that IP; adding
//   a node moves an IP only to the new node. So a failover moves exactly the
//   dead node's IPs, and each goes to whichever survivor ranks next for it,
//   which spreads them over all survivors.
// - Ownership is per IP, not per Service: Services sharing an IP get one owner.
//   MetalLB hashes the first ingress IP of a Service, so both IPs of a
//   dual-stack Service go to one node; here each IP has its own owner, which is
//   the only consistent rule when a dual-stack Service shares its IPv4 with one
//   Service and its IPv6 with another.
//
// The score is murmur3's mixing (32-bit) of a node hash XOR an IP hash, so the
// per-node and per-IP string hashes are computed once and each (node, ip) pair
// costs a few integer operations (10,000 IPs × 100 nodes: see the test's
// printout). Changing the score function moves IPs between nodes in a
// cluster running two versions at once: the test vectors pin it.

/** murmur3's 32-bit finalizer: full avalanche over the 32 bits. */
function fmix32(input: number): number {
  let h = input;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** murmur3_32's per-block mixing, one UTF-16 code unit per block, then fmix32. */
export function hashString(text: string, seed = 0): number {
  let h = seed | 0;
  for (let i = 0; i < text.length; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ text.length);
}

// Distinct seeds, so a node named like an IP does not score as that IP's twin.
const NODE_SEED = 0x6e6f6465; // "node"
const IP_SEED = 0x69707631; // "ipv1"

const combine = (nodeHash: number, ipHash: number): number => fmix32(nodeHash ^ ipHash);

/** The rendezvous score of a node for an IP (higher wins). IPs in canonical text. */
export function rendezvousScore(node: string, ip: string): number {
  return combine(hashString(node, NODE_SEED), hashString(ip, IP_SEED));
}

/** Higher score first; equal scores (1 in 2³² per pair) by name, code-point order. */
function beats(a: string, aScore: number, b: string, bScore: number): boolean {
  return aScore > bScore || (aScore === bScore && a < b);
}

/** Caches node hashes within one computation over many IPs. */
class NodeHashes {
  readonly #cache = new Map<string, number>();

  get(node: string): number {
    let h = this.#cache.get(node);
    if (h === undefined) {
      h = hashString(node, NODE_SEED);
      this.#cache.set(node, h);
    }
    return h;
  }
}

function pickOwner(ip: string, nodes: Iterable<string>, hashes: NodeHashes): string | undefined {
  const ipHash = hashString(ip, IP_SEED);
  let best: string | undefined;
  let bestScore = -1;
  for (const node of nodes) {
    const score = combine(hashes.get(node), ipHash);
    if (best === undefined || beats(node, score, best, bestScore)) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}

/** The owner of `ip` among `nodes`, or undefined when there are none. */
export function ownerOf(ip: string, nodes: Iterable<string>): string | undefined {
  return pickOwner(ip, nodes, new NodeHashes());
}

/** Every node in preference order for `ip`: the owner, then who takes over if it fails, … */
export function rankNodes(ip: string, nodes: Iterable<string>): string[] {
  const ipHash = hashString(ip, IP_SEED);
  const scored = [...new Set(nodes)].map((node) => ({
    node,
    score: combine(hashString(node, NODE_SEED), ipHash),
  }));
  scored.sort((a, b) => (beats(a.node, a.score, b.node, b.score) ? -1 : 1));
  return scored.map((s) => s.node);
}

/** What one Service contributes for one of its IPs: node-eligibility.ts's answer. */
export interface IpCandidates {
  /** Canonical text (dotted quad, RFC 5952): two spellings of one IPv6 address are two keys. */
  readonly ip: string;
  /** `namespace/name`, for status and logs. */
  readonly service: string;
  /** Eligible node → interfaces (empty = every interface). */
  readonly eligible: ReadonlyMap<string, readonly string[]>;
}

/**
 * How the candidate set was formed:
 * - `single`: one Service uses the IP, its eligible nodes;
 * - `intersection`: Services share the IP, the nodes eligible for all of them;
 * - `union`: they share it but no node is eligible for all of them, so the
 *   nodes eligible for any of them. The owner then serves at least one of the
 *   Services; announcing nothing would serve none.
 */
export type OwnershipBasis = "single" | "intersection" | "union";

export interface IpOwner {
  readonly ip: string;
  /** Undefined when no node is eligible: nobody announces. */
  readonly owner: string | undefined;
  /** Interfaces the owner announces on: the union over the Services it is eligible for ([] = all). */
  readonly interfaces: readonly string[];
  readonly basis: OwnershipBasis;
  /** The Services using the IP, sorted. */
  readonly services: readonly string[];
}

function candidateSet(claims: readonly IpCandidates[]): {
  nodes: Iterable<string>;
  basis: OwnershipBasis;
} {
  const [first, ...rest] = claims;
  if (first === undefined) return { nodes: [], basis: "single" };
  if (rest.length === 0) return { nodes: first.eligible.keys(), basis: "single" };
  const all = new Set(first.eligible.keys());
  const common = new Set([...all].filter((n) => rest.every((c) => c.eligible.has(n))));
  if (common.size > 0) return { nodes: common, basis: "intersection" };
  for (const claim of rest) for (const n of claim.eligible.keys()) all.add(n);
  return { nodes: all, basis: "union" };
}

/** One empty list for every IP announced on all interfaces, the common case (issue 5: memory). */
const ALL_INTERFACES: readonly string[] = Object.freeze([]);

function ownerInterfaces(owner: string, claims: readonly IpCandidates[]): readonly string[] {
  const names = new Set<string>();
  for (const claim of claims) {
    const list = claim.eligible.get(owner);
    if (list === undefined) continue;
    if (list.length === 0) return ALL_INTERFACES;
    for (const name of list) names.add(name);
  }
  return [...names].sort();
}

function decide(ip: string, claims: readonly IpCandidates[], hashes: NodeHashes): IpOwner {
  const { nodes, basis } = candidateSet(claims);
  const owner = pickOwner(ip, nodes, hashes);
  return {
    ip,
    owner,
    interfaces: owner === undefined ? ALL_INTERFACES : ownerInterfaces(owner, claims),
    basis,
    services: [...new Set(claims.map((c) => c.service))].sort(),
  };
}

/**
 * One owner per IP over every Service's claims; IPs nobody may announce have
 * owner undefined. `decided` remembers the decision for an IP only one
 * Service claims, keyed by that claim object: the decision depends on nothing
 * else, so a caller that keeps claim objects while they are unchanged
 * (l2-plan.ts's memo) hashes only the IPs that changed.
 */
export function assignOwners(
  claims: Iterable<IpCandidates>,
  decided = new WeakMap<IpCandidates, IpOwner>(),
): Map<string, IpOwner> {
  const byIp = new Map<string, IpCandidates[]>();
  for (const claim of claims) {
    const list = byIp.get(claim.ip);
    if (list === undefined) byIp.set(claim.ip, [claim]);
    else list.push(claim);
  }
  const hashes = new NodeHashes();
  const out = new Map<string, IpOwner>();
  for (const [ip, list] of byIp) {
    const only = list.length === 1 ? list[0] : undefined;
    let owner = only === undefined ? undefined : decided.get(only);
    if (owner === undefined) {
      owner = decide(ip, list, hashes);
      if (only !== undefined) decided.set(only, owner);
    }
    out.set(ip, owner);
  }
  return out;
}

/** The IPs `node` announces, with their interfaces. */
export function ownedBy(node: string, owners: ReadonlyMap<string, IpOwner>): IpOwner[] {
  return [...owners.values()].filter((o) => o.owner === node);
}
