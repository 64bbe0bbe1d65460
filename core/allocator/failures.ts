// Allocation failures: a stable code, whether the Service can never get an IP
// as written (hard: the webhook rejects it) or might once pools or other
// Services change (soft: admitted with a warning, retried), and a message
// naming the field, the value and what it conflicts with.
import { formatIp, type IpAddress } from "../net/ip-address-text.ts";
import type {
  AllocationFailure,
  AllocationFailureCode,
  AllocationResult,
  Allocation,
} from "./allocation-types.ts";

export const ANNOTATION_ADDRESS_POOL = "metallb.io/address-pool";
export const ANNOTATION_LOAD_BALANCER_IPS = "metallb.io/loadBalancerIPs";
export const ANNOTATION_ALLOW_SHARED_IP = "metallb.io/allow-shared-ip";

/**
 * Hard failures are refused at admission (issue 3): what the Service asks for
 * cannot be honoured as the configuration stands, and the user should hear it
 * from kubectl, not from an event later. Only "nothing free" (and "no pools at
 * all") is soft: it resolves by itself when an IP is released, so the Service
 * is admitted with a warning and the reconciler assigns it in creation order.
 * MetalLB leaves all of these pending instead (§2.5 step 7, §2.7); see
 * docs/differences-from-metallb.md.
 */
const SOFT: ReadonlySet<AllocationFailureCode> = new Set<AllocationFailureCode>([
  "NO_POOLS",
  "NO_AVAILABLE_IPS",
]);

export function failure(code: AllocationFailureCode, message: string): AllocationFailure {
  return { code, hard: !SOFT.has(code), message };
}

export function failed(code: AllocationFailureCode, message: string): AllocationResult {
  return { ok: false, failure: failure(code, message) };
}

export function succeeded(allocation: Allocation): AllocationResult {
  return { ok: true, allocation };
}

/** `192.0.2.1,2001:db8::1`: how the annotation writes a list. */
export function ipList(ips: readonly IpAddress[]): string {
  return ips.map(formatIp).join(",");
}

/** `"a", "b"` */
export function quotedList(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}
