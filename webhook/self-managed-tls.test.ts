import { X509Certificate } from "node:crypto";
import { createServer, request } from "node:https";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { validatingWebhookConfiguration } from "../core/api/webhook-configurations.ts";
import {
  applyPlan,
  conversionCaBundlePatch,
  issueCa,
  issueServing,
  planRotation,
  readSecretData,
  secretData,
  serviceDnsNames,
  splitPem,
  webhookCaBundlePatch,
  type Lifetimes,
} from "./self-managed-tls.ts";

const DAY = 86_400_000;
const names = serviceDnsNames("metallb-webhook-service", "metallb-system");
const lifetimes: Lifetimes = { caMs: 300 * DAY, servingMs: 90 * DAY, renewFraction: 1 / 3 };
const t0 = new Date("2030-01-01T00:00:00Z");
const at = (days: number): Date => new Date(t0.getTime() + days * DAY);
const ctx = (now: Date, dnsNames = names) => ({ now, dnsNames, lifetimes });

describe("issued certificates", () => {
  const ca = issueCa(t0, lifetimes.caMs);
  const serving = issueServing(ca, names, t0, lifetimes.servingMs);
  const caX = new X509Certificate(ca.cert);
  const servingX = new X509Certificate(serving.cert);

  it("the CA is a CA that signed itself", () => {
    expect(caX.ca).toBe(true);
    expect(caX.verify(caX.publicKey)).toBe(true);
  });

  it("the serving certificate is a leaf signed by the CA, for every Service DNS name", () => {
    expect(servingX.ca).toBe(false);
    expect(servingX.checkIssued(caX)).toBe(true);
    expect(servingX.verify(caX.publicKey)).toBe(true);
    for (const n of names) expect(servingX.checkHost(n)).toBe(n);
    expect(servingX.checkHost("other.metallb-system.svc")).toBeUndefined();
    expect(servingX.subjectAltName).toContain("DNS:metallb-webhook-service.metallb-system.svc");
    expect(servingX.keyUsage).toContain("1.3.6.1.5.5.7.3.1"); // serverAuth
    expect(Date.parse(servingX.validTo) - t0.getTime()).toBe(lifetimes.servingMs);
  });

  it("a TLS client that trusts only the CA accepts the serving certificate for the Service name", async () => {
    const now = new Date();
    const liveCa = issueCa(now, lifetimes.caMs);
    const live = issueServing(liveCa, names, now, lifetimes.servingMs);
    const server = createServer({ cert: live.cert, key: live.key }, (_req, res) => {
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port,
            servername: "metallb-webhook-service.metallb-system.svc",
            ca: liveCa.cert,
            headers: { host: "metallb-webhook-service.metallb-system.svc" },
          },
          (res) => {
            let text = "";
            res.on("data", (c: Buffer) => (text += c.toString()));
            res.on("end", () => {
              resolve(text);
            });
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(body).toBe("ok");
    } finally {
      server.close();
    }
  });
});

describe("rotation", () => {
  const first = applyPlan("create", undefined, ctx(t0));

  it("an empty Secret is created from scratch", () => {
    expect(planRotation(undefined, ctx(t0))).toBe("create");
    expect(splitPem(first.caBundle)).toHaveLength(1);
    expect(planRotation(first, ctx(t0))).toBe("keep");
    expect(applyPlan("keep", first, ctx(t0))).toBe(first);
  });

  it("a Secret with garbage is recreated", () => {
    expect(planRotation({ ...first, caBundle: "junk" }, ctx(t0))).toBe("create");
    expect(planRotation({ ...first, key: "" }, ctx(t0))).toBe("create");
  });

  it("the serving certificate is renewed in the last third of its life, by the same CA", () => {
    expect(planRotation(first, ctx(at(59)))).toBe("keep");
    expect(planRotation(first, ctx(at(61)))).toBe("renew-serving");
    const next = applyPlan("renew-serving", first, ctx(at(61)));
    expect(next.caBundle).toBe(first.caBundle);
    expect(next.caKey).toBe(first.caKey);
    expect(next.cert).not.toBe(first.cert);
    expect(new X509Certificate(next.cert).checkIssued(new X509Certificate(first.caBundle))).toBe(
      true,
    );
    expect(planRotation(next, ctx(at(61)))).toBe("keep");
  });

  it("a serving certificate for other names is reissued", () => {
    const other = serviceDnsNames("renamed-service", "metallb-system");
    expect(planRotation(first, ctx(t0, other))).toBe("renew-serving");
  });

  it("a CA in its last third is replaced; the old CA stays in the bundle while it is valid", () => {
    expect(planRotation(first, ctx(at(201)))).toBe("renew-ca");
    const next = applyPlan("renew-ca", first, ctx(at(201)));
    const bundle = splitPem(next.caBundle);
    expect(bundle).toHaveLength(2);
    expect(bundle[1]).toBe(splitPem(first.caBundle)[0]);
    const newCa = new X509Certificate(bundle[0] ?? "");
    expect(new X509Certificate(next.cert).checkIssued(newCa)).toBe(true);
    expect(planRotation(next, ctx(at(201)))).toBe("keep");
    // A serving renewal meanwhile keeps both CAs trusted.
    const renewed = applyPlan("renew-serving", next, ctx(at(262)));
    expect(splitPem(renewed.caBundle)).toEqual(bundle);
    // Once the old CA has expired it is dropped at the next CA renewal.
    const later = applyPlan("renew-ca", next, ctx(at(401)));
    expect(splitPem(later.caBundle)).toHaveLength(2);
    expect(splitPem(later.caBundle)).not.toContain(bundle[1]);
  });

  it("the Secret's data round-trips through base64 under the kubernetes.io/tls keys", () => {
    const data = secretData(first);
    expect(Object.keys(data).sort()).toEqual(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    expect(readSecretData({ data })).toEqual(first);
    expect(readSecretData({})).toBeUndefined();
  });
});

describe("caBundle patches", () => {
  const bundle = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  const encoded = Buffer.from(bundle).toString("base64");

  it("a webhook configuration gets one entry per webhook, merged by name", () => {
    const config = validatingWebhookConfiguration({
      service: { name: "metallb-webhook-service", namespace: "metallb-system" },
    });
    const patch = webhookCaBundlePatch(
      config.webhooks.map((w) => w.name),
      bundle,
    );
    expect(patch.webhooks).toHaveLength(6);
    expect(patch.webhooks[0]).toEqual({
      name: "ipaddresspoolvalidationwebhook.metallb.io",
      clientConfig: { caBundle: encoded },
    });
  });

  it("the CRD gets a merge patch on its conversion webhook only", () => {
    expect(conversionCaBundlePatch(bundle)).toEqual({
      spec: { conversion: { webhook: { clientConfig: { caBundle: encoded } } } },
    });
  });
});
