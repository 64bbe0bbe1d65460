// Reads a Service the way MetalLB does (metallb-reference.md §2.1–§2.2): is
// it ours, which IPs does it request, which pool, which families, how may it
// share. Pure: a plain object in, a ServiceRequest or the reasons out.
import { parseIp, type IpAddress, type IpFamily } from "../net/ip-address-text.ts";
import type {
  AllocationFailure,
  FamilyPolicy,
  Protocol,
  ServicePort,
  ServiceRequest,
} from "./allocation-types.ts";

/** The fields of a core/v1 Service we read. */
export interface ServiceLike {
  metadata: {
    name?: string | undefined;
    namespace?: string | undefined;
    uid?: string | undefined;
    labels?: Record<string, string> | undefined;
    annotations?: Record<string, string> | undefined;
  };
  spec?:
    | {
        type?: string | undefined;
        loadBalancerClass?: string | undefined;
        loadBalancerIP?: string | undefined;
        clusterIP?: string | undefined;
        clusterIPs?: string[] | undefined;
        ipFamilies?: string[] | undefined;
        ipFamilyPolicy?: string | undefined;
        externalTrafficPolicy?: string | undefined;
        selector?: Record<string, string> | undefined;
        ports?: { protocol?: string | undefined; port: number }[] | undefined;
      }
    | undefined;
  status?:
    | { loadBalancer?: { ingress?: { ip?: string | undefined }[] | undefined } | undefined }
    | undefined;
}

export const ANNOTATION = {
  addressPool: "address-pool",
  loadBalancerIPs: "loadBalancerIPs",
  allowSharedIP: "allow-shared-ip",
  allocatedFromPool: "ip-allocated-from-pool",
} as const;

export const STABLE_PREFIX = "metallb.io/";
/** Still read; the stable key wins whenever it is present, even empty (§2.1). */
export const DEPRECATED_PREFIX = "metallb.universe.tf/";

/** Where metallb-ts records the IPs it assigned (MetalLB keeps them only in status). */
export const ALLOCATED_IPS_ANNOTATION = "metallb.io/allocated-ips";

export interface AnnotationValue {
  readonly key: string;
  readonly value: string;
  readonly deprecated: boolean;
}

export function readAnnotation(
  annotations: Record<string, string> | undefined,
  suffix: string,
): AnnotationValue | undefined {
  const stable = `${STABLE_PREFIX}${suffix}`;
  const old = `${DEPRECATED_PREFIX}${suffix}`;
  const a = annotations ?? {};
  if (Object.hasOwn(a, stable)) return { key: stable, value: a[stable] ?? "", deprecated: false };
  if (Object.hasOwn(a, old)) return { key: old, value: a[old] ?? "", deprecated: true };
  return undefined;
}

/** Only LoadBalancer Services of our class (none, or --lb-class) are ours (§0). */
export function isOurs(svc: ServiceLike, lbClass: string | undefined): boolean {
  return svc.spec?.type === "LoadBalancer" && svc.spec.loadBalancerClass === lbClass;
}

function hardFailure(code: AllocationFailure["code"], message: string): AllocationFailure {
  return { code, hard: true, message };
}

/** Where the requested IPs come from: the annotation (stable or legacy key) or the spec field. */
function requestedSource(svc: ServiceLike): { field: string; text: string } | AllocationFailure {
  const annotation = readAnnotation(svc.metadata.annotations, ANNOTATION.loadBalancerIPs);
  const specIP = svc.spec?.loadBalancerIP ?? "";
  if (annotation === undefined) return { field: "spec.loadBalancerIP", text: specIP };
  if (specIP !== "") {
    return hardFailure(
      "REQUESTED_IP_CONFLICTING_FORMS",
      `service can not have both ${annotation.key} and spec.loadBalancerIP`,
    );
  }
  return { field: annotation.key, text: annotation.value };
}

function parseRequestedIPs(svc: ServiceLike): IpAddress[] | AllocationFailure {
  const source = requestedSource(svc);
  if (!("field" in source)) return source;
  const texts = source.text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  const ips: IpAddress[] = [];
  for (const text of texts) {
    const ip = parseIp(text);
    if (ip === undefined) {
      return hardFailure(
        "REQUESTED_IP_INVALID",
        `invalid ${source.field}: "${text}" is not an IP address`,
      );
    }
    ips.push(ip);
  }
  if (ips.length > 2 || (ips.length === 2 && ips[0]?.family === ips[1]?.family)) {
    return hardFailure(
      "REQUESTED_IP_FAMILY_MISMATCH",
      `invalid ${source.field}: "${texts.join(",")}" must be one address, or one IPv4 and one IPv6`,
    );
  }
  return ips;
}

const FAMILIES: readonly IpFamily[] = ["IPv4", "IPv6"];
const POLICIES: readonly FamilyPolicy[] = ["SingleStack", "PreferDualStack", "RequireDualStack"];

/**
 * The Service's families. At CREATE admission the API server has not yet
 * defaulted clusterIPs/ipFamilies (that happens in the Service registry, after
 * admission), so unset fields are filled as it will fill them, from the
 * cluster's service CIDR families (primary first).
 */
export function serviceFamilies(
  spec: NonNullable<ServiceLike["spec"]>,
  clusterFamilies: readonly IpFamily[],
): { families: IpFamily[]; policy: FamilyPolicy } {
  const policy = POLICIES.find((p) => p === spec.ipFamilyPolicy) ?? "SingleStack";
  const declared = (spec.ipFamilies ?? []).filter((f): f is IpFamily =>
    FAMILIES.includes(f as IpFamily),
  );
  const fromClusterIPs = (spec.clusterIPs ?? [])
    .map((t) => parseIp(t)?.family)
    .filter((f): f is IpFamily => f !== undefined);
  const known = declared.length > 0 ? declared : fromClusterIPs;
  const base = known.length > 0 ? known : [...clusterFamilies];
  const families = policy === "SingleStack" ? base.slice(0, 1) : base.slice(0, 2);
  return { families, policy };
}

/** "a=1,b=2": the selector in sorted order, MetalLB's backend key under ETP Local (§2.2). */
export function backendKey(spec: NonNullable<ServiceLike["spec"]>): string {
  if (spec.externalTrafficPolicy !== "Local") return "";
  return Object.entries(spec.selector ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

function ports(spec: NonNullable<ServiceLike["spec"]>): ServicePort[] {
  return (spec.ports ?? []).map((p) => ({
    protocol: (p.protocol ?? "TCP") as Protocol,
    port: p.port,
  }));
}

export interface ReadServiceOptions {
  readonly clusterFamilies: readonly IpFamily[];
}

/** The allocator's view of a Service, or why it can never get an IP as written. */
export function readService(
  svc: ServiceLike,
  options: ReadServiceOptions,
): { ok: true; request: ServiceRequest } | { ok: false; failure: AllocationFailure } {
  const spec = svc.spec ?? {};
  const requested = parseRequestedIPs(svc);
  if (!Array.isArray(requested)) return { ok: false, failure: requested };
  const { families, policy } = serviceFamilies(spec, options.clusterFamilies);
  const namespace = svc.metadata.namespace ?? "";
  const annotations = svc.metadata.annotations;
  const sharing = readAnnotation(annotations, ANNOTATION.allowSharedIP);
  return {
    ok: true,
    request: {
      key: `${namespace}/${svc.metadata.name ?? ""}`,
      namespace,
      uid: svc.metadata.uid,
      labels: svc.metadata.labels ?? {},
      families,
      familyPolicy: policy,
      requestedIPs: requested,
      requestedIPsField:
        readAnnotation(annotations, ANNOTATION.loadBalancerIPs)?.key ?? "spec.loadBalancerIP",
      pool: readAnnotation(annotations, ANNOTATION.addressPool)?.value,
      sharingKey: sharing?.value,
      backendKey: backendKey(spec),
      ports: ports(spec),
    },
  };
}

/** Deprecated annotation keys the Service uses (MetalLB emits an event per key). */
export function deprecatedAnnotations(svc: ServiceLike): string[] {
  return Object.values(ANNOTATION)
    .map((suffix) => readAnnotation(svc.metadata.annotations, suffix))
    .filter((a): a is AnnotationValue => a?.deprecated === true)
    .map((a) => a.key);
}

/**
 * A Service that came from MetalLB (or any earlier owner) holds IPs only in
 * `status.loadBalancer.ingress`: no allocated-ips annotation, no request of
 * its own. Asking for exactly those IPs keeps them across the switch (a
 * MetalLB user moves without an IP changing); the callers fall back to the
 * plain request when the old IPs are not allowed any more.
 */
export function adoptionRequest(
  svc: ServiceLike,
  request: ServiceRequest,
): ServiceRequest | undefined {
  if (request.requestedIPs.length > 0) return undefined;
  if ((svc.metadata.annotations?.[ALLOCATED_IPS_ANNOTATION] ?? "") !== "") return undefined;
  const ips = (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => {
    const ip = parseIp(i.ip ?? "");
    return ip === undefined ? [] : [ip];
  });
  if (ips.length === 0) return undefined;
  return { ...request, requestedIPs: ips, requestedIPsField: "status.loadBalancer.ingress" };
}
