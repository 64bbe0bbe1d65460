// A SpeakerSnapshot as the cluster view builds it, without a cluster: N
// Services with one IPv4 each in one pool, one L2Advertisement for it, M
// Ready nodes, every Service served on every node. For the planner's cost.
import type { ServiceView, SpeakerSnapshot } from "../../speaker/cluster-view.ts";
import { EMPTY_CONFIG_SET } from "../../core/validation/config-set.ts";

/** The i-th address of 198.18.0.0/15 (RFC 2544 benchmarking space). */
export function benchIp(i: number): string {
  return `198.${String(18 + (i >> 16))}.${String((i >> 8) & 0xff)}.${String(i & 0xff)}`;
}

export function syntheticSnapshot(services: number, nodes: number): SpeakerSnapshot {
  const names = Array.from({ length: nodes }, (_, i) => `node-${String(i + 1)}`);
  const views: ServiceView[] = Array.from({ length: services }, (_, i) => ({
    key: `bench/svc-${String(i)}`,
    namespace: "bench",
    name: `svc-${String(i)}`,
    uid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    labels: { app: `svc-${String(i)}` },
    ips: [benchIp(i)],
    pool: "bench",
    externalTrafficPolicyLocal: false,
    sharingKey: undefined,
  }));
  return {
    services: views,
    endpoints: new Map(views.map((v) => [v.key, { anyServing: true, nodes: new Set(names) }])),
    nodes: names.map((name, i) => ({
      name,
      labels: { "kubernetes.io/hostname": name },
      ready: true,
      networkUnavailable: false,
      addresses: [`10.0.${String(i >> 8)}.${String(i & 0xff)}`],
    })),
    config: {
      ...EMPTY_CONFIG_SET,
      pools: [
        {
          apiVersion: "metallb.io/v1beta1",
          kind: "IPAddressPool",
          metadata: { name: "bench", namespace: "metallb-system" },
          spec: { addresses: ["198.18.0.0/15"] },
        },
      ],
      l2Advertisements: [
        {
          apiVersion: "metallb.io/v1beta1",
          kind: "L2Advertisement",
          metadata: { name: "bench", namespace: "metallb-system" },
          spec: { ipAddressPools: ["bench"] },
        },
      ],
    },
  };
}
