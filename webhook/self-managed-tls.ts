// Self-managed webhook TLS, for installs without cert-manager (manifests
// overlay `self-managed`): the webhook keeps a CA and a serving certificate in
// one Secret, renews them before they expire, writes the pair where
// --tls-cert/--tls-key point (tls-files.ts reloads it without a restart), and
// patches the CA into both webhook configurations and the BGPPeer CRD's
// conversion webhook. A first install then works the first time: MetalLB's
// most common install failure is a webhook certificate error.
//
// Certificates are built with node-forge (pure JS, no dependencies);
// @peculiar/x509 would need a global reflect-metadata polyfill. Keys come
// from node:crypto. Node can read X.509 (X509Certificate) but cannot issue it.
import { generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Secret,
} from "@kubernetes/client-node";
import forge from "node-forge";
import { apiErrorKind } from "../core/api-errors.ts";
import { KINDS } from "../core/api/kinds.ts";
import {
  MUTATING_CONFIGURATION_NAME,
  VALIDATING_CONFIGURATION_NAME,
} from "../core/api/webhook-configurations.ts";
import { errorText, MetallbError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { TlsFiles } from "./tls-files.ts";

/** The Secret the self-managed overlay grants the webhook (and nothing else). */
export const SELF_MANAGED_SECRET_NAME = "metallb-webhook-cert";
/** MetalLB's Service name for its webhook: the serving certificate's DNS names. */
export const WEBHOOK_SERVICE_NAME = "metallb-webhook-service";
/** The CRD whose conversion webhook needs the CA (BGPPeer v1beta1 <-> v1beta2). */
export const CONVERSION_CRD_NAME = `${KINDS.BGPPeer.plural}.metallb.io`;

const DAY_MS = 86_400_000;

export interface Lifetimes {
  readonly caMs: number;
  readonly servingMs: number;
  /** Renew when less than this fraction of a certificate's lifetime is left (cert-manager's 1/3). */
  readonly renewFraction: number;
}

export const DEFAULT_LIFETIMES: Lifetimes = {
  caMs: 5 * 365 * DAY_MS,
  servingMs: 365 * DAY_MS,
  renewFraction: 1 / 3,
};

/** What the Secret holds, as PEM text. caBundle: the current CA first, then a previous one still valid. */
export interface TlsSecretData {
  readonly caBundle: string;
  readonly caKey: string;
  readonly cert: string;
  readonly key: string;
}

/** The names a client in the cluster may dial the Service by. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

function newKeyPair(): { publicPem: string; privatePem: string } {
  // RSA 2048: what every API server and kubelet accept; node-forge signs only RSA.
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  return { publicPem: publicKey, privatePem: privateKey };
}

/** A positive serial (RFC 5280 §4.1.2.2: ≤ 20 octets, positive; Go rejects negative ones). */
function serial(): string {
  return `01${randomBytes(15).toString("hex")}`;
}

interface Issued {
  readonly cert: string;
  readonly key: string;
}

function baseCertificate(publicPem: string, now: Date, lifetimeMs: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = serial();
  // Five minutes back: a node whose clock is slightly behind still accepts it.
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000);
  cert.validity.notAfter = new Date(now.getTime() + lifetimeMs);
  return cert;
}

export function issueCa(now: Date, lifetimeMs: number): Issued {
  const pair = newKeyPair();
  const cert = baseCertificate(pair.publicPem, now, lifetimeMs);
  const subject = [{ name: "commonName", value: `metallb-ts-webhook-ca-${now.getTime()}` }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    // RFC 5280 §4.2.1.9: a CA certificate; pathLen 0, it signs only leaves.
    { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(pair.privatePem), forge.md.sha256.create());
  return { cert: lf(forge.pki.certificateToPem(cert)), key: pair.privatePem };
}

export function issueServing(
  ca: Issued,
  dnsNames: readonly string[],
  now: Date,
  lifetimeMs: number,
): Issued {
  const pair = newKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const cert = baseCertificate(pair.publicPem, now, lifetimeMs);
  cert.setSubject([{ name: "commonName", value: dnsNames[0] ?? "webhook" }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    // Go's TLS client ignores the CN: the names must be in subjectAltName (RFC 6125 §6.4.4).
    { name: "subjectAltName", altNames: dnsNames.map((value) => ({ type: 2, value })) },
    {
      name: "authorityKeyIdentifier",
      keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes(),
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.key), forge.md.sha256.create());
  return { cert: lf(forge.pki.certificateToPem(cert)), key: pair.privatePem };
}

/** node-forge writes CRLF; the Secret and the bundles use LF throughout. */
function lf(pem: string): string {
  return pem.replace(/\r\n/g, "\n");
}

/** The PEM certificates in a bundle, in order, each ending in a newline. */
export function splitPem(bundle: string): string[] {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g);
  return (blocks ?? []).map((b) => `${lf(b)}\n`);
}

export type RotationPlan = "create" | "keep" | "renew-serving" | "renew-ca";

function renewDue(cert: X509Certificate, now: Date, fraction: number): boolean {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return now.getTime() >= to - (to - from) * fraction;
}

function parse(pem: string | undefined): X509Certificate | undefined {
  if (pem === undefined) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function servingFits(serving: X509Certificate, ca: X509Certificate, dnsNames: readonly string[]) {
  return serving.checkIssued(ca) && dnsNames.every((n) => serving.checkHost(n) === n);
}

/** When and for which names certificates are judged and issued. */
export interface RotationContext {
  readonly now: Date;
  readonly dnsNames: readonly string[];
  readonly lifetimes: Lifetimes;
}

function parseSecret(
  data: TlsSecretData,
): { ca: X509Certificate; serving: X509Certificate | undefined } | undefined {
  if (data.caKey === "" || data.key === "") return undefined;
  const ca = parse(splitPem(data.caBundle)[0]);
  return ca === undefined ? undefined : { ca, serving: parse(data.cert) };
}

function servingCurrent(
  serving: X509Certificate | undefined,
  ca: X509Certificate,
  ctx: RotationContext,
): boolean {
  return (
    serving !== undefined &&
    !renewDue(serving, ctx.now, ctx.lifetimes.renewFraction) &&
    servingFits(serving, ca, ctx.dnsNames)
  );
}

/**
 * What to do with what the Secret holds now: anything missing or unreadable
 * starts over; a CA in its last third is replaced; a serving certificate in
 * its last third, for other names or from another CA is reissued.
 */
export function planRotation(data: TlsSecretData | undefined, ctx: RotationContext): RotationPlan {
  const parsed = data === undefined ? undefined : parseSecret(data);
  if (parsed === undefined) return "create";
  if (renewDue(parsed.ca, ctx.now, ctx.lifetimes.renewFraction)) return "renew-ca";
  return servingCurrent(parsed.serving, parsed.ca, ctx) ? "keep" : "renew-serving";
}

function validAt(pem: string, now: Date): boolean {
  const cert = parse(pem);
  return cert !== undefined && Date.parse(cert.validTo) > now.getTime();
}

/** The Secret's next contents for a plan (the same object for "keep"). */
export function applyPlan(
  plan: RotationPlan,
  data: TlsSecretData | undefined,
  ctx: RotationContext,
): TlsSecretData {
  if (plan === "keep" && data !== undefined) return data;
  const bundle = splitPem(data?.caBundle ?? "");
  const current = bundle[0];
  const ca =
    plan === "renew-serving" && current !== undefined && data !== undefined
      ? { cert: current, key: data.caKey }
      : issueCa(ctx.now, ctx.lifetimes.caMs);
  // Earlier CAs stay trusted while valid: a replica that has not yet read the
  // renewed Secret still serves a certificate one of them signed.
  const kept = plan === "create" ? [] : bundle.filter((p) => p !== ca.cert && validAt(p, ctx.now));
  const serving = issueServing(ca, ctx.dnsNames, ctx.now, ctx.lifetimes.servingMs);
  return {
    caBundle: [ca.cert, ...kept].join(""),
    caKey: ca.key,
    cert: serving.cert,
    key: serving.key,
  };
}

const KEYS = { caBundle: "ca.crt", caKey: "ca.key", cert: "tls.crt", key: "tls.key" } as const;

export function secretData(data: TlsSecretData): Record<string, string> {
  return Object.fromEntries(
    Object.entries(KEYS).map(([field, key]) => [
      key,
      Buffer.from(data[field as keyof TlsSecretData]).toString("base64"),
    ]),
  );
}

export function readSecretData(secret: V1Secret | undefined): TlsSecretData | undefined {
  const raw = secret?.data;
  if (raw === undefined) return undefined;
  const text = (key: string): string => Buffer.from(raw[key] ?? "", "base64").toString("utf8");
  return {
    caBundle: text(KEYS.caBundle),
    caKey: text(KEYS.caKey),
    cert: text(KEYS.cert),
    key: text(KEYS.key),
  };
}

/**
 * Strategic merge patch for a webhook configuration: webhooks merge by name
 * (their patchMergeKey), so only each webhook's caBundle changes.
 */
export function webhookCaBundlePatch(
  webhookNames: readonly string[],
  caBundle: string,
): { webhooks: { name: string; clientConfig: { caBundle: string } }[] } {
  const encoded = Buffer.from(caBundle).toString("base64");
  return {
    webhooks: webhookNames.map((name) => ({ name, clientConfig: { caBundle: encoded } })),
  };
}

/** JSON merge patch (RFC 7386) for the CRD's conversion webhook. */
export function conversionCaBundlePatch(caBundle: string): {
  spec: { conversion: { webhook: { clientConfig: { caBundle: string } } } };
} {
  const encoded = Buffer.from(caBundle).toString("base64");
  return { spec: { conversion: { webhook: { clientConfig: { caBundle: encoded } } } } };
}

export interface SelfManagedTlsOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly secretName: string;
  readonly serviceName: string;
  readonly files: TlsFiles;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** How often the Secret is re-checked (default 1 h; renewals start a third of a year early). */
  readonly intervalMs?: number;
  /** Delay after a failed check (default 10 s). */
  readonly retryMs?: number;
  readonly lifetimes?: Lifetimes;
  readonly now?: () => Date;
  /** The objects that get the caBundle (default: ours, CA_BUNDLE_TARGETS). */
  readonly targets?: CaBundleTargets;
}

export interface CaBundleTargets {
  readonly validating: string;
  readonly mutating: string;
  readonly crd: string;
}

export const CA_BUNDLE_TARGETS: CaBundleTargets = {
  validating: VALIDATING_CONFIGURATION_NAME,
  mutating: MUTATING_CONFIGURATION_NAME,
  crd: CONVERSION_CRD_NAME,
};

const SMP = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

class SelfManagedTls {
  readonly #o: SelfManagedTlsOptions;
  readonly #core: CoreV1Api;
  readonly #admission: AdmissionregistrationV1Api;
  readonly #crds: ApiextensionsV1Api;

  constructor(options: SelfManagedTlsOptions) {
    this.#o = options;
    this.#core = options.kc.makeApiClient(CoreV1Api);
    this.#admission = options.kc.makeApiClient(AdmissionregistrationV1Api);
    this.#crds = options.kc.makeApiClient(ApiextensionsV1Api);
  }

  /** Makes the Secret current and writes the serving pair from it. */
  async ensureFiles(): Promise<TlsSecretData> {
    const data = await this.#secretUpToDate();
    await this.#writeFiles(data);
    return data;
  }

  /** ensureFiles, then the caBundles follow the Secret. */
  async sync(): Promise<void> {
    const data = await this.ensureFiles();
    await this.#patchCaBundles(data.caBundle);
  }

  async #readSecret(): Promise<V1Secret | undefined> {
    const { namespace, secretName: name } = this.#o;
    try {
      return await this.#core.readNamespacedSecret({ name, namespace });
    } catch (e: unknown) {
      if (apiErrorKind(e) === "NotFound") return undefined;
      throw new MetallbError("TLS_SECRET_READ_FAILED", `reading Secret ${namespace}/${name}`, {
        cause: e,
      });
    }
  }

  /** Two replicas race here: the loser of a create or update re-reads and takes the winner's. */
  async #secretUpToDate(): Promise<TlsSecretData> {
    const ctx: RotationContext = {
      now: this.#o.now?.() ?? new Date(),
      dnsNames: serviceDnsNames(this.#o.serviceName, this.#o.namespace),
      lifetimes: this.#o.lifetimes ?? DEFAULT_LIFETIMES,
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const secret = await this.#readSecret();
      const current = readSecretData(secret);
      const plan = planRotation(current, ctx);
      if (plan === "keep" && current !== undefined) return current;
      const next = applyPlan(plan, current, ctx);
      if (await this.#writeSecret(secret, next)) {
        this.#o.log.info({ secret: this.#o.secretName, plan }, "webhook certificate written");
        return next;
      }
    }
    throw new MetallbError(
      "TLS_SECRET_CONTENDED",
      `Secret ${this.#o.namespace}/${this.#o.secretName} kept changing under three attempts to update it`,
    );
  }

  /** false when another writer got there first (AlreadyExists, stale resourceVersion). */
  async #writeSecret(secret: V1Secret | undefined, next: TlsSecretData): Promise<boolean> {
    const { namespace, secretName: name } = this.#o;
    const resourceVersion = secret?.metadata?.resourceVersion;
    const body: V1Secret = {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: { name, namespace, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
      data: secretData(next),
    };
    try {
      if (secret === undefined) await this.#core.createNamespacedSecret({ namespace, body });
      else await this.#core.replaceNamespacedSecret({ name, namespace, body });
      return true;
    } catch (e: unknown) {
      const kind = apiErrorKind(e);
      if (kind === "AlreadyExists" || kind === "Conflict") return false;
      throw new MetallbError("TLS_SECRET_WRITE_FAILED", `writing Secret ${namespace}/${name}`, {
        cause: e,
      });
    }
  }

  async #writeFiles(data: TlsSecretData): Promise<void> {
    const { certFile, keyFile } = this.#o.files;
    const onDisk = await readFile(certFile, "utf8").catch(() => "");
    if (onDisk === data.cert) return;
    // Key first, each through a rename: the reloader never pairs a new
    // certificate with the old key for longer than one poll.
    for (const [file, text] of [
      [keyFile, data.key],
      [certFile, data.cert],
    ] as const) {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, text, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    }
  }

  async #patchCaBundles(caBundle: string): Promise<void> {
    const targets = this.#o.targets ?? CA_BUNDLE_TARGETS;
    const validating = await this.#admission.readValidatingWebhookConfiguration({
      name: targets.validating,
    });
    await this.#admission.patchValidatingWebhookConfiguration(
      {
        name: targets.validating,
        body: webhookCaBundlePatch(validating.webhooks?.map((w) => w.name) ?? [], caBundle),
      },
      SMP,
    );
    const mutating = await this.#admission.readMutatingWebhookConfiguration({
      name: targets.mutating,
    });
    await this.#admission.patchMutatingWebhookConfiguration(
      {
        name: targets.mutating,
        body: webhookCaBundlePatch(mutating.webhooks?.map((w) => w.name) ?? [], caBundle),
      },
      SMP,
    );
    await this.#crds.patchCustomResourceDefinition(
      { name: targets.crd, body: conversionCaBundlePatch(caBundle) },
      MERGE,
    );
  }
}

/**
 * Writes the serving pair before returning (the server needs it to start),
 * then re-checks every intervalMs. A failed check keeps the current
 * certificate and is retried after retryMs: the webhook configurations may not
 * exist yet when the first replica starts, and a renewal has a third of a
 * lifetime to succeed.
 */
export async function startSelfManagedTls(options: SelfManagedTlsOptions): Promise<void> {
  const tls = new SelfManagedTls(options);
  await tls.ensureFiles();
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    tls.sync().then(
      () => {
        schedule(options.intervalMs ?? 3_600_000);
      },
      (e: unknown) => {
        options.log.warn({ err: errorText(e) }, "self-managed TLS check failed; retrying");
        schedule(options.retryMs ?? 10_000);
      },
    );
  };
  const schedule = (ms: number): void => {
    if (options.signal.aborted) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  options.signal.addEventListener("abort", () => {
    clearTimeout(timer);
  });
  tick();
}
