// BGPPeer passwordSecret: the MD5 key lives in a Secret of type
// kubernetes.io/basic-auth, key `password`, looked up by name in the MetalLB
// namespace (metallb-reference §1.4; the reference's namespace is ignored, as
// in MetalLB). Only the Secrets some peer names are read (no cluster-wide
// Secret watch); each is re-read periodically so a rotated key reaches the
// session (a changed key resets that one session).
import type { V1Secret } from "@kubernetes/client-node";
import type { ApiClient } from "../../core/kube/api-client.ts";
import { errorText } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { BGPPeerSpecV1beta2 } from "../../core/api/bgp-peer.ts";
import type { KubeObject } from "../../core/api/schema-building-blocks.ts";

export interface PeerSecretsOptions {
  readonly api: ApiClient;
  readonly namespace: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Called when a password became known or changed. */
  readonly onChange: () => void;
  readonly refreshMs?: number;
}

/** The Secret names BGPPeers reference. */
export function referencedSecrets(peers: readonly KubeObject<BGPPeerSpecV1beta2>[]): Set<string> {
  const names = new Set<string>();
  for (const p of peers) {
    const name = p.spec?.passwordSecret?.name;
    if (name !== undefined && name !== "") names.add(name);
  }
  return names;
}

/** The password of a basic-auth Secret, or why it cannot be used. */
export function secretPassword(secret: {
  type?: string;
  data?: Record<string, string>;
}): { ok: true; password: string } | { ok: false; reason: string } {
  if (secret.type !== "kubernetes.io/basic-auth") {
    return { ok: false, reason: `secret type mismatch: ${secret.type ?? "(none)"}` };
  }
  const encoded = secret.data?.password;
  if (encoded === undefined) return { ok: false, reason: "password not specified in the secret" };
  return { ok: true, password: Buffer.from(encoded, "base64").toString("utf8") };
}

export class PeerSecrets {
  readonly #o: PeerSecretsOptions;
  readonly #api: ApiClient;
  readonly #passwords = new Map<string, string>();
  readonly #inFlight = new Set<string>();
  #wanted = new Set<string>();
  readonly #timer: NodeJS.Timeout;

  constructor(options: PeerSecretsOptions) {
    this.#o = options;
    this.#api = options.api;
    this.#timer = setInterval(() => {
      for (const name of this.#wanted) this.#fetch(name);
    }, options.refreshMs ?? 30_000);
    this.#timer.unref();
    options.signal.addEventListener("abort", () => {
      clearInterval(this.#timer);
    });
  }

  /** Known passwords of the named Secrets; unknown ones are fetched (onChange follows). */
  passwords(names: ReadonlySet<string>): ReadonlyMap<string, string> {
    this.#wanted = new Set(names);
    for (const name of names) {
      if (!this.#passwords.has(name)) this.#fetch(name);
    }
    for (const name of this.#passwords.keys()) {
      if (!names.has(name)) this.#passwords.delete(name);
    }
    return this.#passwords;
  }

  #fetch(name: string): void {
    if (this.#inFlight.has(name) || this.#o.signal.aborted) return;
    this.#inFlight.add(name);
    this.#api
      .call<V1Secret>("GET", `/api/v1/namespaces/${this.#o.namespace}/secrets/${name}`)
      .then((secret) => {
        const result = secretPassword(secret);
        if (!result.ok) {
          this.#o.log.warn({ secret: name, reason: result.reason }, "BGP password secret unusable");
          return;
        }
        if (this.#passwords.get(name) === result.password) return;
        this.#passwords.set(name, result.password);
        this.#o.onChange();
      })
      .catch((e: unknown) => {
        this.#o.log.warn({ secret: name, err: errorText(e) }, "BGP password secret not readable");
      })
      .finally(() => {
        this.#inFlight.delete(name);
      });
  }
}
