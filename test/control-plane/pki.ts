// Certificates and keys for a throw-away kube-apiserver on 127.0.0.1 and for a
// webhook that the apiserver calls on the host's loopback. Same material as
// pki.sh in /work/shared/notes/test-infra.md §4.1, generated with `openssl`
// through execFile (argument arrays, never a shell string), so paths with odd
// characters cannot turn into commands.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  webhookCert: string;
  webhookKey: string;
  /** Service-account token signing key (private) and its public half for verification. */
  saKey: string;
  saPub: string;
  /** Admin kubeconfig (client cert in O=system:masters), certificates embedded. */
  adminKubeconfig: string;
}

export interface PkiOptions {
  /** Where the files go; created if missing. */
  dir: string;
  /** URL written into the admin kubeconfig, e.g. https://127.0.0.1:6443. */
  server: string;
  /**
   * First IP of --service-cluster-ip-range: in-cluster clients reach the
   * apiserver as the `kubernetes` Service at that address, so it must be a SAN.
   */
  serviceIp: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const detail = err.code === "ENOENT" ? "openssl is not installed" : (err.stderr ?? "").trim();
    throw new Error(`openssl ${args.join(" ")} failed: ${detail || err.message}`, { cause: e });
  }
}

// A random serial instead of -CAcreateserial: the leaves are signed in
// parallel, and a shared ca.srl file would be a race.
function serial(): string {
  // Leading 0x1… keeps it positive and non-zero as an ASN.1 INTEGER.
  return `0x1${randomBytes(15).toString("hex")}`;
}

interface Leaf {
  /** File stem in `dir`: NAME.key, NAME.crt (plus the .csr and .ext it is made from). */
  name: string;
  subject: string;
  /** openssl x509 -extfile lines. */
  extensions: string[];
}

async function signLeaf(
  dir: string,
  ca: { cert: string; key: string },
  { name, subject, extensions }: Leaf,
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    csr,
    "-subj",
    subject,
  ]);
  // The extension file is written by us from fixed strings; openssl reads it
  // itself, so no process substitution (`<(printf …)`) is needed as in pki.sh.
  await writeFile(ext, extensions.join("\n") + "\n");
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-set_serial",
    serial(),
    "-days",
    "3650",
    "-out",
    cert,
    "-extfile",
    ext,
  ]);
  return { cert, key };
}

function kubeconfigYaml(opts: {
  server: string;
  ca: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
}): string {
  // Written by hand (no kubectl needed before the binaries exist); every value
  // is either base64 or a URL we built, so no YAML quoting issues can arise
  // beyond the server URL, which is quoted.
  const b64 = (b: Buffer): string => b.toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: local",
    "    cluster:",
    `      server: ${JSON.stringify(opts.server)}`,
    `      certificate-authority-data: ${b64(opts.ca)}`,
    "users:",
    "  - name: admin",
    "    user:",
    `      client-certificate-data: ${b64(opts.clientCert)}`,
    `      client-key-data: ${b64(opts.clientKey)}`,
    "contexts:",
    "  - name: local",
    "    context:",
    "      cluster: local",
    "      user: admin",
    "current-context: local",
    "",
  ].join("\n");
}

export async function generatePki(opts: PkiOptions): Promise<Pki> {
  const { dir } = opts;
  await mkdir(dir, { recursive: true });
  const ca = { cert: join(dir, "ca.crt"), key: join(dir, "ca.key") };
  // Explicit CA extensions so the result does not depend on the distribution's
  // openssl.cnf defaults; Go refuses a parent without basicConstraints CA:TRUE.
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    ca.key,
    "-out",
    ca.cert,
    "-days",
    "3650",
    "-subj",
    "/CN=metallb-ts-test-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]);

  const leafUsage = "keyUsage=critical,digitalSignature,keyEncipherment";
  const saKey = join(dir, "sa.key");
  const saPub = join(dir, "sa.pub");
  // Key generation dominates the time, so the independent steps run together.
  const [apiserver, admin, webhook] = await Promise.all([
    signLeaf(dir, ca, {
      name: "apiserver",
      subject: "/CN=kube-apiserver",
      extensions: [
        `subjectAltName=IP:127.0.0.1,IP:${opts.serviceIp},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local`,
        "basicConstraints=critical,CA:FALSE",
        leafUsage,
        "extendedKeyUsage=serverAuth",
      ],
    }),
    // The apiserver maps O= to groups: system:masters bypasses RBAC.
    signLeaf(dir, ca, {
      name: "admin",
      subject: "/O=system:masters/CN=admin",
      extensions: ["basicConstraints=critical,CA:FALSE", leafUsage, "extendedKeyUsage=clientAuth"],
    }),
    // Go's TLS ignores the CN; the webhook URL uses https://127.0.0.1:…, so
    // the IP SAN is what the apiserver checks.
    signLeaf(dir, ca, {
      name: "webhook",
      subject: "/CN=127.0.0.1",
      extensions: [
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "basicConstraints=critical,CA:FALSE",
        leafUsage,
        "extendedKeyUsage=serverAuth",
      ],
    }),
    (async () => {
      await openssl(["genrsa", "-out", saKey, "2048"]);
      await openssl(["rsa", "-in", saKey, "-pubout", "-out", saPub]);
    })(),
  ]);

  const adminKubeconfig = join(dir, "admin.kubeconfig");
  const [caPem, adminPem, adminKeyPem] = await Promise.all([
    readFile(ca.cert),
    readFile(admin.cert),
    readFile(admin.key),
  ]);
  await writeFile(
    adminKubeconfig,
    kubeconfigYaml({
      server: opts.server,
      ca: caPem,
      clientCert: adminPem,
      clientKey: adminKeyPem,
    }),
    { mode: 0o600 },
  );

  return {
    dir,
    caCert: ca.cert,
    caKey: ca.key,
    apiserverCert: apiserver.cert,
    apiserverKey: apiserver.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    webhookCert: webhook.cert,
    webhookKey: webhook.key,
    saKey,
    saPub,
    adminKubeconfig,
  };
}
