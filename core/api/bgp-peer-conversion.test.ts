import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { convertBGPPeer, V1BETA2_FIELDS_ANNOTATION } from "./bgp-peer-conversion.ts";
import type { KubeObject, ObjectMeta } from "./schema-building-blocks.ts";

type PeerObject = KubeObject<Record<string, unknown>>;

// Fields only v1beta2 has, written out here (metallb-reference.md §1.4).
const V1BETA2_ONLY = [
  "dynamicASN",
  "localASN",
  "interface",
  "connectTime",
  "passwordSecret",
  "enableGracefulRestart",
  "vrf",
  "disableMP",
  "dualStackAddressFamily",
];

const asn = fc.integer({ min: 0, max: 4294967295 });
const duration = fc.oneof(
  fc.constantFrom("0s", "90s", "1m30s", "3s", "500ms"),
  fc.string({ maxLength: 8 }),
);
const text = fc.string({ maxLength: 12 });
const labelMap = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), text, {
  maxKeys: 3,
  noNullPrototype: true,
});
const selector = fc.record(
  {
    matchLabels: labelMap,
    matchExpressions: fc.array(
      fc.record(
        {
          key: text,
          operator: fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist"),
          values: fc.array(text, { maxLength: 3 }),
        },
        { requiredKeys: ["key", "operator"], noNullPrototype: true },
      ),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [], noNullPrototype: true },
);

const sharedSpec = {
  myASN: asn,
  peerASN: asn,
  peerAddress: text,
  sourceAddress: text,
  holdTime: duration,
  keepaliveTime: duration,
  routerID: text,
  password: text,
  bfdProfile: text,
  ebgpMultiHop: fc.boolean(),
  peerPort: fc.integer({ min: 0, max: 16384 }),
};

const v1beta2Spec = fc.record(
  {
    ...sharedSpec,
    nodeSelectors: fc.array(selector, { maxLength: 2 }),
    dynamicASN: fc.constantFrom("internal", "external"),
    localASN: asn,
    interface: text,
    connectTime: duration,
    passwordSecret: fc.record(
      { name: text, namespace: text },
      { requiredKeys: [], noNullPrototype: true },
    ),
    enableGracefulRestart: fc.boolean(),
    vrf: text,
    disableMP: fc.boolean(),
    dualStackAddressFamily: fc.boolean(),
  },
  { requiredKeys: ["myASN"], noNullPrototype: true },
);

const v1beta1Spec = fc.record(
  {
    ...sharedSpec,
    nodeSelectors: fc.array(selector, { maxLength: 2 }),
  },
  { requiredKeys: ["myASN", "peerASN", "peerAddress"], noNullPrototype: true },
);

/**
 * Annotations a user might set; the conversion's own key is reserved. At least
 * one: the API server never sends an empty map (Go's omitempty), and the
 * conversion may drop one.
 */
const userAnnotations = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 20 }).filter((k) => k !== V1BETA2_FIELDS_ANNOTATION),
  text,
  { minKeys: 1, maxKeys: 3, noNullPrototype: true },
);

const metadata = fc
  .record(
    {
      name: fc.string({ minLength: 1, maxLength: 10 }),
      namespace: fc.constant("metallb-system"),
      resourceVersion: fc.nat().map(String),
      labels: labelMap,
      annotations: userAnnotations,
    },
    { requiredKeys: ["name"], noNullPrototype: true },
  )
  .map((m): ObjectMeta => m);

const peer = (apiVersion: string, specArb: fc.Arbitrary<Record<string, unknown>>) =>
  fc
    .tuple(metadata, specArb)
    .map(([m, spec]): PeerObject => ({ apiVersion, kind: "BGPPeer", metadata: m, spec }));

const v2Peer = peer("metallb.io/v1beta2", v1beta2Spec);
const v1Peer = peer("metallb.io/v1beta1", v1beta1Spec);

function carried(obj: PeerObject): unknown {
  const a = obj.metadata.annotations?.[V1BETA2_FIELDS_ANNOTATION];
  return a === undefined ? undefined : JSON.parse(a);
}

describe("BGPPeer conversion", () => {
  it("v1beta2 → v1beta1 → v1beta2 loses nothing", () => {
    fc.assert(
      fc.property(v2Peer, (original) => {
        const snapshot = structuredClone(original);
        const down = convertBGPPeer(original, "metallb.io/v1beta1");
        const up = convertBGPPeer(down, "metallb.io/v1beta2");
        expect(up).toStrictEqual(original);
        expect(original).toStrictEqual(snapshot); // the input is not mutated
      }),
      { numRuns: 500 },
    );
  });

  it("the v1beta1 form has only v1beta1 fields, and carries the rest in the annotation", () => {
    fc.assert(
      fc.property(v2Peer, (original) => {
        const down = convertBGPPeer(original, "metallb.io/v1beta1");
        expect(down.apiVersion).toBe("metallb.io/v1beta1");
        expect(down.kind).toBe("BGPPeer");
        const spec = down.spec ?? {};
        const originalSpec = original.spec ?? {};
        for (const field of V1BETA2_ONLY) expect(spec).not.toHaveProperty(field);
        for (const [k, v] of Object.entries(originalSpec)) {
          if (!V1BETA2_ONLY.includes(k)) expect(spec[k]).toStrictEqual(v);
        }
        const v2Fields = Object.fromEntries(
          Object.entries(originalSpec).filter(([k]) => V1BETA2_ONLY.includes(k)),
        );
        if (Object.keys(v2Fields).length === 0) {
          expect(carried(down)).toBeUndefined();
        } else {
          expect(carried(down)).toStrictEqual(v2Fields);
        }
        // User annotations survive untouched.
        for (const [k, v] of Object.entries(original.metadata.annotations ?? {})) {
          expect(down.metadata.annotations?.[k]).toBe(v);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("v1beta1 → v1beta2 → v1beta1 loses nothing", () => {
    fc.assert(
      fc.property(v1Peer, (original) => {
        const up = convertBGPPeer(original, "metallb.io/v1beta2");
        expect(up.metadata.annotations?.[V1BETA2_FIELDS_ANNOTATION]).toBeUndefined();
        expect(convertBGPPeer(up, "metallb.io/v1beta1")).toStrictEqual(original);
      }),
      { numRuns: 500 },
    );
  });

  it("a v1beta1 object that carries v1beta2 fields round-trips with the same fields", () => {
    fc.assert(
      fc.property(v2Peer, (v2) => {
        const v1 = convertBGPPeer(v2, "metallb.io/v1beta1");
        const again = convertBGPPeer(
          convertBGPPeer(v1, "metallb.io/v1beta2"),
          "metallb.io/v1beta1",
        );
        const { annotations: a1, ...meta1 } = v1.metadata;
        const { annotations: a2, ...meta2 } = again.metadata;
        expect({ ...again, metadata: meta2 }).toStrictEqual({ ...v1, metadata: meta1 });
        // The annotation's JSON may list the fields in another order; its content is the same.
        expect(carried(again)).toStrictEqual(carried(v1));
        const rest = (a?: Record<string, string>) =>
          Object.fromEntries(
            Object.entries(a ?? {}).filter(([k]) => k !== V1BETA2_FIELDS_ANNOTATION),
          );
        expect(rest(a2)).toStrictEqual(rest(a1));
      }),
      { numRuns: 300 },
    );
  });

  it("leaves no annotation behind when nothing is carried", () => {
    const v2: PeerObject = {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "p", namespace: "metallb-system" },
      spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", holdTime: "90s" },
    };
    const v1 = convertBGPPeer(v2, "metallb.io/v1beta1");
    expect(v1.metadata).toStrictEqual({ name: "p", namespace: "metallb-system" });
    expect(v1.spec).toStrictEqual(v2.spec);

    const withVrf = convertBGPPeer(
      { ...v2, spec: { ...v2.spec, vrf: "red" } },
      "metallb.io/v1beta1",
    );
    expect(withVrf.metadata.annotations).toStrictEqual({
      [V1BETA2_FIELDS_ANNOTATION]: JSON.stringify({ vrf: "red" }),
    });
    const back = convertBGPPeer(withVrf, "metallb.io/v1beta2");
    expect(back.metadata).toStrictEqual({ name: "p", namespace: "metallb-system" });
    expect(back.spec).toStrictEqual({ ...v2.spec, vrf: "red" });
  });

  it("keeps user annotations and drops a stale carried annotation on the way down", () => {
    const v2: PeerObject = {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: {
        name: "p",
        annotations: { team: "net", [V1BETA2_FIELDS_ANNOTATION]: JSON.stringify({ vrf: "old" }) },
      },
      spec: { myASN: 1, peerASN: 2, peerAddress: "192.0.2.1" },
    };
    const v1 = convertBGPPeer(v2, "metallb.io/v1beta1");
    expect(v1.metadata.annotations).toStrictEqual({ team: "net" });
  });

  it("does not invent timers for a v1beta1 peer without them (unlike MetalLB's 0s)", () => {
    const v1: PeerObject = {
      apiVersion: "metallb.io/v1beta1",
      kind: "BGPPeer",
      metadata: { name: "p" },
      spec: { myASN: 1, peerASN: 2, peerAddress: "192.0.2.1" },
    };
    const v2 = convertBGPPeer(v1, "metallb.io/v1beta2");
    expect(v2.spec).not.toHaveProperty("holdTime");
    expect(v2.spec).not.toHaveProperty("keepaliveTime");
  });

  it("returns the object itself for its own version and refuses unknown versions", () => {
    const v2: PeerObject = {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "p" },
      spec: { myASN: 1 },
    };
    expect(convertBGPPeer(v2, "metallb.io/v1beta2")).toBe(v2);
    expect(() => convertBGPPeer(v2, "metallb.io/v1")).toThrow(/metallb\.io\/v1/);
  });
});
