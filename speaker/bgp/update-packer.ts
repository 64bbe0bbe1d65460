// Turns an Adj-RIB-Out difference into the fewest UPDATE messages: withdrawals
// packed together, prefixes with identical attributes sharing an UPDATE, each
// message ≤ 4096 octets (RFC 4271 §4). IPv4 travels in the classic NLRI and
// Withdrawn Routes fields, IPv6 in MP_REACH/MP_UNREACH (RFC 4760 §3–4).

import type { RibDiff, OutRoute } from "./adj-rib-out.ts";
import type { AfiSafi } from "./capabilities.ts";
import { encodeEndOfRib, packAnnouncements, packWithdrawals } from "./update.ts";

export interface PackOptions {
  readonly fourOctetAs: boolean;
}

/** Withdrawals first, then one group of UPDATEs per distinct attribute set. */
export function packDiff(diff: RibDiff, opts: PackOptions): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (diff.withdraw.length > 0) out.push(...packWithdrawals(diff.withdraw));
  const groups = new Map<string, { sample: OutRoute; prefixes: string[] }>();
  for (const r of diff.announce) {
    const g = groups.get(r.key);
    if (g === undefined) groups.set(r.key, { sample: r, prefixes: [r.prefix] });
    else g.prefixes.push(r.prefix);
  }
  for (const { sample, prefixes } of groups.values()) {
    out.push(
      ...packAnnouncements(
        {
          attributes: sample.attributes,
          ...(sample.ipv6NextHops === undefined ? {} : { ipv6NextHops: sample.ipv6NextHops }),
          prefixes,
        },
        opts,
      ),
    );
  }
  return out;
}

/** RFC 4724 §2: one End-of-RIB per negotiated family after the initial table. */
export function endOfRibMarkers(families: readonly AfiSafi[]): Uint8Array[] {
  return families.map((f) => encodeEndOfRib(f.afi, f.safi));
}
