// Takes and gives back IPs through IPAddressClaim objects. The API server is
// the arbiter: a create that answers AlreadyExists means another writer (a
// second webhook replica, the reconciler) holds the IP, and a stale
// resourceVersion on update means the claim changed under us.
import { apiErrorKind } from "../api-errors.ts";
import type { ClaimHolder, IPAddressClaimSpec } from "../api/ip-address-claim.ts";
import { API_GROUP } from "../api/kind-names.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import type { Holder } from "../allocator/allocation-types.ts";
import { claimName } from "../allocator/claim-names.ts";
import { MetallbError } from "../errors.ts";
import { formatIp, type IpAddress } from "../net/ip-address-text.ts";
import type { ApiClient } from "./api-client.ts";
import { metallbPath } from "./metallb-informer.ts";

export type ClaimObject = KubeObject<IPAddressClaimSpec>;

export const CLAIM_VERSION = "v1beta1";

export type ClaimOutcome =
  | { readonly ok: true; readonly claim: ClaimObject }
  /** Someone else wrote the claim first; here is what it says now. */
  | { readonly ok: false; readonly current: ClaimObject | undefined };

export function holderOf(h: Holder): ClaimHolder {
  const [namespace = "", name = ""] = h.serviceKey.split("/");
  return {
    namespace,
    name,
    ...(h.uid === undefined ? {} : { uid: h.uid }),
    ...(h.sharingKey === undefined ? {} : { sharingKey: h.sharingKey }),
    backendKey: h.backendKey,
    ports: h.ports.map((p) => ({ protocol: p.protocol, port: p.port })),
  };
}

export function holderKey(h: ClaimHolder): string {
  return `${h.namespace}/${h.name}`;
}

export class ClaimWriter {
  readonly #api: ApiClient;
  readonly #namespace: string;
  /** The claims' collection path. */
  readonly #path: string;

  constructor(api: ApiClient, namespace: string) {
    this.#api = api;
    this.#namespace = namespace;
    this.#path = metallbPath("IPAddressClaim", namespace, CLAIM_VERSION);
  }

  read(ip: IpAddress): Promise<ClaimObject | undefined> {
    return this.readByName(claimName(ip));
  }

  /** Creates the claim of a free IP. */
  async create(ip: IpAddress, pool: string, holder: Holder): Promise<ClaimOutcome> {
    const body: ClaimObject = {
      apiVersion: `${API_GROUP}/${CLAIM_VERSION}`,
      kind: "IPAddressClaim",
      metadata: { name: claimName(ip), namespace: this.#namespace },
      spec: { ip: formatIp(ip), pool, holders: [holderOf(holder)] },
    };
    try {
      const claim = await this.#api.call<ClaimObject>("POST", this.#path, { body });
      return { ok: true, claim };
    } catch (e: unknown) {
      if (apiErrorKind(e) === "AlreadyExists") return { ok: false, current: await this.read(ip) };
      throw new MetallbError("CLAIM_CREATE_FAILED", `claiming ${formatIp(ip)}`, { cause: e });
    }
  }

  /** Writes `holders` into an existing claim, if it is still at `claim`'s resourceVersion. */
  async replaceHolders(claim: ClaimObject, holders: ClaimHolder[]): Promise<ClaimOutcome> {
    const name = claim.metadata.name ?? "";
    const body = { ...claim, spec: { ...(claim.spec as IPAddressClaimSpec), holders } };
    try {
      if (holders.length === 0) {
        await this.#api.call("DELETE", `${this.#path}/${name}`, {
          body: { preconditions: { resourceVersion: claim.metadata.resourceVersion ?? "" } },
        });
        return { ok: true, claim: body };
      }
      const updated = await this.#api.call<ClaimObject>("PUT", `${this.#path}/${name}`, { body });
      return { ok: true, claim: updated };
    } catch (e: unknown) {
      const kind = apiErrorKind(e);
      if (kind === "Conflict" || kind === "NotFound") {
        return { ok: false, current: await this.readByName(name) };
      }
      throw new MetallbError("CLAIM_UPDATE_FAILED", `updating claim ${name}`, { cause: e });
    }
  }

  async readByName(name: string): Promise<ClaimObject | undefined> {
    try {
      return await this.#api.call<ClaimObject>("GET", `${this.#path}/${name}`);
    } catch (e: unknown) {
      if (apiErrorKind(e) === "NotFound") return undefined;
      throw new MetallbError("CLAIM_READ_FAILED", `reading claim ${name}`, { cause: e });
    }
  }
}
