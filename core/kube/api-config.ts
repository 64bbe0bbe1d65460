// Where the API server is and how to prove who we are, from a kubeconfig file
// or the Pod's ServiceAccount: what api-client.ts needs and nothing more.
// @kubernetes/client-node's KubeConfig does the same, but importing it loads
// the whole generated API (about 85 MB of RSS, BENCHMARKS.md "l2"), which is
// more than the speaker's whole memory target. Supported: client certificates,
// bearer tokens (inline or from a file, re-read as they rotate), a CA, and
// insecure-skip-tls-verify; exec and auth-provider plugins are not (every
// component runs in-cluster or with a certificate or token kubeconfig).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import type * as Yaml from "yaml";
import { errorText, MetallbError } from "../errors.ts";

export interface ApiConfig {
  /** https://host:port, no trailing slash. */
  readonly server: string;
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  readonly insecureSkipTlsVerify: boolean;
  /** The bearer token for the next request, if any (a file is re-read: tokens rotate). */
  readonly token: () => string | undefined;
  /** Where this came from, for error messages. */
  readonly source: string;
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Projected ServiceAccount tokens rotate hourly at most; re-reading every minute is ample. */
const TOKEN_FILE_TTL_MS = 60_000;

interface NamedEntry {
  readonly name?: unknown;
  readonly [k: string]: unknown;
}

function invalid(source: string, field: string, detail: string): MetallbError {
  return new MetallbError("KUBECONFIG_INVALID", `${source}: ${field}: ${detail}`);
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function named(list: unknown, name: string, key: string, source: string): Record<string, unknown> {
  const entries = Array.isArray(list) ? (list as NamedEntry[]) : [];
  const found = entries.find((e) => e.name === name);
  if (found === undefined) throw invalid(source, `${key}s`, `no entry named "${name}"`);
  return record(found[key]);
}

/** `<field>-data` (base64) or `<field>` (a path, relative to the kubeconfig's directory). */
function material(entry: Record<string, unknown>, field: string, dir: string): Buffer | undefined {
  const path = str(entry[field]);
  return dataOrFile(
    str(entry[`${field}-data`]),
    path === undefined || path.startsWith("/") ? path : join(dir, path),
  );
}

/** Base64 `data` if given, else the contents of `file` if given: a kubeconfig's two spellings of a certificate or key. */
export function dataOrFile(data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data !== undefined) return Buffer.from(data, "base64");
  return file === undefined ? undefined : readFileSync(file);
}

/** A token read from `path`, cached for TOKEN_FILE_TTL_MS. */
function tokenFromFile(path: string): () => string | undefined {
  let cached: { value: string; at: number } | undefined;
  return () => {
    const now = Date.now();
    if (cached === undefined || now - cached.at > TOKEN_FILE_TTL_MS) {
      cached = { value: readFileSync(path, "utf8").trim(), at: now };
    }
    return cached.value;
  };
}

/**
 * A kubeconfig's document. JSON (which is YAML too) is read without the YAML
 * parser, which is loaded only for YAML: in a Pod there is no kubeconfig,
 * and loading it anyway was about 8 MB of the speaker's RSS (issue 5).
 */
function parseDocument(text: string, path: string): unknown {
  if (text.trimStart().startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch {
      // Not JSON after all: YAML reads it, or says what is wrong with it.
    }
  }
  const yaml = createRequire(import.meta.url)("yaml") as typeof Yaml;
  try {
    return yaml.parse(text);
  } catch (e: unknown) {
    throw new MetallbError(
      "KUBECONFIG_INVALID",
      `${path}: neither YAML nor JSON: ${errorText(e)}`,
      {
        cause: e,
      },
    );
  }
}

/** Parses a kubeconfig's text; `path` names it in errors and anchors relative file paths. */
export function parseKubeconfig(text: string, path: string): ApiConfig {
  const doc = record(parseDocument(text, path));
  const contextName = str(doc["current-context"]);
  if (contextName === undefined) throw invalid(path, "current-context", "missing");
  const context = named(doc.contexts, contextName, "context", path);
  const cluster = named(doc.clusters, str(context.cluster) ?? "", "cluster", path);
  const user =
    str(context.user) === undefined ? {} : named(doc.users, str(context.user) ?? "", "user", path);
  const server = str(cluster.server);
  if (server === undefined) throw invalid(path, `clusters[${contextName}].server`, "missing");
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  return {
    server: server.replace(/\/+$/, ""),
    ca: material(cluster, "certificate-authority", dir),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    ...userAuth(user, dir, path),
    source: path,
  };
}

/** The user's client certificate and token (inline, or a file re-read as it rotates). */
function userAuth(
  user: Record<string, unknown>,
  dir: string,
  path: string,
): Pick<ApiConfig, "cert" | "key" | "token"> {
  if (user.exec !== undefined || user["auth-provider"] !== undefined) {
    throw invalid(path, "users[].user", "exec and auth-provider plugins are not supported");
  }
  const inline = str(user.token);
  const tokenFile = str(user.tokenFile);
  const token =
    inline !== undefined
      ? () => inline
      : tokenFile !== undefined
        ? tokenFromFile(tokenFile)
        : () => undefined;
  return {
    cert: material(user, "client-certificate", dir),
    key: material(user, "client-key", dir),
    token,
  };
}

/** The Pod's ServiceAccount, as client-go's rest.InClusterConfig. */
export function inClusterConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  if (host === undefined) throw invalid("in-cluster", "KUBERNETES_SERVICE_HOST", "not set");
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(SERVICE_ACCOUNT_DIR, "ca.crt")),
    cert: undefined,
    key: undefined,
    insecureSkipTlsVerify: false,
    token: tokenFromFile(join(SERVICE_ACCOUNT_DIR, "token")),
    source: "in-cluster ServiceAccount",
  };
}

/**
 * --kubeconfig, else $KUBECONFIG (its first path), else the in-cluster
 * ServiceAccount, else ~/.kube/config: client-node's loadFromDefault order.
 */
export function loadApiConfig(path?: string, env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const file = path ?? str(env.KUBECONFIG?.split(":")[0]);
  if (file !== undefined) return parseKubeconfig(readFileSync(file, "utf8"), file);
  if (env.KUBERNETES_SERVICE_HOST !== undefined) return inClusterConfig(env);
  const home = join(homedir(), ".kube", "config");
  return parseKubeconfig(readFileSync(home, "utf8"), home);
}
