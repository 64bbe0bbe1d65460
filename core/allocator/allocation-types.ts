// The allocator's vocabulary, shared by the pure allocator (allocator.ts),
// the Service reader (service-request.ts) and the adapters that feed them
// (the mutating webhook and the reconciler). Nothing here does I/O.
import type { LabelSelector } from "../api/schema-building-blocks.ts";
import type { Labels } from "../label-selector.ts";
import type { IpAddress, IpFamily } from "../net/ip-address-text.ts";
import type { AddressBlock } from "../net/ip-blocks.ts";

/** An IPAddressPool as the allocator needs it, selectors already resolved. */
export interface PoolDefinition {
  readonly name: string;
  /** spec.addresses in spec order (MetalLB hands out the lowest free address, walking them in order). */
  readonly blocks: readonly AddressBlock[];
  readonly autoAssign: boolean;
  /** IPv4 addresses ending in .0 or .255 are neither handed out nor accepted (§2.10). */
  readonly avoidBuggyIPs: boolean;
  readonly labels: Labels;
  /** Present when the pool has spec.serviceAllocation. */
  readonly serviceAllocation?: {
    /** 0 = lowest; positive values: lower is preferred. */
    readonly priority: number;
    /** Names from `namespaces` plus those `namespaceSelectors` match now. Empty = any namespace. */
    readonly namespaces: ReadonlySet<string>;
    /** Whether namespaces or namespaceSelectors were given at all. */
    readonly restrictsNamespaces: boolean;
    /** Any one must match; a priority-only serviceAllocation selects every Service. */
    readonly serviceSelectors: readonly LabelSelector[];
  };
}

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface ServicePort {
  readonly protocol: Protocol;
  readonly port: number;
}

/** What decides whether two Services may share one IP (§2.8). */
export interface SharingIdentity {
  /** `metallb.io/allow-shared-ip`; undefined = never shares. */
  readonly sharingKey?: string | undefined;
  /** Canonical selector under externalTrafficPolicy Local, "" under Cluster. */
  readonly backendKey: string;
  readonly ports: readonly ServicePort[];
}

export type FamilyPolicy = "SingleStack" | "PreferDualStack" | "RequireDualStack";

/** A LoadBalancer Service, as the allocator sees it. */
export interface ServiceRequest extends SharingIdentity {
  /** "namespace/name" */
  readonly key: string;
  readonly namespace: string;
  /**
   * The Service's UID once it exists (not at CREATE admission). Claims made
   * for it carry it from the start, which saves the reconciler a second write
   * per Service to stamp it (issue 4: publish latency at 50 creates/s).
   */
  readonly uid?: string | undefined;
  readonly labels: Labels;
  /** Families the Service has cluster IPs in, primary first (spec.ipFamilies order). */
  readonly families: readonly IpFamily[];
  readonly familyPolicy: FamilyPolicy;
  /** From metallb.io/loadBalancerIPs or spec.loadBalancerIP (0–2, different families). */
  readonly requestedIPs: readonly IpAddress[];
  /**
   * The field requestedIPs came from, named in failure messages
   * (e.g. "spec.loadBalancerIP"); "metallb.io/loadBalancerIPs" when unset.
   */
  readonly requestedIPsField?: string | undefined;
  /** metallb.io/address-pool */
  readonly pool?: string | undefined;
}

/** One Service's use of one IP, as a claim records it. */
export interface Holder extends SharingIdentity {
  readonly serviceKey: string;
  /** The Service's UID when known (ServiceRequest.uid). */
  readonly uid?: string | undefined;
}

export interface Allocation {
  readonly pool: string;
  /** One per family; IPv4 first for a dual pair allocated together, requested order otherwise. */
  readonly ips: readonly IpAddress[];
}

/**
 * Why a Service got no IP. `hard` failures can never work as the Service is
 * written (the webhook rejects them); soft ones may resolve later (a pool
 * frees up), so the Service is admitted with a warning.
 */
export type AllocationFailureCode =
  | "REQUESTED_IP_INVALID"
  | "REQUESTED_IP_CONFLICTING_FORMS"
  | "REQUESTED_IP_FAMILY_MISMATCH"
  | "REQUESTED_IP_NOT_IN_POOL"
  | "REQUESTED_IP_NOT_IN_NAMED_POOL"
  | "REQUESTED_IP_IN_USE"
  | "SHARING_KEY_MISMATCH"
  | "PORT_CONFLICT"
  | "UNKNOWN_POOL"
  | "POOL_NOT_ALLOWED"
  | "POOL_FAMILY_MISMATCH"
  | "NO_POOLS"
  | "NO_AVAILABLE_IPS";

export interface AllocationFailure {
  readonly code: AllocationFailureCode;
  readonly hard: boolean;
  /** Names the field, the value and the conflicting Service or pool. */
  readonly message: string;
}

export type AllocationResult =
  | { readonly ok: true; readonly allocation: Allocation }
  | { readonly ok: false; readonly failure: AllocationFailure };

export interface PoolUsage {
  readonly assignedIPv4: number;
  readonly assignedIPv6: number;
  /** Capacity minus assigned; Number.MAX_SAFE_INTEGER-capped like MetalLB's MaxInt64 for /64s. */
  readonly availableIPv4: number;
  readonly availableIPv6: number;
}
