// Creating many LoadBalancer Services fast for the BGP bench: the kube
// client with a fixed number of requests in flight, no NodePorts
// (allocateLoadBalancerNodePorts false: 10,000 Services would exhaust the
// NodePort range), IPs written through the status subresource, and one
// EndpointSlice per Service (a Service without a serving endpoint is not
// announced, metallb-reference §5.1).
import {
  CoreV1Api,
  DiscoveryV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from "@kubernetes/client-node";

const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Where the bulk Services' IPs come from: shared address space (RFC 6598), only ever inside the lab's namespaces; 16,384 addresses. */
export const BULK_POOL = "100.64.64.0/18";

/** The i-th address of BULK_POOL. Pure. */
export function bulkIp(i: number): string {
  return `100.64.${String(64 + Math.floor(i / 256))}.${String(i % 256)}`;
}

/** Runs `one(i)` for i in [0, count) with `concurrency` calls in flight. */
export async function inParallel(
  count: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) await one(i);
    }),
  );
}

export interface EndpointTarget {
  readonly node: string;
  readonly address: string;
}

/** One EndpointSlice with a serving endpoint on each target, for the Service `name`. */
export async function createEndpointSlice(
  discovery: DiscoveryV1Api,
  namespace: string,
  name: string,
  targets: readonly EndpointTarget[],
): Promise<void> {
  await discovery.createNamespacedEndpointSlice({
    namespace,
    body: {
      metadata: {
        name: `${name}-bench`,
        labels: {
          "kubernetes.io/service-name": name,
          "endpointslice.kubernetes.io/managed-by": "bgp-bench",
        },
      },
      addressType: "IPv4",
      endpoints: targets.map((t) => ({
        addresses: [t.address],
        nodeName: t.node,
        conditions: { ready: true, serving: true },
      })),
      ports: [{ name: "http", port: 80, protocol: "TCP" }],
    },
  });
}

export interface BulkOptions {
  readonly namespace: string;
  readonly count: number;
  readonly pool: string;
  readonly ip: (i: number) => string;
  readonly endpoints: readonly EndpointTarget[];
  readonly concurrency?: number;
  /** spec.loadBalancerClass (default none). */
  readonly lbClass?: string;
  /**
   * Request `ip(i)` (metallb.io/loadBalancerIPs) instead of writing status,
   * for when a controller is running: it assigns that very IP and writes
   * status itself (two writers would race on the status).
   */
  readonly requestIp?: boolean;
}

function bulkAnnotations(o: BulkOptions, i: number): Record<string, string> {
  return o.requestIp === true
    ? { "metallb.io/loadBalancerIPs": o.ip(i) }
    : { "metallb.io/ip-allocated-from-pool": o.pool };
}

/** `count` Services `bulk-<i>` with IP `ip(i)` in status (or requested) and an EndpointSlice each. */
export async function createBulkServices(kc: KubeConfig, o: BulkOptions): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  await inParallel(o.count, o.concurrency ?? 24, async (i) => {
    const name = `bulk-${String(i)}`;
    await core.createNamespacedService({
      namespace: o.namespace,
      body: {
        metadata: { name, annotations: bulkAnnotations(o, i) },
        spec: {
          type: "LoadBalancer",
          ...(o.lbClass === undefined ? {} : { loadBalancerClass: o.lbClass }),
          allocateLoadBalancerNodePorts: false,
          ports: [{ name: "http", port: 80, protocol: "TCP" }],
        },
      },
    });
    if (o.requestIp !== true) {
      await core.patchNamespacedServiceStatus(
        {
          name,
          namespace: o.namespace,
          body: { status: { loadBalancer: { ingress: [{ ip: o.ip(i) }] } } },
        },
        MERGE,
      );
    }
    await createEndpointSlice(discovery, o.namespace, name, o.endpoints);
  });
}
