// IPAddressPool rules: address syntax, overlaps within and across pools
// (naming both pools and the shared addresses), serviceAllocation selectors.
import type { IPAddressPoolSpec } from "../api/ip-address-pool.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import { findOverlaps } from "../net/block-overlaps.ts";
import {
  formatCidr,
  formatIntersection,
  parseAddressBlock,
  type AddressBlock,
} from "../net/ip-blocks.ts";
import { describeRef, refOf, type ObjectRef, type ProblemSink } from "./problem.ts";
import { checkNoDuplicates, checkSelectors } from "./selector-rules.ts";

export interface ParsedPool {
  readonly ref: ObjectRef;
  readonly pool: KubeObject<IPAddressPoolSpec>;
  /** Entries that parsed, with their index in spec.addresses. */
  readonly blocks: readonly { readonly index: number; readonly block: AddressBlock }[];
}

const PARSE_CODES = {
  "invalid-cidr": ["POOL_INVALID_CIDR", "invalid CIDR"],
  "invalid-range-start": ["POOL_INVALID_RANGE", "invalid IP range: invalid start IP"],
  "invalid-range-end": ["POOL_INVALID_RANGE", "invalid IP range: invalid end IP"],
  "range-reversed": ["POOL_RANGE_REVERSED", "invalid IP range: start IP is after the end IP"],
  "range-mixed-families": [
    "POOL_RANGE_MIXED_FAMILY",
    "invalid IP range: start and end are of different families",
  ],
} as const;

export function parsePool(sink: ProblemSink, pool: KubeObject<IPAddressPoolSpec>): ParsedPool {
  const ref = refOf(pool);
  const addresses = pool.spec?.addresses ?? [];
  if (addresses.length === 0) {
    sink.error({
      object: ref,
      code: "POOL_EMPTY",
      field: "spec.addresses",
      message: "pool has no prefixes defined",
    });
  }
  const blocks: { index: number; block: AddressBlock }[] = [];
  addresses.forEach((text, index) => {
    const field = `spec.addresses[${index}]`;
    const parsed = parseAddressBlock(text);
    if (!parsed.ok) {
      const [code, what] = PARSE_CODES[parsed.error.kind];
      sink.error({
        object: ref,
        code,
        field,
        message: `${what} "${text}": ${parsed.error.detail}`,
      });
      return;
    }
    const [network] = parsed.block.cidrs;
    if (parsed.block.hostBitsMasked && network !== undefined) {
      sink.warning({
        object: ref,
        code: "POOL_HOST_BITS",
        field,
        message: `"${text}" has host bits set; it is used as ${formatCidr(network)}`,
      });
    }
    blocks.push({ index, block: parsed.block });
  });
  const alloc = pool.spec?.serviceAllocation;
  checkNoDuplicates(sink, ref, "spec.serviceAllocation.namespaces", alloc?.namespaces);
  checkSelectors(sink, ref, "spec.serviceAllocation.namespaceSelectors", alloc?.namespaceSelectors);
  checkSelectors(sink, ref, "spec.serviceAllocation.serviceSelectors", alloc?.serviceSelectors);
  return { ref, pool, blocks };
}

/**
 * Overlaps between every pair of entries, in one pool or two. MetalLB rejects
 * them all (internal/config/config.go): an address in two pools would have two
 * sets of rules. Reported on the later pool by name, as MetalLB parses pools
 * sorted by name.
 */
export function checkPoolOverlaps(sink: ProblemSink, pools: readonly ParsedPool[]): void {
  const sorted = [...pools].sort((a, b) => a.ref.name.localeCompare(b.ref.name));
  const owned = sorted.flatMap((p) =>
    p.blocks.map(({ index, block }) => ({
      owner: { pool: p, index, text: block.text },
      family: block.family,
      first: block.first,
      last: block.last,
    })),
  );
  for (const [a, b] of findOverlaps(owned)) {
    const shared = formatIntersection(a.family, a, b) ?? "";
    const same = a.owner.pool === b.owner.pool;
    sink.error({
      object: b.owner.pool.ref,
      code: "POOL_OVERLAP",
      field: `spec.addresses[${b.owner.index}]`,
      message: same
        ? `"${b.owner.text}" overlaps "${a.owner.text}" (spec.addresses[${a.owner.index}]) of the same pool at ${shared}`
        : `"${b.owner.text}" overlaps "${a.owner.text}" of ${describeRef(a.owner.pool.ref)} (spec.addresses[${a.owner.index}]) at ${shared}`,
      related: same ? undefined : a.owner.pool.ref,
    });
  }
}
