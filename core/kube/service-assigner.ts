// Chooses IPs for a Service and takes them through IPAddressClaims, retrying
// when another writer wins an address. Shared by the mutating webhook (at
// admission) and the reconciler (for Services that arrived without an IP).
import type {
  Allocation,
  AllocationFailure,
  Holder,
  ServiceRequest,
} from "../allocator/allocation-types.ts";
import { claimName } from "../allocator/claim-names.ts";
import { errorText } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { formatIp, type IpAddress } from "../net/ip-address-text.ts";
import type { AllocationView } from "./allocation-view.ts";
import { holderKey, holderOf, type ClaimWriter } from "./claim-writer.ts";

export interface AssignerOptions {
  readonly view: AllocationView;
  readonly writer: ClaimWriter;
  readonly log: Logger;
  /** Called once per lost race (metrics). */
  readonly onRace?: (() => void) | undefined;
}

/**
 * How often one admission re-decides after losing a race for an IP. Each loss
 * teaches the view one taken address, so this bounds a burst of replicas all
 * picking the same lowest address, not the pool size.
 */
const MAX_ATTEMPTS = 16;

export type AssignOutcome =
  { ok: true; allocation: Allocation } | { ok: false; failure: AllocationFailure };

export class ServiceAssigner {
  readonly #o: AssignerOptions;

  constructor(options: AssignerOptions) {
    this.#o = options;
  }

  /** Chooses and (unless dry-run) claims IPs for the Service, retrying lost races. */
  async assign(request: ServiceRequest, dryRun: boolean): Promise<AssignOutcome> {
    const allocator = this.#o.view.allocator;
    const before = allocator.current(request.key);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const decision = allocator.allocate(request);
      if (!decision.ok || dryRun) return decision;
      const lost = await this.#claimAll(decision.allocation, request);
      if (lost === undefined) {
        await this.#releaseUnused(request.key, before, decision.allocation);
        return decision;
      }
      this.#o.onRace?.();
      this.#o.log.debug({ service: request.key, ip: formatIp(lost), attempt }, "lost an IP race");
    }
    return {
      ok: false,
      failure: {
        code: "NO_AVAILABLE_IPS",
        hard: false,
        message: `gave up after ${MAX_ATTEMPTS} concurrent claims of the same addresses; the reconciler will retry`,
      },
    };
  }

  /**
   * Claims every IP; returns the first one someone else holds. The IPs are
   * held in the view before the first await, so concurrent admissions in this
   * replica choose other addresses instead of racing for the same one; only
   * other replicas can still collide, and the API server settles that.
   */
  async #claimAll(allocation: Allocation, request: ServiceRequest): Promise<IpAddress | undefined> {
    const { allocator } = this.#o.view;
    const holder: Holder = {
      serviceKey: request.key,
      uid: request.uid,
      sharingKey: request.sharingKey,
      backendKey: request.backendKey,
      ports: request.ports,
    };
    for (const ip of allocation.ips) allocator.hold(ip, allocation.pool, holder);
    const pending = [...allocation.ips];
    try {
      for (const ip of allocation.ips) {
        if (!(await this.#claim(ip, allocation.pool, holder))) return ip;
        pending.shift();
      }
      return undefined;
    } finally {
      // Provisional holds of IPs not (yet) claimed; a claim we saw replaced them already.
      for (const ip of pending) {
        if (this.#o.view.claimOf(claimName(ip)) === undefined)
          allocator.releaseIP(ip, holder.serviceKey);
      }
    }
  }

  async #claim(ip: IpAddress, pool: string, holder: Holder): Promise<boolean> {
    const { view, writer } = this.#o;
    const cached = view.claimOf(claimName(ip));
    const mine = holderOf(holder);
    if (cached === undefined) {
      const created = await writer.create(ip, pool, holder);
      if (created.ok) view.ingestClaim(created.claim);
      else if (created.current !== undefined) view.ingestClaim(created.current);
      else view.allocator.markTaken(ip);
      return created.ok;
    }
    const holders = cached.spec?.holders ?? [];
    const same = holders.find((h) => holderKey(h) === holder.serviceKey);
    if (same !== undefined && JSON.stringify(same) === JSON.stringify({ ...mine, ...pick(same) })) {
      return true;
    }
    const others = holders.filter((h) => holderKey(h) !== holder.serviceKey);
    const written = await writer.replaceHolders(cached, [...others, { ...mine, ...pick(same) }]);
    if (written.ok) view.ingestClaim(written.claim);
    else if (written.current !== undefined) view.ingestClaim(written.current);
    else view.forgetClaim(cached);
    return written.ok;
  }

  /** Gives back what the Service held before and no longer uses (pool or request changed). */
  async #releaseUnused(
    key: string,
    before: Allocation | undefined,
    now: Allocation,
  ): Promise<void> {
    const kept = new Set(now.ips.map(formatIp));
    const dropped = (before?.ips ?? []).filter((ip) => !kept.has(formatIp(ip)));
    for (const ip of dropped) {
      try {
        await this.#release(key, ip);
      } catch (e: unknown) {
        // The reconciler collects what is left behind.
        this.#o.log.warn({ service: key, ip: formatIp(ip), err: errorText(e) }, "release failed");
      }
    }
  }

  async #release(key: string, ip: IpAddress): Promise<void> {
    const { view, writer } = this.#o;
    const claim = view.claimOf(claimName(ip));
    if (claim === undefined) return;
    const rest = (claim.spec?.holders ?? []).filter((h) => holderKey(h) !== key);
    const written = await writer.replaceHolders(claim, rest);
    if (!written.ok) return;
    if (rest.length > 0) view.ingestClaim(written.claim);
    else view.forgetClaim(claim);
  }
}

/** Keeps the UID the reconciler recorded when rewriting a holder. */
function pick(h: { uid?: string | undefined } | undefined): { uid?: string } {
  return h?.uid === undefined ? {} : { uid: h.uid };
}
