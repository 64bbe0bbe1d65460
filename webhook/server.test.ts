import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { V1BETA2_FIELDS_ANNOTATION } from "../core/api/bgp-peer-conversion.ts";
import { CONFIG_KINDS } from "../core/api/kinds.ts";
import type { KubeObject } from "../core/api/schema-building-blocks.ts";
import { validatePath } from "../core/api/webhook-configurations.ts";
import { MetallbError } from "../core/errors.ts";
import { createLogger } from "../core/logger.ts";
import { EMPTY_CONFIG_SET, type ConfigSet } from "../core/validation/config-set.ts";
import { parseAdmissionReview } from "./admission-review.ts";
import type { ConfigSource } from "./config-source.ts";
import { createApp } from "./server.ts";

const NS = "metallb-system";
const POOL_PATH = "/validate-metallb-io-v1beta1-ipaddresspool";

function pool(name: string, addresses: string[], namespace = NS): KubeObject {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name, namespace },
    spec: { addresses },
  };
}

const EXISTING: ConfigSet = {
  ...EMPTY_CONFIG_SET,
  pools: [pool("existing", ["192.0.2.0/24"])] as ConfigSet["pools"],
  peers: [
    {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "router", namespace: NS },
      spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", bfdProfile: "fast" },
    },
  ],
  bfdProfiles: [
    { apiVersion: "metallb.io/v1beta1", kind: "BFDProfile", metadata: { name: "fast" }, spec: {} },
  ],
};

function review(
  object: KubeObject | undefined,
  operation = "CREATE",
  extra: Record<string, unknown> = {},
) {
  const subject = object ?? (extra.oldObject as KubeObject | undefined);
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "uid-1",
      kind: {
        group: "metallb.io",
        version: subject?.apiVersion.split("/")[1] ?? "v1beta1",
        kind: subject?.kind ?? "IPAddressPool",
      },
      operation,
      namespace: subject?.metadata.namespace,
      name: subject?.metadata.name,
      object,
      ...extra,
    },
  };
}

interface Started {
  server: Server;
  base: string;
  calls: string[];
}

async function start(configSource: ConfigSource): Promise<Started> {
  const calls: string[] = [];
  const app = createApp({
    metallbNamespace: NS,
    configSource: (ns) => {
      calls.push(ns);
      return configSource(ns);
    },
    log: createLogger("webhook-test", "silent"),
  });
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}`, calls };
}

async function stop(s: Started): Promise<void> {
  s.server.closeAllConnections();
  await new Promise<void>((resolve) => {
    s.server.close(() => {
      resolve();
    });
  });
}

async function post(base: string, path: string, body: unknown, contentType = "application/json") {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface ReviewResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
}

function responseOf(body: Record<string, unknown>): ReviewResponse {
  expect(body.apiVersion).toBe("admission.k8s.io/v1");
  expect(body.kind).toBe("AdmissionReview");
  return body.response as ReviewResponse;
}

let ok: Started;
let failing: Started;

beforeAll(async () => {
  ok = await start(() => Promise.resolve(EXISTING));
  failing = await start(() =>
    Promise.reject(
      new MetallbError("CONFIG_LIST_FAILED", "listing ipaddresspools in metallb-system"),
    ),
  );
});

afterAll(async () => {
  await stop(ok);
  await stop(failing);
});

describe("webhook server: malformed requests (400)", () => {
  it("a body that is not JSON", async () => {
    const r = await post(ok.base, POOL_PATH, '{"apiVersion": ');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("REQUEST_BODY_NOT_JSON");
    expect(typeof r.body.message).toBe("string");
  });

  it("a body that is not sent as JSON", async () => {
    const r = await post(ok.base, POOL_PATH, JSON.stringify(review(pool("p", []))), "text/plain");
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("ADMISSION_REVIEW_MALFORMED");
  });

  it.each([
    [
      "wrong kind",
      { ...review(pool("p", [])), kind: "ConversionReview" },
      /kind is "ConversionReview"/,
    ],
    [
      "wrong apiVersion",
      { ...review(pool("p", [])), apiVersion: "admission.k8s.io/v1beta1" },
      /admission\.k8s\.io\/v1beta1/,
    ],
    [
      "no request",
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" },
      /request is missing/,
    ],
    ["missing uid", review(pool("p", []), "CREATE", { uid: undefined }), /request\.uid/],
    ["empty uid", review(pool("p", []), "CREATE", { uid: "" }), /request\.uid/],
    ["unknown operation", review(pool("p", []), "PATCH"), /operation "PATCH"/],
    [
      "object without kind",
      review(pool("p", []), "CREATE", { object: { metadata: {} } }),
      /request\.object/,
    ],
    ["an array", [1, 2], /not a JSON object/],
  ])("%s", async (_name, body, message) => {
    const r = await post(ok.base, POOL_PATH, body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("ADMISSION_REVIEW_MALFORMED");
    expect(r.body.message).toMatch(message);
  });
});

describe("webhook server: validation", () => {
  it("denies an overlapping pool with 200, allowed false and a 403 naming field, value, other pool and code", async () => {
    const r = await post(
      ok.base,
      POOL_PATH,
      review(pool("new", ["198.51.100.0/24", "192.0.2.8-192.0.2.20"])),
    );
    expect(r.status).toBe(200);
    const res = responseOf(r.body);
    expect(res.uid).toBe("uid-1");
    expect(res.allowed).toBe(false);
    expect(res.status?.code).toBe(403);
    expect(res.status?.reason).toBe("Forbidden");
    const message = res.status?.message ?? "";
    expect(message).toContain('IPAddressPool "new"');
    expect(message).toContain("spec.addresses[1]");
    expect(message).toContain('"192.0.2.8-192.0.2.20"');
    expect(message).toContain('IPAddressPool "existing"');
    expect(message).toContain("192.0.2.8-192.0.2.20");
    expect(message).toContain("[POOL_OVERLAP]");
    expect(ok.calls.at(-1)).toBe(NS);
  });

  it("admits a pool with host bits, passing the warning on", async () => {
    const r = await post(ok.base, POOL_PATH, review(pool("hosty", ["198.51.100.77/24"])));
    expect(r.status).toBe(200);
    const res = responseOf(r.body);
    expect(res).toMatchObject({ uid: "uid-1", allowed: true });
    expect(res.status).toBeUndefined();
    expect(res.warnings).toHaveLength(1);
    expect(res.warnings?.[0]).toContain("spec.addresses[0]");
    expect(res.warnings?.[0]).toContain("198.51.100.0/24");
    expect(res.warnings?.[0]).toContain("[POOL_HOST_BITS]");
  });

  it("admits a clean pool with no warnings field", async () => {
    const res = responseOf(
      (await post(ok.base, POOL_PATH, review(pool("clean", ["203.0.113.0/24"])))).body,
    );
    expect(res).toStrictEqual({ uid: "uid-1", allowed: true });
  });

  it("denies a CREATE outside the MetalLB namespace", async () => {
    const res = responseOf(
      (await post(ok.base, POOL_PATH, review(pool("p", ["203.0.113.0/24"], "default")))).body,
    );
    expect(res.allowed).toBe(false);
    expect(res.status?.message).toContain("resource must be created in metallb-system namespace");
    expect(res.status?.message).toContain("[WRONG_NAMESPACE]");
  });

  it("denies deleting a BFDProfile a peer uses", async () => {
    const bfd: KubeObject = {
      apiVersion: "metallb.io/v1beta1",
      kind: "BFDProfile",
      metadata: { name: "fast", namespace: NS },
    };
    const r = await post(
      ok.base,
      validatePath("BFDProfile"),
      review(undefined, "DELETE", { oldObject: bfd }),
    );
    const res = responseOf(r.body);
    expect(res.allowed).toBe(false);
    expect(res.status?.message).toContain('BGPPeer "router"');
    expect(res.status?.message).toContain("[BFD_PROFILE_IN_USE]");
  });

  it("answers at every kind's path and at /validate", async () => {
    for (const path of [...CONFIG_KINDS.map(validatePath), "/validate"]) {
      const r = await post(ok.base, path, review(pool("clean", ["203.0.113.0/24"])));
      expect(r.status, path).toBe(200);
      expect(responseOf(r.body).allowed, path).toBe(true);
    }
  });

  it("answers health checks", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const res = await fetch(`${ok.base}${path}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("ok");
    }
  });
});

describe("webhook server: failures of the ConfigSource (500)", () => {
  it("turns a failing ConfigSource into a 500 with its code, so failurePolicy applies", async () => {
    const r = await post(failing.base, POOL_PATH, review(pool("p", ["203.0.113.0/24"])));
    expect(r.status).toBe(500);
    expect(r.body.code).toBe("CONFIG_LIST_FAILED");
    expect(r.body.message).toContain("listing ipaddresspools");
  });

  it("a plain exception becomes INTERNAL", async () => {
    const s = await start(() => {
      throw new Error("boom");
    });
    try {
      const r = await post(s.base, POOL_PATH, review(pool("p", ["203.0.113.0/24"])));
      expect(r.status).toBe(500);
      expect(r.body).toStrictEqual({ code: "INTERNAL", message: "boom" });
    } finally {
      await stop(s);
    }
  });

  it("DELETEs other than BFDProfile's do not need the ConfigSource", async () => {
    const before = failing.calls.length;
    const r = await post(
      failing.base,
      POOL_PATH,
      review(undefined, "DELETE", { oldObject: pool("p", []) }),
    );
    expect(r.status).toBe(200);
    expect(responseOf(r.body).allowed).toBe(true);
    expect(failing.calls.length).toBe(before);
  });
});

describe("webhook server: /convert", () => {
  const v2Peer = {
    apiVersion: "metallb.io/v1beta2",
    kind: "BGPPeer",
    metadata: { name: "router", namespace: NS, annotations: { team: "net" } },
    spec: {
      myASN: 64512,
      peerASN: 64513,
      peerAddress: "192.0.2.1",
      holdTime: "9s",
      connectTime: "5s",
      dualStackAddressFamily: true,
      nodeSelectors: [{ matchLabels: { rack: "a" } }],
    },
  };

  const conversionReview = (
    desiredAPIVersion: string,
    objects: unknown[],
    apiVersion = "apiextensions.k8s.io/v1",
  ) => ({
    apiVersion,
    kind: "ConversionReview",
    request: { uid: "conv-1", desiredAPIVersion, objects },
  });

  interface ConversionResponse {
    uid: string;
    convertedObjects: KubeObject<Record<string, unknown>>[];
    result: { status: string; message?: string };
  }

  async function convert(desired: string, objects: unknown[], apiVersion?: string) {
    const r = await post(ok.base, "/convert", conversionReview(desired, objects, apiVersion));
    expect(r.status).toBe(200);
    expect(r.body.kind).toBe("ConversionReview");
    return { apiVersion: r.body.apiVersion, response: r.body.response as ConversionResponse };
  }

  it("round-trips v1beta2 → v1beta1 → v1beta2 without loss", async () => {
    const down = await convert("metallb.io/v1beta1", [v2Peer]);
    expect(down.response.uid).toBe("conv-1");
    expect(down.response.result).toStrictEqual({ status: "Success" });
    const [v1] = down.response.convertedObjects;
    expect(v1?.apiVersion).toBe("metallb.io/v1beta1");
    expect(v1?.spec).not.toHaveProperty("connectTime");
    expect(v1?.metadata.annotations?.team).toBe("net");
    expect(
      JSON.parse(v1?.metadata.annotations?.[V1BETA2_FIELDS_ANNOTATION] ?? "null"),
    ).toStrictEqual({
      connectTime: "5s",
      dualStackAddressFamily: true,
    });
    const up = await convert("metallb.io/v1beta2", down.response.convertedObjects);
    expect(up.response.convertedObjects).toStrictEqual([v2Peer]);
  });

  it("echoes the review's apiVersion (v1beta1 reviews too)", async () => {
    const r = await convert("metallb.io/v1beta1", [v2Peer], "apiextensions.k8s.io/v1beta1");
    expect(r.apiVersion).toBe("apiextensions.k8s.io/v1beta1");
  });

  it("reports a Failure, not an HTTP error, for objects it cannot convert", async () => {
    const r = await convert("metallb.io/v1beta1", [v2Peer, { ...v2Peer, kind: "IPAddressPool" }]);
    expect(r.response.uid).toBe("conv-1");
    expect(r.response.convertedObjects).toStrictEqual([]);
    expect(r.response.result.status).toBe("Failure");
    expect(r.response.result.message).toContain("IPAddressPool");
    const badVersion = await convert("metallb.io/v2", [v2Peer]);
    expect(badVersion.response.result.status).toBe("Failure");
  });

  it("refuses a malformed ConversionReview with 400", async () => {
    for (const body of [
      { kind: "ConversionReview", apiVersion: "apiextensions.k8s.io/v1" },
      { ...conversionReview("metallb.io/v1beta1", []), kind: "AdmissionReview" },
      {
        ...conversionReview("metallb.io/v1beta1", []),
        request: { uid: "x", desiredAPIVersion: "v", objects: {} },
      },
    ]) {
      const r = await post(ok.base, "/convert", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe("CONVERSION_REVIEW_MALFORMED");
    }
    // express.json (strict) refuses a top-level null before the handler sees it.
    expect((await post(ok.base, "/convert", "null")).status).toBe(400);
  });
});

describe("parseAdmissionReview (fuzz)", () => {
  function expectMalformedOrParsed(body: unknown) {
    try {
      const parsed = parseAdmissionReview(body);
      expect(typeof parsed.uid).toBe("string");
      expect(parsed.uid).not.toBe("");
      expect(["CREATE", "UPDATE", "DELETE", "CONNECT"]).toContain(parsed.operation);
    } catch (e: unknown) {
      expect(e).toBeInstanceOf(MetallbError);
      expect((e as MetallbError).code).toBe("ADMISSION_REVIEW_MALFORMED");
    }
  }

  it("throws only ADMISSION_REVIEW_MALFORMED for arbitrary JSON values", () => {
    fc.assert(fc.property(fc.jsonValue(), expectMalformedOrParsed), { numRuns: 2000 });
  });

  it("throws only ADMISSION_REVIEW_MALFORMED for arbitrary values", () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withBoxedValues: true }),
        expectMalformedOrParsed,
      ),
      { numRuns: 2000 },
    );
  });

  it("throws only ADMISSION_REVIEW_MALFORMED for near-valid reviews", () => {
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.jsonValue());
    const objectArb = maybe(
      fc.record(
        {
          apiVersion: maybe(fc.constant("metallb.io/v1beta1")),
          kind: maybe(fc.constant("IPAddressPool")),
          metadata: maybe(fc.record({ name: maybe(fc.string()) }, { requiredKeys: [] })),
          spec: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    );
    const reviewArb = fc.record(
      {
        apiVersion: maybe(fc.constant("admission.k8s.io/v1")),
        kind: maybe(fc.constant("AdmissionReview")),
        request: maybe(
          fc.record(
            {
              uid: maybe(fc.string()),
              kind: maybe(
                fc.record(
                  {
                    group: maybe(fc.constant("metallb.io")),
                    version: maybe(fc.constant("v1beta1")),
                    kind: maybe(fc.string()),
                  },
                  { requiredKeys: [] },
                ),
              ),
              operation: maybe(fc.constantFrom("CREATE", "UPDATE", "DELETE", "CONNECT", "PATCH")),
              namespace: maybe(fc.string()),
              object: objectArb,
              oldObject: objectArb,
              dryRun: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(reviewArb, expectMalformedOrParsed), { numRuns: 3000 });
  });

  it("parses a valid review", () => {
    const parsed = parseAdmissionReview(
      review(pool("p", ["192.0.2.0/24"]), "UPDATE", { dryRun: true }),
    );
    expect(parsed).toMatchObject({
      uid: "uid-1",
      operation: "UPDATE",
      kind: { group: "metallb.io", version: "v1beta1", kind: "IPAddressPool" },
      namespace: NS,
      name: "p",
      dryRun: true,
      oldObject: undefined,
    });
    expect(parsed.object?.metadata.name).toBe("p");
  });
});
