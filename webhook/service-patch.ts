// The JSON Patch (RFC 6902) our mutating webhook returns for a Service: only
// annotations change. A "/" in a key is "~1" in a JSON Pointer (RFC 6901 §3).
import type { Allocation } from "../core/allocator/allocation-types.ts";
import {
  ALLOCATED_IPS_ANNOTATION,
  ANNOTATION,
  STABLE_PREFIX,
} from "../core/allocator/service-request.ts";
import { formatIp } from "../core/net/ip-address-text.ts";

export type PatchOperation =
  { op: "add"; path: string; value: unknown } | { op: "remove"; path: string };

const FROM_POOL = `${STABLE_PREFIX}${ANNOTATION.allocatedFromPool}`;

function pointer(key: string): string {
  return `/metadata/annotations/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

/** The annotations that say what a Service was assigned (empty when nothing). */
export function allocationAnnotations(allocation: Allocation | undefined): Record<string, string> {
  if (allocation === undefined) return {};
  return {
    [ALLOCATED_IPS_ANNOTATION]: allocation.ips.map(formatIp).join(","),
    [FROM_POOL]: allocation.pool,
  };
}

/** Operations turning `current` annotations into ones that record `allocation`. */
export function annotationPatch(
  current: Record<string, string> | undefined,
  allocation: Allocation | undefined,
): PatchOperation[] {
  const wanted = allocationAnnotations(allocation);
  if (current === undefined) {
    return Object.keys(wanted).length > 0
      ? [{ op: "add", path: "/metadata/annotations", value: wanted }]
      : [];
  }
  const ops: PatchOperation[] = [];
  for (const [key, value] of Object.entries(wanted)) {
    if (current[key] !== value) ops.push({ op: "add", path: pointer(key), value });
  }
  for (const key of [ALLOCATED_IPS_ANNOTATION, FROM_POOL]) {
    if (Object.hasOwn(current, key) && !Object.hasOwn(wanted, key)) {
      ops.push({ op: "remove", path: pointer(key) });
    }
  }
  return ops;
}
