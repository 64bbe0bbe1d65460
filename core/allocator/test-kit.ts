// Builders shared by the allocator's unit tests: pools from address text,
// Service requests with defaults, and "allocate then hold" as the webhook
// and reconciler will do it.
import { expect } from "vitest";
import { formatIp, parseIp, type IpAddress } from "../net/ip-address-text.ts";
import { parseAddressBlock, type AddressBlock } from "../net/ip-blocks.ts";
import type {
  Allocation,
  AllocationFailure,
  AllocationResult,
  PoolDefinition,
  ServiceRequest,
} from "./allocation-types.ts";
import type { Allocator } from "./allocator.ts";

export function ip(text: string): IpAddress {
  const parsed = parseIp(text);
  if (parsed === undefined) throw new Error(`bad IP in test: ${text}`);
  return parsed;
}

function block(text: string): AddressBlock {
  const parsed = parseAddressBlock(text);
  if (!parsed.ok) throw new Error(`bad block in test: ${text}`);
  return parsed.block;
}

export interface PoolOptions {
  readonly autoAssign?: boolean;
  readonly avoidBuggyIPs?: boolean;
  readonly serviceAllocation?: PoolDefinition["serviceAllocation"];
}

export function pool(name: string, addresses: string[], options: PoolOptions = {}): PoolDefinition {
  const base = {
    name,
    blocks: addresses.map(block),
    autoAssign: options.autoAssign ?? true,
    avoidBuggyIPs: options.avoidBuggyIPs ?? false,
    labels: {},
  };
  return options.serviceAllocation === undefined
    ? base
    : { ...base, serviceAllocation: options.serviceAllocation };
}

/** serviceAllocation pinned to namespaces, with a priority. */
export function pinnedTo(namespaces: string[], priority = 0): PoolDefinition["serviceAllocation"] {
  return {
    priority,
    namespaces: new Set(namespaces),
    restrictsNamespaces: true,
    serviceSelectors: [],
  };
}

/** A TCP/80 single-stack IPv4 Service; key "ns/name". */
export function svc(key: string, overrides: Partial<ServiceRequest> = {}): ServiceRequest {
  const [namespace = ""] = key.split("/");
  return {
    key,
    namespace,
    labels: {},
    families: ["IPv4"],
    familyPolicy: "SingleStack",
    requestedIPs: [],
    backendKey: "",
    ports: [{ protocol: "TCP", port: 80 }],
    ...overrides,
  };
}

export function texts(ips: readonly IpAddress[]): string[] {
  return ips.map(formatIp);
}

export function expectOk(result: AllocationResult): Allocation {
  if (!result.ok) throw new Error(`expected an allocation, got ${JSON.stringify(result.failure)}`);
  return result.allocation;
}

export function expectFailure(result: AllocationResult): AllocationFailure {
  if (result.ok) {
    throw new Error(`expected a failure, got ${texts(result.allocation.ips).join(",")}`);
  }
  return result.failure;
}

/** Allocates and holds what was allocated, as the claim writer would; returns the IPs as text. */
export function give(allocator: Allocator, req: ServiceRequest): string[] {
  const allocation = expectOk(allocator.allocate(req));
  for (const address of allocation.ips) {
    allocator.hold(address, allocation.pool, {
      serviceKey: req.key,
      sharingKey: req.sharingKey,
      backendKey: req.backendKey,
      ports: req.ports,
    });
  }
  return texts(allocation.ips);
}

/** The pool and IPs allocate() would give, as text. */
export function decision(allocator: Allocator, req: ServiceRequest): [string, string[]] {
  const allocation = expectOk(allocator.allocate(req));
  return [allocation.pool, texts(allocation.ips)];
}

export function expectCode(
  result: AllocationResult,
  code: AllocationFailure["code"],
  hard: boolean,
): string {
  const failure = expectFailure(result);
  expect(failure.code).toBe(code);
  expect(failure.hard).toBe(hard);
  return failure.message;
}
