// Keeps ServiceL2Status (or ServiceBGPStatus) objects in line with what this
// node announces. Writing status never delays announcing: the speaker hands
// over the desired set and goes on; passes run one at a time, coalesced, and
// a failed pass is retried with backoff. Own creates are remembered until the
// watch shows them, so a lagging watch never causes a duplicate object.
import { API_GROUP } from "../../core/api/kind-names.ts";
import { apiErrorKind } from "../../core/api-errors.ts";
import { backoffDelay } from "../../core/backoff.ts";
import { errorText } from "../../core/errors.ts";
import { MERGE_PATCH, type ApiClient } from "../../core/kube/api-client.ts";
import { identityMetadata, type Informer } from "../../core/kube/informer.ts";
import {
  metallbInformer,
  metallbPath,
  type MetallbObject,
} from "../../core/kube/metallb-informer.ts";
import type { Logger } from "../../core/logger.ts";
import {
  NODE_LABEL,
  planStatusWrites,
  SERVICE_NAME_LABEL,
  SERVICE_NAMESPACE_LABEL,
  type StatusExtra,
  type StatusObject,
} from "./status-plan.ts";

export interface OwnerPod {
  readonly name: string;
  readonly uid: string;
}

export interface StatusWriterOptions {
  readonly api: ApiClient;
  readonly kind: "ServiceL2Status" | "ServiceBGPStatus";
  readonly namespace: string;
  readonly node: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** The speaker Pod, when known (POD_NAME/POD_UID): objects are garbage-collected with it. */
  readonly owner?: OwnerPod | undefined;
}

function toStatusObject(o: MetallbObject): StatusObject {
  const labels = o.metadata.labels ?? {};
  const status = (o.status ?? {}) as Record<string, unknown>;
  const { node, serviceName, serviceNamespace, ...extra } = status;
  return {
    name: o.metadata.name ?? "",
    node: labels[NODE_LABEL] ?? (typeof node === "string" ? node : ""),
    serviceKey: `${labels[SERVICE_NAMESPACE_LABEL] ?? ""}/${labels[SERVICE_NAME_LABEL] ?? ""}`,
    extra,
    hasStatus: serviceName !== undefined || serviceNamespace !== undefined,
  };
}

/** What toStatusObject reads, kept in the informer: one object per announced Service (10,000 of them, issue 5). */
function statusOnly(o: MetallbObject): MetallbObject {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: identityMetadata(o.metadata),
    status: o.status,
  };
}

export class StatusWriter {
  readonly #o: StatusWriterOptions;
  readonly #api: ApiClient;
  readonly #informer: Informer<MetallbObject>;
  readonly #prefix: string;
  /** serviceKey → name of an object we created that the watch has not shown yet. */
  readonly #created = new Map<string, StatusObject>();
  /** Names a write found deleted (404) while the watch may still list them. */
  readonly #gone = new Set<string>();
  #started = false;
  #desired: ReadonlyMap<string, StatusExtra> = new Map();
  #running = false;
  #again = false;
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;

  constructor(options: StatusWriterOptions) {
    this.#o = options;
    this.#api = options.api;
    this.#prefix = options.kind === "ServiceL2Status" ? "l2-" : "bgp-";
    this.#informer = metallbInformer({ ...options, kind: options.kind, keep: statusOnly });
    // Another speaker may delete or change our objects (a node that briefly
    // believed it owned the Service): every change is checked against what we
    // want. Our own creates stop being remembered once the watch reports them.
    for (const event of ["add", "update", "delete"] as const) {
      this.#informer.on(event, (o) => {
        this.#forgetCreated(o.metadata.name ?? "");
        if (this.#started) this.#kick();
      });
    }
    options.signal.addEventListener("abort", () => {
      clearTimeout(this.#retry);
    });
  }

  async start(): Promise<void> {
    await this.#informer.start();
    this.#started = true;
  }

  #forgetCreated(name: string): void {
    for (const [key, created] of this.#created) {
      if (created.name === name) this.#created.delete(key);
    }
  }

  /** The Services this node announces now (key → extra status fields). */
  setDesired(desired: ReadonlyMap<string, StatusExtra>): void {
    this.#desired = desired;
    this.#kick();
  }

  #kick(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#pass()
      .then(() => {
        this.#failures = 0;
        this.#done();
      })
      .catch((e: unknown) => {
        // Status is what users look at during an incident: retry soon, but jittered.
        const delay = backoffDelay(this.#failures++, { baseMs: 200, maxMs: 5_000 });
        this.#o.log.warn(
          { kind: this.#o.kind, err: errorText(e), retryInMs: delay },
          "status not written",
        );
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => {
          this.#kick();
        }, delay);
        this.#retry.unref();
        this.#running = false;
      });
  }

  #done(): void {
    this.#running = false;
    if (this.#again && !this.#o.signal.aborted) {
      this.#again = false;
      this.#kick();
    }
  }

  #existing(): StatusObject[] {
    const listed = this.#informer.list(this.#o.namespace).map(toStatusObject);
    // Objects we found deleted stay out of the plan until the watch drops them too.
    const listedNames = new Set(listed.map((o) => o.name));
    for (const name of this.#gone) if (!listedNames.has(name)) this.#gone.delete(name);
    const seen = listed.filter((o) => !this.#gone.has(o.name));
    const names = new Set(seen.map((s) => s.name));
    for (const [key, created] of this.#created) {
      if (names.has(created.name)) this.#created.delete(key);
      else seen.push(created);
    }
    return seen;
  }

  async #pass(): Promise<void> {
    if (this.#o.signal.aborted) return;
    const writes = planStatusWrites({
      node: this.#o.node,
      desired: this.#desired,
      existing: this.#existing(),
      exclusive: this.#o.kind === "ServiceL2Status",
    });
    for (const d of writes.delete) await this.#delete(d.name, d.serviceKey);
    for (const c of writes.create) await this.#create(c.serviceKey, c.extra);
    for (const p of writes.patch) await this.#patch(p.name, p.serviceKey, p.extra);
  }

  /** Written at v1beta1, the kinds' only version. */
  #path(): string {
    return metallbPath(this.#o.kind, this.#o.namespace);
  }

  async #delete(name: string, serviceKey: string): Promise<void> {
    try {
      await this.#api.call("DELETE", `${this.#path()}/${name}`);
    } catch (e: unknown) {
      if (apiErrorKind(e) !== "NotFound") throw e;
    }
    this.#gone.add(name);
    if (this.#created.get(serviceKey)?.name === name) this.#created.delete(serviceKey);
  }

  async #create(serviceKey: string, extra: StatusExtra): Promise<void> {
    const [namespace = "", name = ""] = serviceKey.split("/");
    const owner = this.#o.owner;
    const body = {
      apiVersion: `${API_GROUP}/v1beta1`,
      kind: this.#o.kind,
      metadata: {
        generateName: this.#prefix,
        namespace: this.#o.namespace,
        labels: {
          [NODE_LABEL]: this.#o.node,
          [SERVICE_NAME_LABEL]: name,
          [SERVICE_NAMESPACE_LABEL]: namespace,
        },
        ...(owner === undefined
          ? {}
          : {
              ownerReferences: [
                { apiVersion: "v1", kind: "Pod", name: owner.name, uid: owner.uid },
              ],
            }),
      },
      spec: {},
    };
    const created = await this.#api.call<MetallbObject>("POST", this.#path(), { body });
    const objectName = created.metadata.name ?? "";
    this.#created.set(serviceKey, {
      name: objectName,
      node: this.#o.node,
      serviceKey,
      extra: {},
      hasStatus: false,
    });
    await this.#patch(objectName, serviceKey, extra);
  }

  async #patch(name: string, serviceKey: string, extra: StatusExtra): Promise<void> {
    const [namespace = "", serviceName = ""] = serviceKey.split("/");
    const body = {
      status: { node: this.#o.node, serviceName, serviceNamespace: namespace, ...extra },
    };
    try {
      await this.#api.call("PATCH", `${this.#path()}/${name}/status`, {
        body,
        contentType: MERGE_PATCH,
      });
    } catch (e: unknown) {
      if (apiErrorKind(e) !== "NotFound") throw e;
      // Deleted under us (a node that briefly believed it owned the Service
      // removes others' objects): forget it and plan again, which creates a new one.
      if (this.#created.get(serviceKey)?.name === name) this.#created.delete(serviceKey);
      this.#gone.add(name);
      this.#again = true;
      return;
    }
    const created = this.#created.get(serviceKey);
    if (created?.name === name)
      this.#created.set(serviceKey, { ...created, extra, hasStatus: true });
  }
}
