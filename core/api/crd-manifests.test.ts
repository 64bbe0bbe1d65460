import { describe, expect, it } from "vitest";
import { allCrds, crdFor, CONVERSION_PATH, toStructuralSchema } from "./crd-manifests.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function obj(v: Json | undefined, what: string): JsonObject {
  if (!isObject(v)) throw new Error(`${what} is not an object`);
  return v;
}

function str(v: Json | undefined, what: string): string {
  if (typeof v !== "string") throw new Error(`${what} is not a string`);
  return v;
}

function list(v: Json | undefined, what: string): Json[] {
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v;
}

interface Version {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema: { openAPIV3Schema: JsonObject };
  additionalPrinterColumns?: { name: string; type: string; jsonPath: string; priority?: number }[];
  subresources?: JsonObject;
}

const specOf = (crd: Json) => obj(obj(crd, "crd").spec, "crd.spec");
const versionsOf = (crd: Json) => list(specOf(crd).versions, "versions") as unknown as Version[];
const kindOf = (crd: Json) => obj(specOf(crd).names, "names").kind as string;

function version(crd: Json, name: string): Version {
  const v = versionsOf(crd).find((x) => x.name === name);
  if (v === undefined) throw new Error(`no version ${name}`);
  return v;
}

/** Every schema node under a root, with its path. */
function* schemaNodes(node: JsonObject, path: string): Generator<[string, JsonObject]> {
  yield [path, node];
  for (const [name, child] of Object.entries(isObject(node.properties) ? node.properties : {})) {
    yield* schemaNodes(obj(child, `${path}.${name}`), `${path}.${name}`);
  }
  if (isObject(node.items)) yield* schemaNodes(node.items, `${path}[]`);
  if (isObject(node.additionalProperties)) {
    yield* schemaNodes(node.additionalProperties, `${path}{}`);
  }
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    const branches = node[key];
    if (Array.isArray(branches)) {
      for (const [i, b] of branches.entries())
        yield* schemaNodes(obj(b, key), `${path}.${key}[${i}]`);
    }
  }
}

const everyNode = () =>
  allCrds().flatMap((crd) =>
    versionsOf(crd).flatMap((v) => [
      ...schemaNodes(v.schema.openAPIV3Schema, `${kindOf(crd)}/${v.name}`),
    ]),
  );

// apiextensions.k8s.io/v1 JSONSchemaProps, minus what a structural schema may not use.
const ALLOWED_KEYS = new Set([
  "description",
  "type",
  "format",
  "title",
  "default",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "uniqueItems",
  "multipleOf",
  "enum",
  "maxProperties",
  "minProperties",
  "required",
  "items",
  "allOf",
  "oneOf",
  "anyOf",
  "not",
  "properties",
  "additionalProperties",
  "nullable",
  "example",
  "externalDocs",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-int-or-string",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-list-type",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
]);

describe("CRDs: structural schemas the API server accepts", () => {
  it("cover every kind, one CRD each, named plural.group", () => {
    const crds = allCrds();
    expect(crds.length).toBeGreaterThanOrEqual(9);
    for (const crd of crds) {
      const spec = specOf(crd);
      const names = obj(spec.names, "names");
      expect(obj(obj(crd, "crd").metadata, "metadata").name).toBe(
        `${str(names.plural, "plural")}.metallb.io`,
      );
      expect(spec.group).toBe("metallb.io");
      expect(spec.scope).toBe("Namespaced");
      expect(names.singular).toBe(str(names.kind, "kind").toLowerCase());
      expect(names.listKind).toBe(`${str(names.kind, "kind")}List`);
    }
    const kinds = crds.map(kindOf);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "IPAddressPool",
        "L2Advertisement",
        "BGPAdvertisement",
        "BGPPeer",
        "Community",
        "BFDProfile",
        "ServiceL2Status",
        "ServiceBGPStatus",
        "ConfigurationState",
      ]),
    );
  });

  it("are plain JSON (nothing that JSON would drop or change)", () => {
    for (const crd of allCrds()) {
      expect(JSON.parse(JSON.stringify(crd))).toStrictEqual(crd);
    }
  });

  it("have no patternProperties anywhere", () => {
    expect(JSON.stringify(allCrds())).not.toContain("patternProperties");
  });

  it("have no additionalProperties: false, and never both properties and additionalProperties", () => {
    for (const [path, node] of everyNode()) {
      expect(node.additionalProperties, path).not.toBe(false);
      if (node.additionalProperties !== undefined) expect(node.properties, path).toBeUndefined();
    }
  });

  it("give every node a type (objects 'object'), with no keyword CRDs refuse", () => {
    for (const [path, node] of everyNode()) {
      if (path.includes(".anyOf[") || path.includes(".allOf[") || path.includes(".oneOf["))
        continue;
      expect(typeof node.type, path).toBe("string");
      if (node.properties !== undefined || isObject(node.additionalProperties)) {
        expect(node.type, path).toBe("object");
      }
      if (node.items !== undefined) expect(node.type, path).toBe("array");
      for (const key of Object.keys(node))
        expect(ALLOWED_KEYS.has(key), `${path}: ${key}`).toBe(true);
      expect(node.uniqueItems, path).not.toBe(true);
    }
  });

  it("list every required property among the properties", () => {
    for (const [path, node] of everyNode()) {
      for (const name of Array.isArray(node.required) ? node.required : []) {
        expect(Object.keys(obj(node.properties, `${path}.properties`)), path).toContain(name);
      }
    }
  });

  it("have defaults that fit their own schema", () => {
    for (const [path, node] of everyNode()) {
      if (!("default" in node)) continue;
      const d = node.default;
      const type = node.type === "integer" ? "number" : node.type;
      expect(typeof d, path).toBe(type);
      if (node.type === "integer") expect(Number.isInteger(d), path).toBe(true);
      if (typeof d === "number" && typeof node.minimum === "number") {
        expect(d, path).toBeGreaterThanOrEqual(node.minimum);
      }
      if (typeof d === "number" && typeof node.maximum === "number") {
        expect(d, path).toBeLessThanOrEqual(node.maximum);
      }
      if (Array.isArray(node.enum)) expect(node.enum, path).toContain(d);
    }
  });

  it("key map-type lists by required fields", () => {
    for (const [path, node] of everyNode()) {
      if (node["x-kubernetes-list-type"] !== "map") continue;
      const keys = list(node["x-kubernetes-list-map-keys"], `${path} list-map-keys`);
      expect(keys.length, path).toBeGreaterThan(0);
      const items = obj(node.items, `${path}[]`);
      for (const k of keys) expect(items.required, path).toContain(k);
    }
  });

  it("carry CEL rules with a rule and a message, and no TypeScript twins", () => {
    let rules = 0;
    for (const [path, node] of everyNode()) {
      const validations = node["x-kubernetes-validations"];
      if (validations === undefined) continue;
      for (const v of list(validations, path)) {
        const rule = obj(v, path);
        expect(
          Object.keys(rule).every((k) => ["rule", "message", "fieldPath"].includes(k)),
          path,
        ).toBe(true);
        expect(typeof rule.rule).toBe("string");
        expect(rule.message).not.toBe("");
        rules++;
      }
    }
    expect(rules).toBeGreaterThan(10);
  });

  it("restrict metadata no further than the API server allows", () => {
    for (const crd of allCrds()) {
      for (const v of versionsOf(crd)) {
        const props = obj(v.schema.openAPIV3Schema.properties, "root properties");
        expect(props.metadata).toStrictEqual({ type: "object" });
        expect(v.schema.openAPIV3Schema.type).toBe("object");
      }
    }
  });

  it("have exactly one storage version, all served, each with a status subresource", () => {
    for (const crd of allCrds()) {
      const versions = versionsOf(crd);
      expect(
        versions.filter((v) => v.storage),
        kindOf(crd),
      ).toHaveLength(1);
      for (const v of versions) {
        expect(v.served).toBe(true);
        expect(v.subresources).toStrictEqual({ status: {} });
      }
    }
  });

  it("require spec on IPAddressPool, as MetalLB", () => {
    const pool = version(crdFor("IPAddressPool"), "v1beta1").schema.openAPIV3Schema;
    expect(pool.required).toEqual(["spec"]);
    const spec = obj(obj(pool.properties, "properties").spec, "spec");
    expect(spec.required).toEqual(["addresses"]);
  });
});

describe("CRDs: printer columns", () => {
  it("IPAddressPool: AUTO ASSIGN, AVOID BUGGY IPS, ADDRESSES (kubectl adds NAME and AGE)", () => {
    expect(version(crdFor("IPAddressPool"), "v1beta1").additionalPrinterColumns).toStrictEqual([
      { name: "Auto Assign", type: "boolean", jsonPath: ".spec.autoAssign" },
      { name: "Avoid Buggy IPs", type: "boolean", jsonPath: ".spec.avoidBuggyIPs" },
      { name: "Addresses", type: "string", jsonPath: ".spec.addresses" },
    ]);
  });

  it("BGPPeer: Address, ASN, BFD Profile, Multi Hops in both versions", () => {
    const expected = [
      { name: "Address", type: "string", jsonPath: ".spec.peerAddress" },
      { name: "ASN", type: "string", jsonPath: ".spec.peerASN" },
      { name: "BFD Profile", type: "string", jsonPath: ".spec.bfdProfile" },
      { name: "Multi Hops", type: "string", jsonPath: ".spec.ebgpMultiHop" },
    ];
    const crd = crdFor("BGPPeer");
    expect(version(crd, "v1beta1").additionalPrinterColumns).toStrictEqual(expected);
    expect(version(crd, "v1beta2").additionalPrinterColumns).toStrictEqual(expected);
  });

  it("Node Selectors columns only with -o wide (priority 10)", () => {
    for (const kind of ["L2Advertisement", "BGPAdvertisement"] as const) {
      const columns = version(crdFor(kind), "v1beta1").additionalPrinterColumns ?? [];
      expect(columns.find((c) => c.name === "Node Selectors")).toStrictEqual({
        name: "Node Selectors",
        type: "string",
        jsonPath: ".spec.nodeSelectors",
        priority: 10,
      });
    }
  });

  it("never a column named Name (kubectl always prints NAME), every path a field of the object", () => {
    for (const crd of allCrds()) {
      for (const v of versionsOf(crd)) {
        for (const c of v.additionalPrinterColumns ?? []) {
          expect(c.name.toLowerCase()).not.toBe("name");
          expect(c.jsonPath).toMatch(/^\.(spec|status|metadata)\./);
          expect(["string", "boolean", "integer", "number", "date"]).toContain(c.type);
        }
      }
    }
  });
});

describe("CRDs: BGPPeer versions and conversion", () => {
  it("serves v1beta1 deprecated and stores v1beta2", () => {
    const crd = crdFor("BGPPeer");
    expect(versionsOf(crd).map((v) => v.name)).toEqual(["v1beta1", "v1beta2"]);
    expect(version(crd, "v1beta1")).toMatchObject({
      served: true,
      storage: false,
      deprecated: true,
      deprecationWarning: "v1beta1 is deprecated, please use v1beta2",
    });
    const v2 = version(crd, "v1beta2");
    expect(v2).toMatchObject({ served: true, storage: true });
    expect(v2.deprecated).toBeUndefined();
  });

  it("converts through MetalLB's webhook Service at /convert by default", () => {
    expect(specOf(crdFor("BGPPeer")).conversion).toStrictEqual({
      strategy: "Webhook",
      webhook: {
        clientConfig: {
          service: {
            name: "metallb-webhook-service",
            namespace: "metallb-system",
            port: 443,
            path: CONVERSION_PATH,
          },
        },
        conversionReviewVersions: ["v1", "v1beta1"],
      },
    });
    expect(CONVERSION_PATH).toBe("/convert");
  });

  it("converts through a URL with a CA bundle when given", () => {
    const conversion = specOf(
      crdFor("BGPPeer", { url: "https://127.0.0.1:9443/convert", caBundle: "Q0E=" }),
    ).conversion;
    expect(conversion).toStrictEqual({
      strategy: "Webhook",
      webhook: {
        clientConfig: { url: "https://127.0.0.1:9443/convert", caBundle: "Q0E=" },
        conversionReviewVersions: ["v1", "v1beta1"],
      },
    });
  });

  it("single-version kinds need no conversion", () => {
    for (const crd of allCrds()) {
      if (versionsOf(crd).length === 1) expect(specOf(crd).conversion).toBeUndefined();
    }
  });

  it("v1beta2 requires only myASN and has MetalLB's peerPort range and default", () => {
    const crd = crdFor("BGPPeer");
    const specSchema = (name: string) =>
      obj(obj(version(crd, name).schema.openAPIV3Schema.properties, "p").spec, "spec");
    expect(specSchema("v1beta2").required).toEqual(["myASN"]);
    expect(specSchema("v1beta1").required).toEqual(["myASN", "peerASN", "peerAddress"]);
    const port = (name: string) => obj(obj(specSchema(name).properties, "p").peerPort, "peerPort");
    expect(port("v1beta2")).toMatchObject({
      type: "integer",
      minimum: 1,
      maximum: 16384,
      default: 179,
    });
    expect(port("v1beta1")).toMatchObject({ type: "integer", minimum: 0, maximum: 16384 });
    expect(port("v1beta1").default).toBeUndefined();
  });
});

describe("toStructuralSchema", () => {
  it("turns patternProperties into additionalProperties and drops additionalProperties: false", () => {
    expect(
      toStructuralSchema({
        type: "object",
        additionalProperties: false,
        properties: {
          labels: { type: "object", patternProperties: { "^.*$": { type: "string" } } },
          list: {
            type: "array",
            items: { type: "object", additionalProperties: false, properties: {} },
          },
        },
      }),
    ).toStrictEqual({
      type: "object",
      properties: {
        labels: { type: "object", additionalProperties: { type: "string" } },
        list: { type: "array", items: { type: "object", properties: {} } },
      },
    });
  });
});
