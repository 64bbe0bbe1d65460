// The webhook's view of what is allocated: informers on claims, pools,
// namespaces and advertisements feed one Allocator. The view is a hint that
// makes the first guess right almost always; the API server's AlreadyExists
// stays the arbiter, so a stale view costs a retry, never a duplicate IP.
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Namespace,
} from "@kubernetes/client-node";
import { Allocator } from "../core/allocator/allocator.ts";
import type { Holder } from "../core/allocator/allocation-types.ts";
import { resolvePools } from "../core/allocator/pool-definitions.ts";
import type { IPAddressPoolSpec } from "../core/api/ip-address-pool.ts";
import { API_GROUP, KINDS, type MetallbKind } from "../core/api/kinds.ts";
import type { KubeObject } from "../core/api/schema-building-blocks.ts";
import { Informer } from "../core/kube/informer.ts";
import type { Logger } from "../core/logger.ts";
import { parseIp } from "../core/net/ip-address-text.ts";
import { selectedPools } from "../core/validation/advertisement-rules.ts";
import type { ParsedPool } from "../core/validation/pool-rules.ts";
import { holderKey, type ClaimObject } from "./claim-writer.ts";

export interface AllocationViewOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

type Obj = KubeObject & KubernetesObject;

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

  constructor(options: AllocationViewOptions) {
    this.#namespace = options.namespace;
    const custom = options.kc.makeApiClient(CustomObjectsApi);
    const core = options.kc.makeApiClient(CoreV1Api);
    const metallb = (kind: MetallbKind) => {
      const plural = KINDS[kind].plural;
      const version = KINDS[kind].versions.find((v) => v.storage)?.name ?? "v1beta1";
      return new Informer<Obj>({
        kc: options.kc,
        path: `/apis/${API_GROUP}/${version}/namespaces/${options.namespace}/${plural}`,
        list: () =>
          custom.listNamespacedCustomObject({
            group: API_GROUP,
            version,
            namespace: options.namespace,
            plural,
          }) as Promise<KubernetesListObject<Obj>>,
        log: options.log,
        signal: options.signal,
      });
    };
    this.#claims = metallb("IPAddressClaim");
    this.#pools = metallb("IPAddressPool");
    this.#l2 = metallb("L2Advertisement");
    this.#bgp = metallb("BGPAdvertisement");
    this.#namespaces = new Informer<V1Namespace>({
      kc: options.kc,
      path: "/api/v1/namespaces",
      list: () => core.listNamespace(),
      log: options.log,
      signal: options.signal,
    });
    this.#claims.on("add", (c) => {
      this.ingestClaim(c as ClaimObject);
    });
    this.#claims.on("update", (c) => {
      this.ingestClaim(c as ClaimObject);
    });
    this.#claims.on("delete", (c) => {
      this.forgetClaim(c as ClaimObject);
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
    this.allocator.setPools(resolvePools(pools, namespaces));
  }

  /** Makes the allocator hold exactly what the claim says about its IP. */
  ingestClaim(claim: ClaimObject): void {
    const name = claim.metadata.name;
    if (name !== undefined && claim.metadata.resourceVersion !== undefined) {
      this.#written.set(name, claim);
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
    if (claim.metadata.name !== undefined) this.#written.delete(claim.metadata.name);
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
    const watched = this.#claims.get(name, this.#namespace) as ClaimObject | undefined;
    const written = this.#written.get(name);
    if (written === undefined) return watched;
    if (watched !== undefined && !isOlder(written, watched)) {
      this.#written.delete(name);
      return watched;
    }
    return written;
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
