// The webhook's view of what is allocated: informers on claims, pools,
// namespaces and advertisements feed one Allocator. The view is a hint that
// makes the first guess right almost always; the API server's AlreadyExists
// stays the arbiter, so a stale view costs a retry, never a duplicate IP.
import type { V1Namespace } from "@kubernetes/client-node";
import { Allocator } from "../allocator/allocator.ts";
import type { Holder } from "../allocator/allocation-types.ts";
import { resolvePools } from "../allocator/pool-definitions.ts";
import type { IPAddressPoolSpec } from "../api/ip-address-pool.ts";
import type { MetallbKind } from "../api/kind-names.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import type { ApiClient } from "./api-client.ts";
import { Informer } from "./informer.ts";
import type { Logger } from "../logger.ts";
import { parseIp } from "../net/ip-address-text.ts";
import { selectedPools } from "../validation/advertisement-rules.ts";
import type { ParsedPool } from "../validation/pool-rules.ts";
import { holderKey, type ClaimObject } from "./claim-writer.ts";
import { metallbInformer, type MetallbObject } from "./metallb-informer.ts";

export interface AllocationViewOptions {
  readonly api: ApiClient;
  readonly namespace: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

type Obj = MetallbObject;

function holdersOf(claim: ClaimObject): Holder[] {
  return (claim.spec?.holders ?? []).map((h) => ({
    serviceKey: holderKey(h),
    sharingKey: h.sharingKey,
    backendKey: h.backendKey ?? "",
    ports: h.ports ?? [],
  }));
}

/**
 * resourceVersions are opaque, but etcd revisions in practice: compare them as
 * numbers when both are, and otherwise trust the watch.
 */
function isOlder(a: ClaimObject, b: ClaimObject): boolean {
  const ra = a.metadata.resourceVersion ?? "";
  const rb = b.metadata.resourceVersion ?? "";
  if (!/^\d+$/.test(ra) || !/^\d+$/.test(rb)) return true;
  return BigInt(ra) < BigInt(rb);
}

export class AllocationView {
  readonly allocator = new Allocator([]);
  readonly #claims: Informer<Obj>;
  readonly #pools: Informer<Obj>;
  readonly #namespaces: Informer<V1Namespace>;
  readonly #l2: Informer<Obj>;
  readonly #bgp: Informer<Obj>;
  readonly #namespace: string;
  /** Claims as our own writes returned them, until the watch catches up. */
  readonly #written = new Map<string, ClaimObject>();
  /** Claims we deleted (or saw deleted), until the watch stops showing them. */
  readonly #deleted = new Map<string, ClaimObject>();
  /** Called after every pool change with the Services setPools reported as moved (reconciler). */
  readonly #poolListeners: ((moved: readonly string[]) => void)[] = [];
  /** Called after every claim event the informer delivers (reconciler). */
  readonly #claimListeners: ((claim: ClaimObject, deleted: boolean) => void)[] = [];

  constructor(options: AllocationViewOptions) {
    this.#namespace = options.namespace;
    const metallb = (kind: MetallbKind) =>
      metallbInformer({
        api: options.api,
        kind,
        namespace: options.namespace,
        log: options.log,
        signal: options.signal,
      });
    this.#claims = metallb("IPAddressClaim");
    this.#pools = metallb("IPAddressPool");
    this.#l2 = metallb("L2Advertisement");
    this.#bgp = metallb("BGPAdvertisement");
    this.#namespaces = new Informer<V1Namespace>({
      api: options.api,
      path: "/api/v1/namespaces",
      log: options.log,
      signal: options.signal,
    });
    this.#claims.on("add", (c) => {
      this.ingestClaim(c as ClaimObject);
      for (const l of this.#claimListeners) l(c as ClaimObject, false);
    });
    this.#claims.on("update", (c) => {
      this.ingestClaim(c as ClaimObject);
      for (const l of this.#claimListeners) l(c as ClaimObject, false);
    });
    this.#claims.on("delete", (c) => {
      // The delete of an older incarnation must not undo a claim we have
      // since created again under the same name (its watch event is behind).
      const written = this.#written.get((c as ClaimObject).metadata.name ?? "");
      if (written === undefined || !isOlder(c as ClaimObject, written)) {
        this.forgetClaim(c as ClaimObject);
      }
      for (const l of this.#claimListeners) l(c as ClaimObject, true);
    });
    for (const informer of [this.#pools, this.#namespaces]) {
      for (const event of ["add", "update", "delete"] as const) {
        informer.on(event, () => {
          this.#refreshPools();
        });
      }
    }
  }

  async start(): Promise<void> {
    // Pools first, so claims are held in known pools from the start.
    await Promise.all([this.#pools.start(), this.#namespaces.start()]);
    this.#refreshPools();
    await Promise.all([this.#claims.start(), this.#l2.start(), this.#bgp.start()]);
  }

  #refreshPools(): void {
    const namespaces = this.#namespaces.list().map((n) => ({
      name: n.metadata?.name ?? "",
      labels: n.metadata?.labels ?? {},
    }));
    const pools = this.#pools.list() as unknown as readonly KubeObject<IPAddressPoolSpec>[];
    const moved = this.allocator.setPools(resolvePools(pools, namespaces));
    for (const l of this.#poolListeners) l(moved);
  }

  onPoolsChanged(listener: (moved: readonly string[]) => void): void {
    this.#poolListeners.push(listener);
  }

  onClaimChanged(listener: (claim: ClaimObject, deleted: boolean) => void): void {
    this.#claimListeners.push(listener);
  }

  /** Every claim the informer holds (the reconciler's orphan collection). */
  claims(): readonly ClaimObject[] {
    return this.#claims.list(this.#namespace) as unknown as readonly ClaimObject[];
  }

  /** The IPAddressPool objects the informer holds (the reconciler writes their status). */
  pools(): readonly KubeObject<IPAddressPoolSpec>[] {
    return this.#pools.list() as unknown as readonly KubeObject<IPAddressPoolSpec>[];
  }

  /** Makes the allocator hold exactly what the claim says about its IP. */
  ingestClaim(claim: ClaimObject): void {
    const name = claim.metadata.name;
    if (name !== undefined && claim.metadata.resourceVersion !== undefined) {
      this.#written.set(name, claim);
      this.#deleted.delete(name);
    }
    const spec = claim.spec;
    const ip = spec === undefined ? undefined : parseIp(spec.ip);
    if (spec === undefined || ip === undefined) return;
    const holders = holdersOf(claim);
    for (const previous of this.allocator.holdersOf(ip)) {
      if (!holders.some((h) => h.serviceKey === previous.serviceKey)) {
        this.allocator.releaseIP(ip, previous.serviceKey);
      }
    }
    for (const holder of holders) this.allocator.hold(ip, spec.pool, holder);
  }

  forgetClaim(claim: ClaimObject): void {
    if (claim.metadata.name !== undefined) {
      this.#written.delete(claim.metadata.name);
      this.#deleted.set(claim.metadata.name, claim);
    }
    const ip = claim.spec === undefined ? undefined : parseIp(claim.spec.ip);
    if (ip === undefined) return;
    for (const holder of this.allocator.holdersOf(ip)) {
      this.allocator.releaseIP(ip, holder.serviceKey);
    }
    // An address only marked taken (learnt from an AlreadyExists) has no holder.
    this.allocator.releaseIP(ip, "");
  }

  /**
   * The newest claim we know by that name: the informer's copy, or the one our
   * own last write returned if the watch has not delivered it yet.
   */
  claimOf(name: string): ClaimObject | undefined {
    const watched = this.#notDeleted(
      name,
      this.#claims.get(name, this.#namespace) as ClaimObject | undefined,
    );
    const written = this.#written.get(name);
    if (written === undefined) return watched;
    if (watched !== undefined && !isOlder(written, watched)) {
      this.#written.delete(name);
      return watched;
    }
    return written;
  }

  /** The informer's copy, unless it is one we know was deleted since. */
  #notDeleted(name: string, watched: ClaimObject | undefined): ClaimObject | undefined {
    const tomb = this.#deleted.get(name);
    if (tomb === undefined) return watched;
    if (watched === undefined || isOlder(tomb, watched)) {
      this.#deleted.delete(name);
      return watched;
    }
    return undefined;
  }

  /** Whether any L2Advertisement or BGPAdvertisement announces the pool. */
  isAdvertised(poolName: string): boolean {
    const pool = this.#pools.list().find((p) => p.metadata.name === poolName);
    if (pool === undefined) return false;
    const parsed: ParsedPool = {
      ref: { kind: "IPAddressPool", name: poolName },
      pool: pool as KubeObject<IPAddressPoolSpec>,
      blocks: [],
    };
    return [...this.#l2.list(), ...this.#bgp.list()].some(
      (ad) => selectedPools((ad as KubeObject<object>).spec ?? {}, [parsed]).length > 0,
    );
  }
}
