// Whether a Service may use an address others already use (metallb-reference
// §2.8, MetalLB's `checkSharing`): every user needs the same non-empty
// sharing key and the same backend key, and no (protocol, port) may be used
// twice on the address. The Service's own use never conflicts with itself.
import { formatIp, type IpAddress } from "../net/ip-address-text.ts";
import type { AllocationFailure, Holder, SharingIdentity } from "./allocation-types.ts";
import { ANNOTATION_ALLOW_SHARED_IP, failure } from "./failures.ts";

export interface SharingCheck {
  readonly ip: IpAddress;
  /** The users of the address other than the Service itself. */
  readonly others: readonly Holder[];
  /** Another writer claimed the address and we have not seen for whom. */
  readonly taken: boolean;
  readonly service: SharingIdentity;
  /** Where the address came from, for messages: an annotation or status field. */
  readonly ipField: string;
}

function keyProblem(check: SharingCheck, other: Holder): AllocationFailure | undefined {
  const ip = formatIp(check.ip);
  const mine = check.service.sharingKey ?? "";
  const theirs = other.sharingKey ?? "";
  if (mine === "" || theirs === "") {
    return failure(
      "REQUESTED_IP_IN_USE",
      `${check.ipField}: ${ip} is already used by Service "${other.serviceKey}"; to share it, both Services need the same ${ANNOTATION_ALLOW_SHARED_IP}`,
    );
  }
  if (mine !== theirs) {
    return failure(
      "SHARING_KEY_MISMATCH",
      `${ANNOTATION_ALLOW_SHARED_IP}: "${mine}" does not match "${theirs}" of Service "${other.serviceKey}", which uses ${ip}`,
    );
  }
  if (check.service.backendKey !== other.backendKey) {
    return failure(
      "SHARING_KEY_MISMATCH",
      `${ANNOTATION_ALLOW_SHARED_IP}: Service "${other.serviceKey}" shares ${ip} under "${theirs}" with a different backend (externalTrafficPolicy Local needs the same spec.selector on both, Cluster on both otherwise)`,
    );
  }
  return undefined;
}

function portProblem(check: SharingCheck, other: Holder): AllocationFailure | undefined {
  for (const mine of check.service.ports) {
    const clash = other.ports.some((p) => p.protocol === mine.protocol && p.port === mine.port);
    if (clash) {
      return failure(
        "PORT_CONFLICT",
        `spec.ports: port ${mine.protocol}/${mine.port} is already in use on ${formatIp(check.ip)} by Service "${other.serviceKey}"`,
      );
    }
  }
  return undefined;
}

/** Why the Service may not use the address, or undefined when it may. */
export function sharingProblem(check: SharingCheck): AllocationFailure | undefined {
  if (check.taken) {
    return failure(
      "REQUESTED_IP_IN_USE",
      `${check.ipField}: ${formatIp(check.ip)} is already claimed by another Service`,
    );
  }
  // Keys first, then ports: the order of MetalLB's checkSharing.
  for (const other of check.others) {
    const problem = keyProblem(check, other);
    if (problem !== undefined) return problem;
  }
  for (const other of check.others) {
    const problem = portProblem(check, other);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
