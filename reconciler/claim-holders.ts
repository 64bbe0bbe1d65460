// Rewriting a claim's holder list from the view's copy (release, UID stamp,
// orphan collection), deleting the claim when no holder is left.
import type { ClaimHolder } from "../core/api/ip-address-claim.ts";
import type { AllocationView } from "../core/kube/allocation-view.ts";
import type { ClaimObject, ClaimWriter } from "../core/kube/claim-writer.ts";

/**
 * Rewrites a claim's holders from the view's copy; on a conflict, learns the
 * current claim and retries once. Returns whether the claim was written.
 */
export async function rewriteHolders(
  view: AllocationView,
  writer: ClaimWriter,
  name: string,
  change: (holders: ClaimHolder[]) => ClaimHolder[],
): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const claim: ClaimObject | undefined = view.claimOf(name);
    if (claim === undefined) return false;
    const holders = claim.spec?.holders ?? [];
    const next = change(holders);
    if (JSON.stringify(next) === JSON.stringify(holders)) return false;
    const written = await writer.replaceHolders(claim, next);
    if (written.ok) {
      if (next.length > 0) view.ingestClaim(written.claim);
      else view.forgetClaim(claim);
      return true;
    }
    if (written.current === undefined) {
      view.forgetClaim(claim);
      return false;
    }
    view.ingestClaim(written.current);
  }
  return false;
}
