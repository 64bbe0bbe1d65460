import { describe, expect, it } from "vitest";
import { BGPPeerSpecV1beta2 } from "../api/bgp-peer.ts";
import { CEL_RULES, type KubeObject } from "../api/schema-building-blocks.ts";
import type { Problem } from "./problem.ts";
import { checkSchema, versionOf } from "./schema-check.ts";

const metadata = { name: "x", namespace: "metallb-system" };

function obj(apiVersion: string, kind: string, spec?: unknown): KubeObject {
  return spec === undefined ? { apiVersion, kind, metadata } : { apiVersion, kind, metadata, spec };
}

const pool = (spec: unknown) => obj("metallb.io/v1beta1", "IPAddressPool", spec);
const peerV2 = (spec: Record<string, unknown>) =>
  obj("metallb.io/v1beta2", "BGPPeer", {
    myASN: 64512,
    peerASN: 64513,
    peerAddress: "192.0.2.1",
    ...spec,
  });
const peerV1 = (spec: Record<string, unknown>) =>
  obj("metallb.io/v1beta1", "BGPPeer", {
    myASN: 64512,
    peerASN: 64513,
    peerAddress: "192.0.2.1",
    ...spec,
  });
const bfd = (spec: Record<string, unknown>) => obj("metallb.io/v1beta1", "BFDProfile", spec);

const rows = (ps: Problem[]) => ps.map((p) => [p.code, p.field]);

describe("checkSchema: kinds and versions", () => {
  it("accepts valid objects of every kind", () => {
    expect(checkSchema(pool({ addresses: ["192.0.2.0/24"], autoAssign: false }))).toEqual([]);
    expect(checkSchema(peerV2({}))).toEqual([]);
    expect(checkSchema(peerV1({ holdTime: "90s" }))).toEqual([]);
    expect(checkSchema(bfd({ receiveInterval: 300 }))).toEqual([]);
    expect(checkSchema(obj("metallb.io/v1beta1", "L2Advertisement", {}))).toEqual([]);
    expect(checkSchema(obj("metallb.io/v1beta1", "BGPAdvertisement", { localPref: 50 }))).toEqual(
      [],
    );
    expect(
      checkSchema(
        obj("metallb.io/v1beta1", "Community", { communities: [{ name: "a", value: "1:1" }] }),
      ),
    ).toEqual([]);
  });

  it.each([
    ["metallb.io/v1beta3", "BGPPeer"],
    ["metallb.io/v1beta2", "IPAddressPool"],
    ["example.com/v1beta1", "IPAddressPool"],
    ["metallb.io/v1beta1", "Pool"],
    ["metallb.io/v1beta1", "toString"],
  ])("refuses %s %s, naming the apiVersion", (apiVersion, kind) => {
    const problems = checkSchema(obj(apiVersion, kind, {}));
    expect(rows(problems)).toEqual([["SCHEMA", "apiVersion"]]);
    expect(problems[0]?.message).toContain(apiVersion);
    expect(problems[0]?.message).toContain(kind);
  });

  it("versionOf finds served versions only", () => {
    expect(versionOf({ apiVersion: "metallb.io/v1beta1", kind: "BGPPeer" })?.storage).toBe(false);
    expect(versionOf({ apiVersion: "metallb.io/v1beta2", kind: "BGPPeer" })?.storage).toBe(true);
    expect(versionOf({ apiVersion: "metallb.io", kind: "BGPPeer" })).toBeUndefined();
  });

  it("a name is required unless generateName is set", () => {
    const nameless = { ...pool({ addresses: [] }), metadata: {} };
    expect(rows(checkSchema(nameless))).toEqual([["SCHEMA", "metadata.name"]]);
    expect(checkSchema({ ...nameless, metadata: { generateName: "pool-" } })).toEqual([]);
  });

  it("IPAddressPool needs a spec and addresses; other kinds may omit spec", () => {
    expect(rows(checkSchema(pool(undefined)))).toEqual([["SCHEMA", "spec"]]);
    expect(rows(checkSchema(pool({})))).toEqual([["SCHEMA", "spec.addresses"]]);
    expect(checkSchema(obj("metallb.io/v1beta1", "L2Advertisement"))).toEqual([]);
  });
});

describe("checkSchema: unknown fields", () => {
  it("one UNKNOWN_FIELD per unknown field, with its path, and nothing else", () => {
    const problems = checkSchema(pool({ addresses: ["192.0.2.0/24"], addressess: [] }));
    expect(rows(problems)).toEqual([["UNKNOWN_FIELD", "spec.addressess"]]);
    expect(problems[0]?.message).toBe('unknown field "addressess"');
    expect(problems[0]?.severity).toBe("error");
  });

  it("finds them nested in objects and in array items", () => {
    const problems = checkSchema(
      pool({
        addresses: [],
        serviceAllocation: { priorty: 1, namespaceSelectors: [{ matchLabel: { a: "b" } }] },
      }),
    );
    expect(rows(problems)).toEqual([
      ["UNKNOWN_FIELD", "spec.serviceAllocation.priorty"],
      ["UNKNOWN_FIELD", "spec.serviceAllocation.namespaceSelectors[0].matchLabel"],
    ]);
  });

  it("v1beta2-only fields are unknown in v1beta1", () => {
    expect(rows(checkSchema(peerV1({ dynamicASN: "internal", connectTime: "5s" })))).toEqual([
      ["UNKNOWN_FIELD", "spec.dynamicASN"],
      ["UNKNOWN_FIELD", "spec.connectTime"],
    ]);
  });

  it("keys of maps (matchLabels) are free-form, not unknown fields", () => {
    expect(
      checkSchema(peerV2({ nodeSelectors: [{ matchLabels: { "example.com/rack": "a" } }] })),
    ).toEqual([]);
  });

  it("field names with '/' and '~' are unescaped in the path", () => {
    expect(rows(checkSchema(pool({ addresses: [], "a/b": 1, "c~d": 2 })))).toEqual([
      ["UNKNOWN_FIELD", "spec.a/b"],
      ["UNKNOWN_FIELD", "spec.c~d"],
    ]);
  });
});

describe("checkSchema: types and ranges", () => {
  it("wrong types name the field, the expectation and the value", () => {
    const problems = checkSchema(pool({ addresses: "192.0.2.0/24", autoAssign: "yes" }));
    expect(rows(problems)).toEqual([
      ["SCHEMA", "spec.addresses"],
      ["SCHEMA", "spec.autoAssign"],
    ]);
    expect(problems[0]?.message).toMatch(/array.*"192\.0\.2\.0\/24"/);
    expect(problems[1]?.message).toMatch(/boolean.*"yes"/);
  });

  it("a value under a key with '/' is reported with that value", () => {
    const problems = checkSchema(
      peerV2({ nodeSelectors: [{ matchLabels: { "example.com/x": 1 } }] }),
    );
    expect(rows(problems)).toEqual([["SCHEMA", "spec.nodeSelectors[0].matchLabels.example.com/x"]]);
    expect(problems[0]?.message).toMatch(/string, got 1$/);
  });

  it.each([
    [0, false],
    [1, true],
    [179, true],
    [16384, true],
    [16385, false],
    [17.5, false],
  ])("v1beta2 peerPort %d valid: %s", (peerPort, valid) => {
    expect(rows(checkSchema(peerV2({ peerPort })))).toEqual(
      valid ? [] : [["SCHEMA", "spec.peerPort"]],
    );
  });

  it("v1beta1 peerPort allows 0 (MetalLB's v1beta1 schema)", () => {
    expect(checkSchema(peerV1({ peerPort: 0 }))).toEqual([]);
    expect(rows(checkSchema(peerV1({ peerPort: 16385 })))).toEqual([["SCHEMA", "spec.peerPort"]]);
  });

  it("v1beta1 requires peerASN and peerAddress; v1beta2 only myASN", () => {
    const v1 = obj("metallb.io/v1beta1", "BGPPeer", { myASN: 1 });
    expect(rows(checkSchema(v1)).sort()).toEqual([
      ["SCHEMA", "spec.peerASN"],
      ["SCHEMA", "spec.peerAddress"],
    ]);
    const v2 = obj("metallb.io/v1beta2", "BGPPeer", { peerASN: 1, peerAddress: "192.0.2.1" });
    expect(rows(checkSchema(v2))).toEqual([["SCHEMA", "spec.myASN"]]);
  });

  it.each([
    [{ myASN: 4294967296 }, "spec.myASN"],
    [{ peerASN: -1 }, "spec.peerASN"],
    [{ localASN: 0 }, "spec.localASN"],
    [{ dynamicASN: "both" }, "spec.dynamicASN"],
  ])("ASN and enum ranges: %j", (spec, field) => {
    expect(rows(checkSchema(peerV2(spec)))).toEqual([["SCHEMA", field]]);
  });

  it.each([
    ["receiveInterval", 9, false],
    ["receiveInterval", 10, true],
    ["transmitInterval", 60000, true],
    ["transmitInterval", 60001, false],
    ["echoInterval", 10.5, false],
    ["detectMultiplier", 1, false],
    ["detectMultiplier", 2, true],
    ["detectMultiplier", 255, true],
    ["detectMultiplier", 256, false],
    ["minimumTtl", 0, false],
    ["minimumTtl", 1, true],
    ["minimumTtl", 254, true],
    ["minimumTtl", 255, false],
  ] as const)("BFDProfile %s %d valid: %s", (field, value, valid) => {
    const problems = checkSchema(bfd({ [field]: value }));
    expect(rows(problems)).toEqual(valid ? [] : [["SCHEMA", `spec.${field}`]]);
    if (!valid) expect(problems[0]?.message).toContain(`got ${value}`);
  });

  it("BGPAdvertisement aggregationLength has a minimum of 1; V6 none in the schema", () => {
    const ad = (spec: unknown) => obj("metallb.io/v1beta1", "BGPAdvertisement", spec);
    expect(rows(checkSchema(ad({ aggregationLength: 0 })))).toEqual([
      ["SCHEMA", "spec.aggregationLength"],
    ]);
    expect(checkSchema(ad({ aggregationLengthV6: 0 }))).toEqual([]);
  });

  it("L2Advertisement preference weights are 1..100 and need a preference", () => {
    const l2 = (preferredNodeSelectors: unknown) =>
      obj("metallb.io/v1beta1", "L2Advertisement", { preferredNodeSelectors });
    expect(checkSchema(l2([{ weight: 100, preference: {} }]))).toEqual([]);
    expect(rows(checkSchema(l2([{ weight: 0, preference: {} }, { weight: 5 }])))).toEqual([
      ["SCHEMA", "spec.preferredNodeSelectors[0].weight"],
      ["SCHEMA", "spec.preferredNodeSelectors[1].preference"],
    ]);
  });

  it("CEL twins do not run on a spec the schema already refused", () => {
    expect(rows(checkSchema(peerV2({ myASN: 0, peerPort: 0 })))).toEqual([
      ["SCHEMA", "spec.peerPort"],
    ]);
  });
});

describe("checkSchema: BGPPeer CEL twins", () => {
  it.each<[string, Record<string, unknown>, Problem["code"] | undefined, string?]>([
    ["myASN 0", { myASN: 0 }, "BGPPEER_LOCAL_ASN_MISSING", "spec.myASN"],
    [
      "neither peerASN nor dynamicASN",
      { peerASN: undefined },
      "BGPPEER_PEER_ASN_MISSING",
      "spec.peerASN",
    ],
    ["peerASN 0 and no dynamicASN", { peerASN: 0 }, "BGPPEER_PEER_ASN_MISSING", "spec.peerASN"],
    ["dynamicASN alone", { peerASN: undefined, dynamicASN: "external" }, undefined],
    ["peerASN 0 with dynamicASN", { peerASN: 0, dynamicASN: "internal" }, undefined],
    [
      "both peerASN and dynamicASN",
      { dynamicASN: "internal" },
      "BGPPEER_PEER_ASN_AND_DYNAMIC",
      "spec.dynamicASN",
    ],
    [
      "neither address nor interface",
      { peerAddress: undefined },
      "BGPPEER_ADDRESS_MISSING",
      "spec.peerAddress",
    ],
    ["interface alone", { peerAddress: undefined, interface: "eth1" }, undefined],
    [
      "address and interface",
      { interface: "eth1" },
      "BGPPEER_ADDRESS_AND_INTERFACE",
      "spec.interface",
    ],
    [
      "password and passwordSecret",
      { password: "x", passwordSecret: { name: "s" } },
      "BGPPEER_PASSWORD_AND_SECRET",
      "spec.passwordSecret",
    ],
    [
      "empty password and passwordSecret",
      { password: "", passwordSecret: { name: "s" } },
      undefined,
    ],
    [
      "ebgpMultiHop on iBGP",
      { peerASN: 64512, ebgpMultiHop: true },
      "BGPPEER_IBGP_MULTIHOP",
      "spec.ebgpMultiHop",
    ],
    ["ebgpMultiHop on eBGP", { ebgpMultiHop: true }, undefined],
    ["iBGP without multihop", { peerASN: 64512, ebgpMultiHop: false }, undefined],
    ["hold 1s", { holdTime: "1s" }, "BGPPEER_HOLD_TIME", "spec.holdTime"],
    ["hold 2.9s (truncated to 2s)", { holdTime: "2.9s" }, "BGPPEER_HOLD_TIME", "spec.holdTime"],
    ["hold 500ms (truncated to 0s)", { holdTime: "500ms" }, undefined],
    ["hold 0", { holdTime: "0" }, undefined],
    ["hold 0s", { holdTime: "0s" }, undefined],
    ["hold 3s", { holdTime: "3s" }, undefined],
    ["hold 3.5s", { holdTime: "3.5s" }, undefined],
    ["hold 90s", { holdTime: "90s" }, undefined],
    [
      "keepalive above hold",
      { holdTime: "30s", keepaliveTime: "90s" },
      "BGPPEER_KEEPALIVE_ABOVE_HOLD",
      "spec.keepaliveTime",
    ],
    [
      "keepalive with hold 0",
      { holdTime: "0s", keepaliveTime: "30s" },
      "BGPPEER_KEEPALIVE_ABOVE_HOLD",
      "spec.keepaliveTime",
    ],
    ["keepalive equal to hold", { holdTime: "90s", keepaliveTime: "1m30s" }, undefined],
    ["keepalive below hold", { holdTime: "180s", keepaliveTime: "60s" }, undefined],
    ["keepalive alone", { keepaliveTime: "60s" }, undefined],
    ["hold 0 and keepalive 0", { holdTime: "0s", keepaliveTime: "0s" }, undefined],
    ["connectTime 1.5s", { connectTime: "1.5s" }, "BGPPEER_CONNECT_TIME_WHOLE", "spec.connectTime"],
    [
      "connectTime 500ms",
      { connectTime: "500ms" },
      "BGPPEER_CONNECT_TIME_RANGE",
      "spec.connectTime",
    ],
    ["connectTime 0s", { connectTime: "0s" }, "BGPPEER_CONNECT_TIME_RANGE", "spec.connectTime"],
    ["connectTime 1s", { connectTime: "1s" }, undefined],
    ["connectTime 65535s", { connectTime: "65535s" }, undefined],
    [
      "connectTime 65536s",
      { connectTime: "65536s" },
      "BGPPEER_CONNECT_TIME_RANGE",
      "spec.connectTime",
    ],
    ["connectTime 2m", { connectTime: "2m" }, undefined],
  ])("%s", (_name, spec, code, field) => {
    // An undefined value in the row removes that field from the valid base peer.
    const base = peerV2({});
    const merged = { ...(base.spec as Record<string, unknown>), ...spec };
    const cleaned = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
    const problems = checkSchema({ ...base, spec: cleaned });
    if (code === undefined) {
      expect(problems).toEqual([]);
    } else {
      expect(rows(problems)).toContainEqual([code, field]);
    }
  });

  it("a twin's problem carries the CRD rule's message", () => {
    const [p] = checkSchema(peerV2({ holdTime: "1s" }));
    expect(p?.message).toBe("invalid hold time: must be 0 or >=3s");
    const [q] = checkSchema(peerV2({ dynamicASN: "internal" }));
    expect(q?.message).toBe("both peer ASN and dynamicASN specified: set exactly one of them");
  });

  it("500ms connectTime: whole-second rule, not only the range (CEL: 500 % 1000 != 0)", () => {
    expect(rows(checkSchema(peerV2({ connectTime: "500ms" })))).toEqual([
      ["BGPPEER_CONNECT_TIME_RANGE", "spec.connectTime"],
      ["BGPPEER_CONNECT_TIME_WHOLE", "spec.connectTime"],
    ]);
  });

  it("every twin is attached to the v1beta2 schema, with its CEL text", () => {
    const rules = BGPPeerSpecV1beta2[CEL_RULES];
    const crd = (BGPPeerSpecV1beta2 as unknown as { "x-kubernetes-validations": unknown[] })[
      "x-kubernetes-validations"
    ];
    expect(crd).toHaveLength(rules.length);
    for (const rule of rules) {
      expect(rule.holds === undefined).toBe(rule.transition === true);
    }
  });

  it("BGPAdvertisement: serviceSelectors with a non-default aggregation", () => {
    const ad = (spec: unknown) => obj("metallb.io/v1beta1", "BGPAdvertisement", spec);
    const sel = [{ matchLabels: { app: "web" } }];
    expect(rows(checkSchema(ad({ serviceSelectors: sel, aggregationLength: 24 })))).toEqual([
      ["BGPADV_SELECTORS_WITH_AGGREGATION", "spec"],
    ]);
    expect(rows(checkSchema(ad({ serviceSelectors: sel, aggregationLengthV6: 64 })))).toEqual([
      ["BGPADV_SELECTORS_WITH_AGGREGATION", "spec"],
    ]);
    expect(
      checkSchema(ad({ serviceSelectors: sel, aggregationLength: 32, aggregationLengthV6: 128 })),
    ).toEqual([]);
    expect(checkSchema(ad({ serviceSelectors: [], aggregationLength: 24 }))).toEqual([]);
  });
});
