// The reconciler's decisions, as pure functions of the cached state: given a
// Service (or its absence), the claims that name it as a holder and the
// allocator's answer, which claims to release or stamp with the Service's UID,
// whether to assign, and what the Service's status and annotations must say.
// No I/O here; reconciler.ts carries the decisions out.
import type {
  Allocation,
  AllocationFailure,
  AllocationResult,
  ServiceRequest,
} from "../core/allocator/allocation-types.ts";
import {
  ALLOCATED_IPS_ANNOTATION,
  adoptionRequest,
  ANNOTATION,
  STABLE_PREFIX,
  isOurs,
  readService,
  type ServiceLike,
} from "../core/allocator/service-request.ts";
import type { ServiceEvent } from "../core/kube/event-recorder.ts";
import { formatIp, type IpFamily } from "../core/net/ip-address-text.ts";

export const FROM_POOL_ANNOTATION = `${STABLE_PREFIX}${ANNOTATION.allocatedFromPool}`;
/** The Service status condition the reconciler owns. */
export const CONDITION_TYPE = "metallb.io/IPAssigned";

export interface Condition {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number | undefined;
}

export interface IngressEntry {
  readonly ip?: string | undefined;
  readonly hostname?: string | undefined;
}

/** The fields of a core/v1 Service the reconciler reads. */
export interface ServiceObject extends ServiceLike {
  metadata: ServiceLike["metadata"] & {
    uid?: string | undefined;
    creationTimestamp?: Date | string | undefined;
    generation?: number | undefined;
  };
  status?:
    | {
        loadBalancer?: { ingress?: IngressEntry[] | undefined } | undefined;
        conditions?: Condition[] | undefined;
      }
    | undefined;
}

/** One claim that names the Service as a holder. */
export interface HeldClaim {
  readonly claimName: string;
  readonly ip: string;
  /** holders[].uid: undefined until the reconciler has seen the Service. */
  readonly uid: string | undefined;
}

export interface PlanInput {
  readonly key: string;
  readonly service: ServiceObject | undefined;
  readonly lbClass: string | undefined;
  readonly clusterFamilies: readonly IpFamily[];
  /** allocator.current(key) */
  readonly current: Allocation | undefined;
  readonly held: readonly HeldClaim[];
  /** allocator.allocate: what the Service should have now (decides, changes nothing). */
  readonly allocate: (request: ServiceRequest) => AllocationResult;
}

export type Outcome =
  | { readonly kind: "assigned"; readonly allocation: Allocation }
  | { readonly kind: "failed"; readonly failure: AllocationFailure }
  | { readonly kind: "notOurs" };

export interface Plan {
  /** Claims from which this Service's holder entry is removed. */
  readonly release: readonly string[];
  /** Claims whose holder entry gets the Service's UID. */
  readonly setUid: readonly string[];
  /** Run the assigner with this request, then plan again. */
  readonly assign: ServiceRequest | undefined;
  /** Plan again once the releases are done (stale claims of an earlier Service by that name). */
  readonly again: boolean;
  readonly events: readonly ServiceEvent[];
  /** What to publish; undefined when nothing is to be written (Service gone, or plan again). */
  readonly outcome: Outcome | undefined;
}

const NOTHING: Plan = {
  release: [],
  setUid: [],
  assign: undefined,
  again: false,
  events: [],
  outcome: undefined,
};

function annotatedIps(svc: ServiceObject): string[] {
  const text = svc.metadata.annotations?.[ALLOCATED_IPS_ANNOTATION] ?? "";
  return text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

function sameAllocation(a: Allocation | undefined, b: Allocation): boolean {
  if (a === undefined || a.pool !== b.pool || a.ips.length !== b.ips.length) return false;
  const theirs = new Set(b.ips.map(formatIp));
  return a.ips.every((ip) => theirs.has(formatIp(ip)));
}

function names(held: readonly HeldClaim[]): string[] {
  return held.map((h) => h.claimName);
}

/** What to do about one Service key. */
export function plan(input: PlanInput): Plan {
  const { service: svc, held } = input;
  // Gone: release what a Service we saw held (a holder without UID may be an
  // admission whose Service is not in the cache yet: orphan collection decides).
  if (svc === undefined) {
    return { ...NOTHING, release: names(held.filter((h) => h.uid !== undefined)) };
  }
  if (!isOurs(svc, input.lbClass)) {
    return { ...NOTHING, release: names(held), outcome: { kind: "notOurs" } };
  }
  const uid = svc.metadata.uid;
  const annotated = new Set(annotatedIps(svc));
  const stale = held.filter((h) => h.uid !== undefined && h.uid !== uid && !annotated.has(h.ip));
  if (stale.length > 0) return { ...NOTHING, release: names(stale), again: true };
  return planOurs(input, svc);
}

/** The IPs a Service holds only in status (from MetalLB) if they are still allowed, else its own request. */
function adoptOrAsk(input: PlanInput, svc: ServiceObject, request: ServiceRequest): ServiceRequest {
  if (input.current !== undefined) return request;
  const adopted = adoptionRequest(svc, request);
  return adopted !== undefined && input.allocate(adopted).ok ? adopted : request;
}

/** A Service of ours with no stale claims: keep, assign or say why not. */
function planOurs(input: PlanInput, svc: ServiceObject): Plan {
  const { key, held } = input;
  const uid = svc.metadata.uid;
  const read = readService(svc, { clusterFamilies: input.clusterFamilies });
  if (!read.ok) {
    return { ...NOTHING, release: names(held), outcome: { kind: "failed", failure: read.failure } };
  }
  const current = input.current;
  const request = adoptOrAsk(input, svc, read.request);
  const decision = input.allocate(request);
  if (decision.ok && sameAllocation(current, decision.allocation)) {
    return {
      ...NOTHING,
      setUid: names(held.filter((h) => h.uid !== uid)),
      outcome: { kind: "assigned", allocation: decision.allocation },
    };
  }
  const events = current === undefined ? [] : [clearAssignment(key, current, decision)];
  if (decision.ok) return { ...NOTHING, assign: request, events };
  return {
    ...NOTHING,
    release: names(held),
    events,
    outcome: { kind: "failed", failure: decision.failure },
  };
}

function clearAssignment(key: string, current: Allocation, next: AllocationResult): ServiceEvent {
  const why = next.ok
    ? `${JSON.stringify(current.ips.map(formatIp))} is not allowed in config`
    : next.failure.message;
  return {
    type: "Normal",
    reason: "ClearAssignment",
    message: `current IP for "${key}" not allowed by config, will attempt for new IP assignment: ${why}`,
  };
}

const REASONS: Record<AllocationFailure["code"], string> = {
  NO_AVAILABLE_IPS: "PoolExhausted",
  NO_POOLS: "NoPool",
  UNKNOWN_POOL: "NoPool",
  POOL_NOT_ALLOWED: "NoPool",
  POOL_FAMILY_MISMATCH: "NoPool",
  REQUESTED_IP_NOT_IN_POOL: "NoPool",
  REQUESTED_IP_NOT_IN_NAMED_POOL: "NoPool",
  REQUESTED_IP_IN_USE: "Conflict",
  SHARING_KEY_MISMATCH: "Conflict",
  PORT_CONFLICT: "Conflict",
  REQUESTED_IP_INVALID: "InvalidRequest",
  REQUESTED_IP_CONFLICTING_FORMS: "InvalidRequest",
  REQUESTED_IP_FAMILY_MISMATCH: "InvalidRequest",
};

/** Why a Service has no IP, as the condition's reason (no pool, exhausted, conflict, invalid). */
export function failureReason(failure: AllocationFailure): string {
  return REASONS[failure.code];
}

export interface StatusPatch {
  readonly loadBalancer: { ingress: { ip: string }[] };
  readonly conditions: Condition[];
}

export interface Publication {
  /** Merge-patch body for services/status (`{status: …}`), or undefined when status is right. */
  readonly status: { status: StatusPatch } | undefined;
  /** Merge-patch body for the Service (annotations; null deletes), or undefined. */
  readonly annotations: { metadata: { annotations: Record<string, string | null> } } | undefined;
  readonly events: readonly ServiceEvent[];
}

interface Wanted {
  readonly ingress: readonly string[] | undefined;
  readonly annotations: Record<string, string>;
  /** undefined: leave our condition as it is. null: remove it. */
  readonly condition: Omit<Condition, "lastTransitionTime"> | null | undefined;
}

function ingressIps(svc: ServiceObject): string[] {
  return (svc.status?.loadBalancer?.ingress ?? [])
    .map((i) => i.ip)
    .filter((ip): ip is string => ip !== undefined && ip !== "");
}

function ourCondition(svc: ServiceObject): Condition | undefined {
  return svc.status?.conditions?.find((c) => c.type === CONDITION_TYPE);
}

function wanted(svc: ServiceObject, outcome: Outcome): Wanted {
  const generation = svc.metadata.generation;
  if (outcome.kind === "assigned") {
    const ips = outcome.allocation.ips.map(formatIp);
    return {
      ingress: ips,
      annotations: {
        [ALLOCATED_IPS_ANNOTATION]: ips.join(","),
        [FROM_POOL_ANNOTATION]: outcome.allocation.pool,
      },
      condition: {
        type: CONDITION_TYPE,
        status: "True",
        reason: "IPAllocated",
        message: `Assigned IP ${JSON.stringify(ips)} from IPAddressPool "${outcome.allocation.pool}"`,
        observedGeneration: generation,
      },
    };
  }
  if (outcome.kind === "failed") {
    return {
      ingress: [],
      annotations: {},
      condition: {
        type: CONDITION_TYPE,
        status: "False",
        reason: failureReason(outcome.failure),
        message: `${outcome.failure.message} [${outcome.failure.code}]`,
        observedGeneration: generation,
      },
    };
  }
  return notOurs(svc);
}

/** Another class (or no longer a LoadBalancer): undo only what we wrote. */
function notOurs(svc: ServiceObject): Wanted {
  const annotated = annotatedIps(svc);
  const current = ingressIps(svc);
  const ours = annotated.length > 0 && JSON.stringify(annotated) === JSON.stringify(current);
  const touched = annotated.length > 0 || ourCondition(svc) !== undefined;
  const lb = svc.spec?.type === "LoadBalancer";
  return {
    ingress: ours ? [] : undefined,
    annotations: {},
    condition: !touched
      ? undefined
      : lb
        ? {
            type: CONDITION_TYPE,
            status: "False",
            reason: "NotOurs",
            message: `spec.loadBalancerClass is "${svc.spec?.loadBalancerClass ?? ""}", not handled by this MetalLB`,
            observedGeneration: svc.metadata.generation,
          }
        : null,
  };
}

function sameCondition(
  a: Condition | undefined,
  b: Omit<Condition, "lastTransitionTime">,
): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.observedGeneration === b.observedGeneration
  );
}

function conditionsAfter(
  svc: ServiceObject,
  condition: Wanted["condition"],
  now: string,
): Condition[] | undefined {
  if (condition === undefined) return undefined;
  const existing = ourCondition(svc);
  const others = (svc.status?.conditions ?? []).filter((c) => c.type !== CONDITION_TYPE);
  if (condition === null) return existing === undefined ? undefined : others;
  if (sameCondition(existing, condition)) return undefined;
  const since =
    existing !== undefined && existing.status === condition.status
      ? existing.lastTransitionTime
      : now;
  return [...others, { ...condition, lastTransitionTime: since }];
}

function annotationPatch(
  svc: ServiceObject,
  want: Record<string, string>,
): Record<string, string | null> | undefined {
  const have = svc.metadata.annotations ?? {};
  const patch: Record<string, string | null> = {};
  for (const key of [ALLOCATED_IPS_ANNOTATION, FROM_POOL_ANNOTATION]) {
    const value = want[key];
    if (value === undefined && Object.hasOwn(have, key)) patch[key] = null;
    if (value !== undefined && have[key] !== value) patch[key] = value;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

/**
 * The writes that make the Service say `outcome`: nothing when it already
 * does. `now` (RFC 3339) stamps a condition that changes status.
 */
export function publication(svc: ServiceObject, outcome: Outcome, now: string): Publication {
  const want = wanted(svc, outcome);
  const conditions = conditionsAfter(svc, want.condition, now);
  const annotations = annotationPatch(svc, want.annotations);
  return {
    status: statusPatch(svc, want.ingress, conditions),
    annotations: annotations === undefined ? undefined : { metadata: { annotations } },
    events:
      outcome.kind === "failed" && conditions !== undefined
        ? [failedEvent(svc, outcome.failure)]
        : [],
  };
}

function statusPatch(
  svc: ServiceObject,
  ingress: readonly string[] | undefined,
  conditions: Condition[] | undefined,
): { status: StatusPatch } | undefined {
  const current = ingressIps(svc);
  const ingressChanged =
    ingress !== undefined && JSON.stringify(current) !== JSON.stringify(ingress);
  if (!ingressChanged && conditions === undefined) return undefined;
  return {
    status: {
      loadBalancer: { ingress: (ingress ?? current).map((ip) => ({ ip })) },
      conditions: conditions ?? svc.status?.conditions ?? [],
    },
  };
}

function failedEvent(svc: ServiceObject, failure: AllocationFailure): ServiceEvent {
  const key = `${svc.metadata.namespace ?? ""}/${svc.metadata.name ?? ""}`;
  return {
    type: "Warning",
    reason: "AllocationFailed",
    message: `Failed to allocate IP for "${key}": ${failure.message}`,
  };
}

/** Processing order: Services holding IPs first (they re-register), then by creation. */
export function creationOrder(
  a: { held: boolean; created: number; key: string },
  b: { held: boolean; created: number; key: string },
): number {
  if (a.held !== b.held) return a.held ? -1 : 1;
  if (a.created !== b.created) return a.created - b.created;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
