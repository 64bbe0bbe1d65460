// What `npm run lab` configures and creates: MetalLB's own objects, as a user
// would write them, for the LAN of topology.ts (nodes n1…n3 at 192.0.2.11…,
// router rtr at 192.0.2.1 in AS 64512, test-infra.md §2.1), and three demo
// Services. Plain data, no I/O.
import { DEFAULT_NAMESPACE } from "../../core/api/kinds.ts";

export const ROUTER_ASN = 64512;
export const SPEAKER_ASN = 64513;
/** Where the demo Services live (kept apart from `default`'s `kubernetes` Service). */
export const DEMO_NAMESPACE = "demo";
/** The port of every demo Service and of the HTTP listener on each node. */
export const DEMO_PORT = 8080;

/** L2 pool: on the LAN itself, so the client reaches it by ARP/NDP. */
export const L2_POOL = "lan";
export const L2_RANGES = ["192.0.2.100-192.0.2.119", "2001:db8:1::100-2001:db8:1::11f"];
/** BGP pool: off the LAN (RFC 5737 TEST-NET-3), reachable only through the router. */
export const BGP_POOL = "bgp";
export const BGP_RANGES = ["203.0.113.0/28"];

type Json = Record<string, unknown>;

function metallb(kind: string, name: string, spec: Json): Json {
  return {
    apiVersion: kind === "BGPPeer" ? "metallb.io/v1beta2" : "metallb.io/v1beta1",
    kind,
    metadata: { name, namespace: DEFAULT_NAMESPACE },
    spec,
  };
}

/** The example configuration: one pool per mode, its advertisement, and the router as peer. */
export function exampleConfiguration(): Json[] {
  return [
    metallb("IPAddressPool", L2_POOL, { addresses: L2_RANGES }),
    metallb("L2Advertisement", L2_POOL, { ipAddressPools: [L2_POOL] }),
    // autoAssign false: only Services asking for it by name get a BGP address.
    metallb("IPAddressPool", BGP_POOL, { addresses: BGP_RANGES, autoAssign: false }),
    metallb("BGPPeer", "rtr", {
      myASN: SPEAKER_ASN,
      peerASN: ROUTER_ASN,
      peerAddress: "192.0.2.1",
      holdTime: "9s",
      keepaliveTime: "3s",
    }),
    metallb("BGPAdvertisement", BGP_POOL, { ipAddressPools: [BGP_POOL] }),
  ];
}

export interface DemoService {
  readonly name: string;
  readonly mode: "l2" | "bgp";
  readonly manifest: Json;
}

function service(name: string, spec: Json, annotations: Record<string, string> = {}): Json {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: DEMO_NAMESPACE, annotations },
    // No selector: there are no pods (no kubelet); the lab writes the
    // EndpointSlices itself, one endpoint per node.
    spec: {
      type: "LoadBalancer",
      ports: [{ name: "http", port: DEMO_PORT, protocol: "TCP" }],
      ...spec,
    },
  };
}

/** Created without an IP: the webhook assigns one, the reconciler publishes it. */
export function demoServices(): DemoService[] {
  return [
    { name: "web-l2", mode: "l2", manifest: service("web-l2", {}) },
    {
      name: "web-dual",
      mode: "l2",
      manifest: service("web-dual", {
        ipFamilyPolicy: "RequireDualStack",
        ipFamilies: ["IPv4", "IPv6"],
      }),
    },
    {
      name: "web-bgp",
      mode: "bgp",
      manifest: service("web-bgp", {}, { "metallb.io/address-pool": BGP_POOL }),
    },
  ];
}
