import { describe, expect, it } from "vitest";
import { V1BETA2_FIELDS_ANNOTATION } from "../api/bgp-peer-conversion.ts";
import type { BGPPeerSpecV1beta2 } from "../api/bgp-peer.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import {
  asV1beta2Peer,
  checkAdmission,
  withObject,
  type AdmissionInput,
} from "./admission-check.ts";
import { EMPTY_CONFIG_SET, type ConfigSet } from "./config-set.ts";

const NS = "metallb-system";

function pool(
  name: string,
  addresses: string[],
  namespace = NS,
): KubeObject<{ addresses: string[] }> {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name, namespace },
    spec: { addresses },
  };
}

function peer(
  name: string,
  spec: Partial<BGPPeerSpecV1beta2> = {},
): KubeObject<BGPPeerSpecV1beta2> {
  return {
    apiVersion: "metallb.io/v1beta2",
    kind: "BGPPeer",
    metadata: { name, namespace: NS },
    spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", ...spec },
  };
}

const bfd = (name: string): KubeObject => ({
  apiVersion: "metallb.io/v1beta1",
  kind: "BFDProfile",
  metadata: { name, namespace: NS },
  spec: {},
});

function admit(input: Partial<AdmissionInput> & Pick<AdmissionInput, "operation">) {
  return checkAdmission({ existing: EMPTY_CONFIG_SET, metallbNamespace: NS, ...input });
}

const set = (partial: Partial<ConfigSet>): ConfigSet => ({ ...EMPTY_CONFIG_SET, ...partial });
const codes = (ps: readonly { code: string }[]) => ps.map((p) => p.code);

describe("checkAdmission: namespace", () => {
  it("CREATE outside the MetalLB namespace is denied, naming both namespaces", () => {
    const v = admit({ operation: "CREATE", object: pool("p", ["192.0.2.0/24"], "default") });
    expect(v.errors).toHaveLength(1);
    expect(v.errors[0]).toMatchObject({
      code: "WRONG_NAMESPACE",
      field: "metadata.namespace",
      object: { kind: "IPAddressPool", name: "p" },
    });
    expect(v.errors[0]?.message).toContain("resource must be created in metallb-system namespace");
    expect(v.errors[0]?.message).toContain('"default"');
  });

  it("CREATE with no namespace at all is denied too", () => {
    const p = pool("p", ["192.0.2.0/24"]);
    const v = admit({ operation: "CREATE", object: { ...p, metadata: { name: "p" } } });
    expect(codes(v.errors)).toEqual(["WRONG_NAMESPACE"]);
  });

  it("UPDATE does not re-check the namespace (as MetalLB)", () => {
    const p = pool("p", ["192.0.2.0/24"], "default");
    expect(admit({ operation: "UPDATE", object: p, oldObject: p })).toEqual({
      errors: [],
      warnings: [],
    });
  });

  it("status kinds are held to the namespace but to nothing else", () => {
    const status: KubeObject = {
      apiVersion: "metallb.io/v1beta1",
      kind: "ServiceL2Status",
      metadata: { name: "l2-x", namespace: "default" },
    };
    expect(codes(admit({ operation: "CREATE", object: status }).errors)).toEqual([
      "WRONG_NAMESPACE",
    ]);
    expect(
      admit({
        operation: "CREATE",
        object: { ...status, metadata: { name: "l2-x", namespace: NS } },
      }),
    ).toEqual({ errors: [], warnings: [] });
  });

  it("objects of other groups' kinds are always allowed", () => {
    const cm: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } };
    expect(admit({ operation: "CREATE", object: cm })).toEqual({ errors: [], warnings: [] });
  });
});

describe("checkAdmission: only problems of the subject", () => {
  const existing = set({
    pools: [pool("a", ["192.0.2.0/24"]), pool("b", ["192.0.2.128/25"])], // a and b already overlap
  });

  it("a pre-existing overlap between two other pools does not deny a third pool", () => {
    const v = admit({ operation: "CREATE", existing, object: pool("c", ["198.51.100.0/24"]) });
    expect(v).toEqual({ errors: [], warnings: [] });
  });

  it("a new pool that overlaps is denied, naming the other pool", () => {
    const v = admit({
      operation: "CREATE",
      existing,
      object: pool("c", ["192.0.2.100-192.0.2.200"]),
    });
    expect(codes(v.errors)).toEqual(["POOL_OVERLAP", "POOL_OVERLAP"]);
    for (const e of v.errors) expect(e.object.name).toBe("c");
    expect(v.errors.map((e) => e.related?.name).sort()).toEqual(["a", "b"]);
    expect(v.errors.some((e) => e.message.includes('IPAddressPool "a"'))).toBe(true);
    expect(v.errors.some((e) => e.message.includes("at 192.0.2.128-192.0.2.200"))).toBe(true);
  });

  it("also when the problem is reported on the other pool (the subject sorts first by name)", () => {
    const v = admit({
      operation: "CREATE",
      existing: set({ pools: [pool("b", ["198.51.100.0/24"])] }),
      object: pool("a", ["198.51.100.7/32"]),
    });
    expect(codes(v.errors)).toEqual(["POOL_OVERLAP"]);
    expect(v.errors[0]?.object.name).toBe("b");
    expect(v.errors[0]?.related?.name).toBe("a");
  });

  it("an UPDATE replaces the object of the same name instead of overlapping itself", () => {
    const current = pool("c", ["198.51.100.0/24"]);
    const v = admit({
      operation: "UPDATE",
      existing: set({ pools: [...existing.pools, current] }),
      object: pool("c", ["198.51.100.0/25"]),
      oldObject: current,
    });
    expect(v).toEqual({ errors: [], warnings: [] });
  });

  it("warnings of the subject are passed on, not denied", () => {
    const v = admit({ operation: "CREATE", existing, object: pool("c", ["198.51.100.77/24"]) });
    expect(v.errors).toEqual([]);
    expect(codes(v.warnings)).toEqual(["POOL_HOST_BITS"]);
  });

  it("a namespace error and rule errors are reported together", () => {
    const v = admit({ operation: "CREATE", existing, object: pool("c", ["192.0.2.1/32"], "x") });
    expect(codes(v.errors)).toEqual(["WRONG_NAMESPACE", "POOL_OVERLAP"]);
  });
});

describe("checkAdmission: DELETE", () => {
  const existing = set({
    peers: [peer("p1", { bfdProfile: "fast" }), peer("p2", { bfdProfile: "slow" })],
    bfdProfiles: [bfd("fast"), bfd("slow"), bfd("spare")] as ConfigSet["bfdProfiles"],
  });

  it("deleting a BFDProfile a peer uses is denied, naming the peer", () => {
    const v = admit({ operation: "DELETE", existing, oldObject: bfd("fast") });
    expect(v.errors).toHaveLength(1);
    expect(v.errors[0]).toMatchObject({
      code: "BFD_PROFILE_IN_USE",
      object: { kind: "BFDProfile", name: "fast" },
      related: { kind: "BGPPeer", name: "p1" },
    });
    expect(v.errors[0]?.message).toBe(
      'failed to delete BFDProfile "fast", used by BGPPeer "p1" (spec.bfdProfile)',
    );
  });

  it("one error per peer using it", () => {
    const v = admit({
      operation: "DELETE",
      existing: set({
        ...existing,
        peers: [...existing.peers, peer("p3", { bfdProfile: "fast" })],
      }),
      oldObject: bfd("fast"),
    });
    expect(v.errors.map((e) => e.related?.name)).toEqual(["p1", "p3"]);
  });

  it("deleting an unused BFDProfile, or anything else, is allowed", () => {
    expect(admit({ operation: "DELETE", existing, oldObject: bfd("spare") }).errors).toEqual([]);
    expect(
      admit({ operation: "DELETE", existing, oldObject: peer("p1", { bfdProfile: "fast" }) })
        .errors,
    ).toEqual([]);
    expect(
      admit({
        operation: "DELETE",
        existing: set({ pools: [pool("a", ["192.0.2.0/24"]), pool("b", ["192.0.2.0/24"])] }),
        oldObject: pool("a", ["192.0.2.0/24"]),
      }).errors,
    ).toEqual([]);
  });
});

describe("checkAdmission: BGPPeer v1beta1", () => {
  const v1 = (spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject => ({
    apiVersion: "metallb.io/v1beta1",
    kind: "BGPPeer",
    metadata:
      annotations === undefined
        ? { name: "old", namespace: NS }
        : { name: "old", namespace: NS, annotations },
    spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", ...spec },
  });

  it("is judged as its v1beta2 form (fields carried in the annotation count)", () => {
    const v = admit({
      operation: "CREATE",
      object: v1({}, { [V1BETA2_FIELDS_ANNOTATION]: JSON.stringify({ vrf: "red" }) }),
    });
    expect(v.errors).toEqual([]);
    expect(v.warnings.map((w) => [w.code, w.field])).toEqual([
      ["BGPPEER_UNSUPPORTED_FIELD", "spec.vrf"],
    ]);
  });

  it("its own fields are checked like v1beta2 ones", () => {
    const v = admit({ operation: "CREATE", object: v1({ routerID: "2001:db8::1" }) });
    expect(codes(v.errors)).toEqual(["BGPPEER_ROUTER_ID_NOT_IPV4"]);
  });

  it("against existing v1beta2 peers", () => {
    const v = admit({
      operation: "CREATE",
      existing: set({ peers: [peer("new")] }),
      object: v1({}),
    });
    expect(v.warnings.map((w) => [w.code, w.object.name, w.related?.name])).toEqual([
      ["BGPPEER_DUPLICATE_SESSION", "old", "new"],
    ]);
  });

  it("asV1beta2Peer converts v1beta1 and leaves v1beta2 alone", () => {
    const converted = asV1beta2Peer(
      v1({}, { [V1BETA2_FIELDS_ANNOTATION]: JSON.stringify({ connectTime: "5s" }), keep: "me" }),
    );
    expect(converted.apiVersion).toBe("metallb.io/v1beta2");
    expect(converted.spec?.connectTime).toBe("5s");
    expect(converted.metadata.annotations).toEqual({ keep: "me" });
    const p = peer("x");
    expect(asV1beta2Peer(p)).toBe(p);
  });
});

describe("withObject", () => {
  it("adds a new object and replaces its namesake, leaving the input set alone", () => {
    const a = pool("a", ["192.0.2.0/24"]);
    const b = pool("b", ["198.51.100.0/24"]);
    const base = set({ pools: [a, b] });
    const added = withObject(base, "IPAddressPool", pool("c", ["203.0.113.0/24"]));
    expect(added.pools.map((p) => p.metadata.name)).toEqual(["a", "b", "c"]);
    const a2 = pool("a", ["203.0.113.0/25"]);
    const replaced = withObject(base, "IPAddressPool", a2);
    expect(replaced.pools).toHaveLength(2);
    expect(replaced.pools).toContain(a2);
    expect(replaced.pools).not.toContain(a);
    expect(base.pools).toEqual([a, b]);
  });
});
