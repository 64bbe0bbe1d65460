import { describe, expect, it } from "vitest";
import { Allocator } from "../core/allocator/allocator.ts";
import type { Allocation } from "../core/allocator/allocation-types.ts";
import { ip, pool } from "../core/allocator/test-kit.ts";
import {
  CONDITION_TYPE,
  creationOrder,
  failureReason,
  plan,
  publication,
  type HeldClaim,
  type PlanInput,
  type ServiceObject,
} from "./decide.ts";

const NOW = "2026-11-21T12:00:00Z";

function service(name: string, extra: Partial<ServiceObject> = {}): ServiceObject {
  return {
    metadata: { name, namespace: "ns", uid: `uid-${name}`, annotations: {}, ...extra.metadata },
    spec: { type: "LoadBalancer", ports: [{ port: 80 }], ipFamilies: ["IPv4"], ...extra.spec },
    ...(extra.status === undefined ? {} : { status: extra.status }),
  };
}

function input(
  allocator: Allocator,
  svc: ServiceObject | undefined,
  held: HeldClaim[] = [],
): PlanInput {
  return {
    key: "ns/a",
    service: svc,
    lbClass: undefined,
    clusterFamilies: ["IPv4"],
    current: allocator.current("ns/a"),
    held,
    allocate: (r) => allocator.allocate(r),
  };
}

function holding(): { allocator: Allocator; allocation: Allocation } {
  const allocator = new Allocator([pool("web", ["192.0.2.0/30"])]);
  allocator.hold(ip("192.0.2.1"), "web", {
    serviceKey: "ns/a",
    backendKey: "",
    ports: [{ protocol: "TCP", port: 80 }],
  });
  return { allocator, allocation: { pool: "web", ips: [ip("192.0.2.1")] } };
}

const claim1 = (uid?: string): HeldClaim => ({ claimName: "ipv4-192.0.2.1", ip: "192.0.2.1", uid });

describe("plan", () => {
  it("assigns a Service of ours that holds nothing", () => {
    const allocator = new Allocator([pool("web", ["192.0.2.0/30"])]);
    const p = plan(input(allocator, service("a")));
    expect(p.assign?.key).toBe("ns/a");
    expect(p.outcome).toBeUndefined();
    expect(p.events).toEqual([]);
  });

  it("keeps a still-valid holding and stamps the Service's UID on its claim", () => {
    const { allocator, allocation } = holding();
    const p = plan(input(allocator, service("a"), [claim1()]));
    expect(p.assign).toBeUndefined();
    expect(p.setUid).toEqual(["ipv4-192.0.2.1"]);
    expect(p.outcome).toEqual({ kind: "assigned", allocation });
  });

  it("does nothing to the claim the second time (UID already set)", () => {
    const { allocator } = holding();
    const p = plan(input(allocator, service("a"), [claim1("uid-a")]));
    expect(p.setUid).toEqual([]);
    expect(p.release).toEqual([]);
  });

  it("releases claims of a deleted Service only when their UID was recorded", () => {
    const { allocator } = holding();
    expect(plan(input(allocator, undefined, [claim1("uid-a")])).release).toEqual([
      "ipv4-192.0.2.1",
    ]);
    expect(plan(input(allocator, undefined, [claim1()])).release).toEqual([]);
  });

  it("releases when the Service is no longer a LoadBalancer or has another class", () => {
    const { allocator } = holding();
    const cluster = service("a", { spec: { type: "ClusterIP" } });
    expect(plan(input(allocator, cluster, [claim1("uid-a")])).release).toEqual(["ipv4-192.0.2.1"]);
    const other = service("a", { spec: { type: "LoadBalancer", loadBalancerClass: "other" } });
    const p = plan(input(allocator, other, [claim1("uid-a")]));
    expect(p.release).toEqual(["ipv4-192.0.2.1"]);
    expect(p.outcome).toEqual({ kind: "notOurs" });
  });

  it("releases a claim stamped with an earlier Service's UID and plans again", () => {
    const { allocator } = holding();
    const p = plan(input(allocator, service("a"), [claim1("uid-old")]));
    expect(p.release).toEqual(["ipv4-192.0.2.1"]);
    expect(p.again).toBe(true);
  });

  it("reassigns with a ClearAssignment event when the IP left every pool", () => {
    const { allocator } = holding();
    allocator.setPools([pool("web", ["198.51.100.0/30"])]);
    const p = plan(input(allocator, service("a"), [claim1("uid-a")]));
    expect(p.assign?.key).toBe("ns/a");
    expect(p.events[0]?.reason).toBe("ClearAssignment");
  });

  it("adopts the IPs a Service from MetalLB holds in status (no annotation, no claim)", () => {
    const allocator = new Allocator([pool("web", ["192.0.2.0/30"])]);
    const migrated = service("a", {
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.3" }] } },
    });
    const p = plan(input(allocator, migrated));
    expect(p.assign?.requestedIPs).toEqual([ip("192.0.2.3")]);
    expect(p.assign?.requestedIPsField).toBe("status.loadBalancer.ingress");
  });

  it("does not adopt a status IP outside every pool, or over an annotation", () => {
    const allocator = new Allocator([pool("web", ["192.0.2.0/30"])]);
    const outside = service("a", {
      status: { loadBalancer: { ingress: [{ ip: "198.51.100.7" }] } },
    });
    expect(plan(input(allocator, outside)).assign?.requestedIPs).toEqual([]);
    const annotated = service("a", {
      metadata: { name: "a", annotations: { "metallb.io/allocated-ips": "192.0.2.1" } },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.3" }] } },
    });
    expect(plan(input(allocator, annotated)).assign?.requestedIPs).toEqual([]);
  });

  it("reports a pool with nothing free as PoolExhausted", () => {
    const allocator = new Allocator([pool("web", ["192.0.2.1/32"])]);
    allocator.hold(ip("192.0.2.1"), "web", { serviceKey: "ns/b", backendKey: "", ports: [] });
    const p = plan(input(allocator, service("a")));
    expect(p.outcome?.kind).toBe("failed");
    if (p.outcome?.kind === "failed")
      expect(failureReason(p.outcome.failure)).toBe("PoolExhausted");
  });
});

describe("publication", () => {
  const allocation: Allocation = { pool: "web", ips: [ip("192.0.2.1")] };

  it("writes ingress, annotations and a True condition for a new assignment", () => {
    const pub = publication(service("a"), { kind: "assigned", allocation }, NOW);
    expect(pub.status?.status.loadBalancer.ingress).toEqual([{ ip: "192.0.2.1" }]);
    expect(pub.status?.status.conditions[0]).toMatchObject({
      type: CONDITION_TYPE,
      status: "True",
      reason: "IPAllocated",
      lastTransitionTime: NOW,
    });
    expect(pub.annotations?.metadata.annotations).toEqual({
      "metallb.io/allocated-ips": "192.0.2.1",
      "metallb.io/ip-allocated-from-pool": "web",
    });
  });

  it("writes nothing when the Service already says it (idempotent)", () => {
    const first = publication(service("a"), { kind: "assigned", allocation }, NOW);
    const svc = service("a", {
      metadata: {
        name: "a",
        namespace: "ns",
        uid: "uid-a",
        annotations: first.annotations?.metadata.annotations as Record<string, string>,
      },
      status: first.status?.status,
    });
    const second = publication(svc, { kind: "assigned", allocation }, "2030-01-01T00:00:00Z");
    expect(second).toEqual({ status: undefined, annotations: undefined, events: [] });
  });

  it("puts back hand-edited ingress and keeps other controllers' conditions", () => {
    const first = publication(service("a"), { kind: "assigned", allocation }, NOW);
    const foreign = {
      type: "other.io/Ready",
      status: "True" as const,
      reason: "X",
      message: "",
      lastTransitionTime: NOW,
    };
    const edited = service("a", {
      metadata: {
        name: "a",
        namespace: "ns",
        uid: "uid-a",
        annotations: first.annotations?.metadata.annotations as Record<string, string>,
      },
      status: {
        loadBalancer: { ingress: [{ ip: "10.0.0.9" }] },
        conditions: [foreign, ...(first.status?.status.conditions ?? [])],
      },
    });
    const pub = publication(edited, { kind: "assigned", allocation }, NOW);
    expect(pub.status?.status.loadBalancer.ingress).toEqual([{ ip: "192.0.2.1" }]);
    expect(pub.status?.status.conditions.map((c) => c.type)).toEqual([
      "other.io/Ready",
      CONDITION_TYPE,
    ]);
    expect(pub.annotations).toBeUndefined();
  });

  it("says why there is no IP, with one AllocationFailed event per change", () => {
    const failure = { code: "NO_AVAILABLE_IPS" as const, hard: false, message: "no available IPs" };
    const pub = publication(service("a"), { kind: "failed", failure }, NOW);
    expect(pub.status?.status.conditions[0]).toMatchObject({
      status: "False",
      reason: "PoolExhausted",
    });
    expect(pub.events.map((e) => e.reason)).toEqual(["AllocationFailed"]);
    const again = publication(
      service("a", { status: pub.status?.status }),
      { kind: "failed", failure },
      NOW,
    );
    expect(again.events).toEqual([]);
    expect(again.status).toBeUndefined();
  });

  it("undoes what we wrote on a Service that is no longer ours", () => {
    const svc = service("a", {
      metadata: {
        name: "a",
        namespace: "ns",
        annotations: {
          "metallb.io/allocated-ips": "192.0.2.1",
          "metallb.io/ip-allocated-from-pool": "web",
        },
      },
      spec: { type: "LoadBalancer", loadBalancerClass: "other" },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } },
    });
    const pub = publication(svc, { kind: "notOurs" }, NOW);
    expect(pub.status?.status.loadBalancer.ingress).toEqual([]);
    expect(pub.status?.status.conditions[0]?.reason).toBe("NotOurs");
    expect(pub.annotations?.metadata.annotations).toEqual({
      "metallb.io/allocated-ips": null,
      "metallb.io/ip-allocated-from-pool": null,
    });
  });

  it("leaves a Service of another class that we never touched alone", () => {
    const svc = service("a", {
      spec: { type: "LoadBalancer", loadBalancerClass: "other" },
      status: { loadBalancer: { ingress: [{ ip: "10.1.1.1" }] } },
    });
    expect(publication(svc, { kind: "notOurs" }, NOW)).toEqual({
      status: undefined,
      annotations: undefined,
      events: [],
    });
  });
});

describe("creationOrder", () => {
  it("puts holders first, then the oldest pending Service", () => {
    const keys = [
      { held: false, created: 3, key: "c" },
      { held: true, created: 9, key: "h" },
      { held: false, created: 1, key: "a" },
    ];
    expect(keys.sort(creationOrder).map((k) => k.key)).toEqual(["h", "a", "c"]);
  });
});
