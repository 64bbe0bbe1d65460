// Which address blocks share addresses. A sweep over blocks sorted by their
// first address: O(n log n + pairs), so a config with thousands of entries is
// checked as fast as one with ten.
import type { IpFamily } from "./ip-address-text.ts";

export interface OwnedBlock<Owner> {
  readonly owner: Owner;
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
}

/** Every pair of blocks whose address intervals intersect, each pair once, in input order (a before b). */
export function findOverlaps<Owner>(
  blocks: readonly OwnedBlock<Owner>[],
): [OwnedBlock<Owner>, OwnedBlock<Owner>][] {
  const indexed = blocks.map((block, index) => ({ block, index }));
  indexed.sort((x, y) =>
    x.block.family !== y.block.family
      ? x.block.family < y.block.family
        ? -1
        : 1
      : x.block.first < y.block.first
        ? -1
        : x.block.first > y.block.first
          ? 1
          : x.index - y.index,
  );
  const pairs: [OwnedBlock<Owner>, OwnedBlock<Owner>][] = [];
  let active: { block: OwnedBlock<Owner>; index: number }[] = [];
  for (const current of indexed) {
    // Blocks that end before this one starts can overlap nothing further on.
    active = active.filter(
      (a) => a.block.family === current.block.family && a.block.last >= current.block.first,
    );
    for (const a of active) {
      pairs.push(a.index < current.index ? [a.block, current.block] : [current.block, a.block]);
    }
    active.push(current);
  }
  return pairs;
}
