// The speaker's cached view of the cluster: LoadBalancer Services with their
// assigned IPs, which nodes host their serving endpoints, the Nodes, and the
// metallb.io configuration. Informers keep it current and restart themselves
// after errors; when the API server is unreachable the view simply stops
// changing, so the speaker keeps announcing what it owns (issue 5).
//
// Objects are reduced to the few fields the decisions read as they arrive:
// the speaker's memory must not grow with Service objects' full size (target:
// under 80 MB with 10,000 Services).
import type { V1EndpointSlice, V1Node, V1ObjectMeta, V1Service } from "@kubernetes/client-node";
import {
  ALLOCATED_IPS_ANNOTATION,
  ANNOTATION,
  isOurs,
  readAnnotation,
} from "../core/allocator/service-request.ts";
import type { ConfigKind } from "../core/api/kind-names.ts";
import type { ApiClient } from "../core/kube/api-client.ts";
import { identityMetadata, Informer } from "../core/kube/informer.ts";
import { metallbInformer, type MetallbObject } from "../core/kube/metallb-informer.ts";
import type { Logger } from "../core/logger.ts";
import { formatIp, parseIp } from "../core/net/ip-address-text.ts";
import { CONFIG_SET_FIELD, type ConfigSet } from "../core/validation/config-set.ts";
import { Interner } from "./interner.ts";

export interface ServiceView {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Assigned IPs, canonical text: status.loadBalancer.ingress, else the webhook's annotation. */
  readonly ips: readonly string[];
  /** metallb.io/ip-allocated-from-pool. */
  readonly pool: string | undefined;
  readonly externalTrafficPolicyLocal: boolean;
  readonly sharingKey: string | undefined;
}

export interface NodeView {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ready: boolean;
  /** Condition NetworkUnavailable=True (MetalLB excludes such nodes, metallb-reference §4.2). */
  readonly networkUnavailable: boolean;
  /** InternalIP addresses: where this node's speaker hears heartbeats. */
  readonly addresses: readonly string[];
}

export interface EndpointView {
  /** Some endpoint anywhere can serve (serving, or ready when serving is absent). */
  readonly anyServing: boolean;
  /** Nodes hosting a serving endpoint. */
  readonly nodes: ReadonlySet<string>;
}

export interface SpeakerSnapshot {
  readonly services: readonly ServiceView[];
  readonly endpoints: ReadonlyMap<string, EndpointView>;
  readonly nodes: readonly NodeView[];
  readonly config: ConfigSet;
}

export interface ClusterViewOptions {
  readonly api: ApiClient;
  readonly namespace: string;
  readonly lbClass: string | undefined;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** Assigned IPs, canonical: status.loadBalancer.ingress, else the webhook's annotation. */
export function assignedIPs(svc: V1Service): string[] {
  const fromStatus = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "");
  const fromAnnotation = (svc.metadata?.annotations?.[ALLOCATED_IPS_ANNOTATION] ?? "").split(",");
  const raw = fromStatus.some((ip) => ip !== "") ? fromStatus : fromAnnotation;
  return raw.flatMap((text) => {
    const ip = parseIp(text.trim());
    return ip === undefined ? [] : [formatIp(ip)];
  });
}

export function readServiceView(
  svc: V1Service,
  lbClass: string | undefined,
): ServiceView | undefined {
  if (!isOurs(svc as Parameters<typeof isOurs>[0], lbClass)) return undefined;
  const { namespace = "", name = "", uid = "", labels = {}, annotations } = svc.metadata ?? {};
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    uid,
    labels,
    ips: assignedIPs(svc),
    pool: readAnnotation(annotations, ANNOTATION.allocatedFromPool)?.value,
    externalTrafficPolicyLocal: svc.spec?.externalTrafficPolicy === "Local",
    sharingKey: readAnnotation(annotations, ANNOTATION.allowSharedIP)?.value,
  };
}

export function readNodeView(node: V1Node): NodeView {
  const conditions = node.status?.conditions ?? [];
  const is = (type: string) => conditions.some((c) => c.type === type && c.status === "True");
  return {
    name: node.metadata?.name ?? "",
    labels: node.metadata?.labels ?? {},
    ready: is("Ready"),
    networkUnavailable: is("NetworkUnavailable"),
    addresses: (node.status?.addresses ?? [])
      .filter((a) => a.type === "InternalIP")
      .map((a) => a.address),
  };
}

/** Nodes of the serving endpoints of one slice (EndpointSlice conditions, KEP-1672). */
export function servingNodes(slice: V1EndpointSlice): { anyServing: boolean; nodes: string[] } {
  let anyServing = false;
  const nodes: string[] = [];
  for (const endpoint of slice.endpoints ?? []) {
    const c = endpoint.conditions ?? {};
    // `serving` is the newer, more precise condition; `ready` nil means ready.
    const serving = c.serving ?? c.ready ?? true;
    if (!serving) continue;
    anyServing = true;
    if (endpoint.nodeName !== undefined) nodes.push(endpoint.nodeName);
  }
  return { anyServing, nodes };
}

type SliceSummary = Readonly<ReturnType<typeof servingNodes>>;

/**
 * A Service's EndpointSlices: most Services have one, kept without a Map of
 * its own (a Map per Service was 0.3 KB of heap each; issue 5).
 */
type Slices = { readonly name: string; readonly summary: SliceSummary } | Map<string, SliceSummary>;

/** `slices` with `name`'s summary set (or removed when undefined); undefined when none is left. */
export function withSlice(
  slices: Slices | undefined,
  name: string,
  summary: SliceSummary | undefined,
): Slices | undefined {
  const all =
    slices instanceof Map
      ? slices
      : new Map(slices === undefined ? [] : [[slices.name, slices.summary]]);
  if (summary === undefined) all.delete(name);
  else all.set(name, summary);
  const [first, second] = all;
  if (first === undefined) return undefined;
  return second === undefined ? { name: first[0], summary: first[1] } : all;
}

/** What a slice summary and an endpoint view are shared by: the same serving nodes, in any order. */
function servingKey(anyServing: boolean, nodes: Iterable<string>): string {
  return `${String(anyServing)}|${[...nodes].sort().join()}`;
}

function summaries(slices: Slices | undefined): Iterable<SliceSummary> {
  if (slices === undefined) return [];
  return slices instanceof Map ? slices.values() : [slices.summary];
}

/**
 * What the informers keep of a Service, EndpointSlice or Node once the
 * reduced view has been read from it: identity, version and labels (a slice
 * deleted while the watch was down is matched to its Service by them). The
 * speaker's memory must not grow with these objects' full size (issue 5:
 * 10,000 Services).
 */
function identity<T extends { metadata?: V1ObjectMeta }>(obj: T): T {
  // Every field of these kinds but metadata is optional.
  return { metadata: identityMetadata(obj.metadata) } as T;
}

export class ClusterView {
  readonly #options: ClusterViewOptions;
  readonly #services: Informer<V1Service>;
  readonly #slices: Informer<V1EndpointSlice>;
  readonly #nodes: Informer<V1Node>;
  readonly #config = new Map<ConfigKind, Informer<MetallbObject>>();
  readonly #serviceViews = new Map<string, ServiceView>();
  /** service key → slice name → summary. */
  readonly #sliceViews = new Map<string, Slices>();
  /** Slices with the same serving nodes share one summary. */
  readonly #sharedSummaries = new Interner<SliceSummary>();
  readonly #nodeViews = new Map<string, NodeView>();
  // What snapshot() last built, kept while its inputs are unchanged: the
  // planners reuse their per-Service results for as long as a Service's view,
  // its endpoints, the Nodes and the configuration are the same objects, so a
  // change to one Service costs one Service's planning (issue 6: incremental).
  readonly #endpointViews = new Map<string, EndpointView>();
  /** Services whose endpoints are on the same nodes share one EndpointView. */
  readonly #sharedEndpointViews = new Interner<EndpointView>();
  #nodeList: readonly NodeView[] | undefined;
  #configSet: ConfigSet | undefined;
  /** kind/name → generation, uid and labels of the config objects seen. */
  readonly #configSeen = new Map<string, string>();
  readonly #listeners: (() => void)[] = [];
  #notifyScheduled = false;

  constructor(options: ClusterViewOptions) {
    this.#options = options;
    const { api, log, signal } = options;
    const keep = identity;
    this.#services = new Informer<V1Service>({ api, path: "/api/v1/services", log, signal, keep });
    this.#slices = new Informer<V1EndpointSlice>({
      api,
      path: "/apis/discovery.k8s.io/v1/endpointslices",
      log,
      signal,
      keep,
    });
    this.#nodes = new Informer<V1Node>({ api, path: "/api/v1/nodes", log, signal, keep });
    for (const kind of Object.keys(CONFIG_SET_FIELD) as ConfigKind[]) {
      this.#config.set(
        kind,
        metallbInformer({ api, kind, namespace: options.namespace, log, signal }),
      );
    }
    this.#wire();
  }

  #wire(): void {
    for (const event of ["add", "update", "delete"] as const) {
      const deleted = event === "delete";
      this.#services.on(event, (svc) => {
        this.#ingestService(svc, deleted);
      });
      this.#slices.on(event, (slice) => {
        this.#ingestSlice(slice, deleted);
      });
      this.#nodes.on(event, (node) => {
        this.#ingestNode(node, deleted);
      });
      for (const [kind, informer] of this.#config) {
        informer.on(event, (obj) => {
          this.#ingestConfig(kind, obj, deleted);
        });
      }
    }
  }

  async start(): Promise<void> {
    await Promise.all([
      this.#services.start(),
      this.#slices.start(),
      this.#nodes.start(),
      ...[...this.#config.values()].map((i) => i.start()),
    ]);
  }

  /** Called (coalesced, once per burst of events) after anything changed. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  #changed(): void {
    if (this.#notifyScheduled) return;
    this.#notifyScheduled = true;
    setImmediate(() => {
      this.#notifyScheduled = false;
      for (const listener of this.#listeners) listener();
    });
  }

  #ingestService(svc: V1Service, deleted: boolean): void {
    const key = `${svc.metadata?.namespace ?? ""}/${svc.metadata?.name ?? ""}`;
    // Only the reduced view is kept (and the informer keeps only identity()).
    const view = deleted ? undefined : readServiceView(svc, this.#options.lbClass);
    if (view === undefined) {
      this.#endpointViews.delete(key);
      if (!this.#serviceViews.delete(key)) return;
    } else {
      this.#serviceViews.set(key, view);
    }
    this.#changed();
  }

  #ingestSlice(slice: V1EndpointSlice, deleted: boolean): void {
    const meta = slice.metadata ?? {};
    const service = meta.labels?.[SERVICE_NAME_LABEL];
    if (service === undefined) return;
    const key = `${meta.namespace ?? ""}/${service}`;
    const name = meta.name ?? "";
    let summary: SliceSummary | undefined;
    if (!deleted) {
      const read = servingNodes(slice);
      summary = this.#sharedSummaries.get(servingKey(read.anyServing, read.nodes), () => read);
    }
    const slices = withSlice(this.#sliceViews.get(key), name, summary);
    if (slices === undefined) this.#sliceViews.delete(key);
    else this.#sliceViews.set(key, slices);
    this.#endpointViews.delete(key);
    if (this.#serviceViews.has(key)) this.#changed();
  }

  #ingestNode(node: V1Node, deleted: boolean): void {
    const name = node.metadata?.name ?? "";
    const view = deleted ? undefined : readNodeView(node);
    const old = this.#nodeViews.get(name);
    // Status-only updates that change nothing read here keep every plan valid.
    if (view !== undefined && old !== undefined && JSON.stringify(view) === JSON.stringify(old)) {
      return;
    }
    if (view === undefined) this.#nodeViews.delete(name);
    else this.#nodeViews.set(name, view);
    this.#nodeList = undefined;
    this.#changed();
  }

  /**
   * A config object changed. Status writes (the reconciler updates
   * IPAddressPool counts on every allocation) leave generation, uid and
   * labels alone and are not a change: they would otherwise invalidate every
   * Service's plan on every create.
   */
  #ingestConfig(kind: ConfigKind, obj: MetallbObject, deleted: boolean): void {
    const { name = "", uid = "", generation = 0, labels = {} } = obj.metadata;
    const id = `${kind}/${name}`;
    const fingerprint = `${uid}|${String(generation)}|${JSON.stringify(labels)}`;
    if (deleted) this.#configSeen.delete(id);
    else if (this.#configSeen.get(id) === fingerprint) return;
    else this.#configSeen.set(id, fingerprint);
    this.#configSet = undefined;
    this.#changed();
  }

  get synced(): boolean {
    return (
      this.#services.synced &&
      this.#slices.synced &&
      this.#nodes.synced &&
      [...this.#config.values()].every((i) => i.synced)
    );
  }

  snapshot(): SpeakerSnapshot {
    const endpoints = new Map<string, EndpointView>();
    for (const key of this.#serviceViews.keys()) endpoints.set(key, this.#endpointView(key));
    this.#nodeList ??= [...this.#nodeViews.values()];
    this.#configSet ??= this.#readConfig();
    return {
      services: [...this.#serviceViews.values()],
      endpoints,
      nodes: this.#nodeList,
      config: this.#configSet,
    };
  }

  #endpointView(key: string): EndpointView {
    const cached = this.#endpointViews.get(key);
    if (cached !== undefined) return cached;
    const nodes = new Set<string>();
    let anyServing = false;
    for (const summary of summaries(this.#sliceViews.get(key))) {
      anyServing ||= summary.anyServing;
      for (const n of summary.nodes) nodes.add(n);
    }
    const view = this.#sharedEndpointViews.get(servingKey(anyServing, nodes), () => ({
      anyServing,
      nodes,
    }));
    this.#endpointViews.set(key, view);
    return view;
  }

  #readConfig(): ConfigSet {
    const config: Record<string, MetallbObject[]> = {};
    for (const [kind, informer] of this.#config) {
      config[CONFIG_SET_FIELD[kind]] = [...informer.list(this.#options.namespace)];
    }
    return config as unknown as ConfigSet;
  }
}
