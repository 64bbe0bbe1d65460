// The metallb.io kinds we serve, with what the CRDs need beyond the schema:
// names, versions, printer columns. One entry per kind; crd-manifests.ts and
// the validators read from here.
import type { TSchema } from "typebox";
import { BFDProfileSpec } from "./bfd-profile.ts";
import { BGPAdvertisementSpec } from "./bgp-advertisement.ts";
import { BGPPeerSpecV1beta1, BGPPeerSpecV1beta2 } from "./bgp-peer.ts";
import { CommunitySpec } from "./community.ts";
import { ConfigurationStateStatus } from "./configuration-state.ts";
import { IPAddressClaimSpec } from "./ip-address-claim.ts";
import { IPAddressPoolSpec, IPAddressPoolStatus } from "./ip-address-pool.ts";
import { L2AdvertisementSpec } from "./l2-advertisement.ts";
import { EmptySpec, ServiceBGPStatusStatus, ServiceL2StatusStatus } from "./announcement-status.ts";

export const API_GROUP = "metallb.io";

/** MetalLB's namespace; every configuration object lives there (metallb-reference.md §0). */
export const DEFAULT_NAMESPACE = "metallb-system";

export interface PrinterColumn {
  readonly name: string;
  readonly type: "string" | "boolean" | "integer" | "date";
  readonly jsonPath: string;
  /** 10 hides the column unless `-o wide` (MetalLB's Node Selectors columns). */
  readonly priority?: number;
}

export interface VersionDefinition {
  readonly name: "v1beta1" | "v1beta2";
  readonly storage: boolean;
  readonly deprecationWarning?: string;
  readonly spec: TSchema;
  readonly specRequired: boolean;
  readonly status?: TSchema;
  readonly columns: readonly PrinterColumn[];
}

export const CONFIG_KINDS = [
  "IPAddressPool",
  "L2Advertisement",
  "BGPAdvertisement",
  "BGPPeer",
  "Community",
  "BFDProfile",
] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

export const STATUS_KINDS = ["ServiceL2Status", "ServiceBGPStatus", "ConfigurationState"] as const;
export type StatusKind = (typeof STATUS_KINDS)[number];

/** Kinds of ours that MetalLB does not have. */
export const INTERNAL_KINDS = ["IPAddressClaim"] as const;
export type InternalKind = (typeof INTERNAL_KINDS)[number];

export type MetallbKind = ConfigKind | StatusKind | InternalKind;

export interface KindDefinition {
  readonly kind: MetallbKind;
  readonly plural: string;
  readonly description: string;
  readonly versions: readonly VersionDefinition[];
}

const v1beta1 = (
  spec: TSchema,
  columns: readonly PrinterColumn[],
  extra: Partial<VersionDefinition> = {},
): VersionDefinition => ({
  name: "v1beta1",
  storage: true,
  spec,
  specRequired: false,
  columns,
  ...extra,
});

const poolColumns: PrinterColumn[] = [
  { name: "IPAddressPools", type: "string", jsonPath: ".spec.ipAddressPools" },
  { name: "IPAddressPool Selectors", type: "string", jsonPath: ".spec.ipAddressPoolSelectors" },
];
const nodeSelectorColumn: PrinterColumn = {
  name: "Node Selectors",
  type: "string",
  jsonPath: ".spec.nodeSelectors",
  priority: 10,
};
const peerColumns: PrinterColumn[] = [
  { name: "Address", type: "string", jsonPath: ".spec.peerAddress" },
  { name: "ASN", type: "string", jsonPath: ".spec.peerASN" },
  { name: "BFD Profile", type: "string", jsonPath: ".spec.bfdProfile" },
  { name: "Multi Hops", type: "string", jsonPath: ".spec.ebgpMultiHop" },
];
const announcementColumns = (nodeColumn: string): PrinterColumn[] => [
  { name: nodeColumn, type: "string", jsonPath: ".status.node" },
  { name: "Service Name", type: "string", jsonPath: ".status.serviceName" },
  { name: "Service Namespace", type: "string", jsonPath: ".status.serviceNamespace" },
];

export const KINDS: Readonly<Record<MetallbKind, KindDefinition>> = {
  IPAddressPool: {
    kind: "IPAddressPool",
    plural: "ipaddresspools",
    description: "A set of IP addresses that LoadBalancer Services may be assigned.",
    versions: [
      v1beta1(
        IPAddressPoolSpec,
        [
          { name: "Auto Assign", type: "boolean", jsonPath: ".spec.autoAssign" },
          { name: "Avoid Buggy IPs", type: "boolean", jsonPath: ".spec.avoidBuggyIPs" },
          { name: "Addresses", type: "string", jsonPath: ".spec.addresses" },
        ],
        { specRequired: true, status: IPAddressPoolStatus },
      ),
    ],
  },
  L2Advertisement: {
    kind: "L2Advertisement",
    plural: "l2advertisements",
    description: "Announces the IPs of selected pools over ARP (IPv4) and NDP (IPv6).",
    versions: [
      v1beta1(L2AdvertisementSpec, [
        ...poolColumns,
        { name: "Interfaces", type: "string", jsonPath: ".spec.interfaces" },
        nodeSelectorColumn,
      ]),
    ],
  },
  BGPAdvertisement: {
    kind: "BGPAdvertisement",
    plural: "bgpadvertisements",
    description: "Announces the IPs of selected pools to BGP peers.",
    versions: [
      v1beta1(BGPAdvertisementSpec, [
        ...poolColumns,
        { name: "Peers", type: "string", jsonPath: ".spec.peers" },
        nodeSelectorColumn,
      ]),
    ],
  },
  BGPPeer: {
    kind: "BGPPeer",
    plural: "bgppeers",
    description: "A BGP router the speakers open sessions to.",
    versions: [
      v1beta1(BGPPeerSpecV1beta1, peerColumns, {
        storage: false,
        deprecationWarning: "v1beta1 is deprecated, please use v1beta2",
      }),
      {
        name: "v1beta2",
        storage: true,
        spec: BGPPeerSpecV1beta2,
        specRequired: false,
        columns: peerColumns,
      },
    ],
  },
  Community: {
    kind: "Community",
    plural: "communities",
    description: "Named aliases for BGP community values.",
    versions: [v1beta1(CommunitySpec, [])],
  },
  BFDProfile: {
    kind: "BFDProfile",
    plural: "bfdprofiles",
    description: "BFD session parameters that BGPPeers refer to by name.",
    versions: [
      v1beta1(BFDProfileSpec, [
        { name: "Passive Mode", type: "boolean", jsonPath: ".spec.passiveMode" },
        { name: "Transmit Interval", type: "integer", jsonPath: ".spec.transmitInterval" },
        { name: "Receive Interval", type: "integer", jsonPath: ".spec.receiveInterval" },
        { name: "Multiplier", type: "integer", jsonPath: ".spec.detectMultiplier" },
      ]),
    ],
  },
  ServiceL2Status: {
    kind: "ServiceL2Status",
    plural: "servicel2statuses",
    description: "Which node and interfaces announce a Service over Layer 2.",
    versions: [
      v1beta1(EmptySpec, announcementColumns("Allocated Node"), {
        status: ServiceL2StatusStatus,
      }),
    ],
  },
  ServiceBGPStatus: {
    kind: "ServiceBGPStatus",
    plural: "servicebgpstatuses",
    description: "Which peers a node advertises a Service to.",
    versions: [v1beta1(EmptySpec, announcementColumns("Node"), { status: ServiceBGPStatusStatus })],
  },
  ConfigurationState: {
    kind: "ConfigurationState",
    plural: "configurationstates",
    description: "A component's verdict on the configuration it last loaded.",
    versions: [
      v1beta1(
        EmptySpec,
        [
          { name: "Result", type: "string", jsonPath: ".status.result" },
          { name: "ErrorSummary", type: "string", jsonPath: ".status.errorSummary" },
          { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
        ],
        { status: ConfigurationStateStatus },
      ),
    ],
  },
  IPAddressClaim: {
    kind: "IPAddressClaim",
    plural: "ipaddressclaims",
    description: "An assigned IP address and the Services holding it (metallb-ts only).",
    versions: [
      v1beta1(
        IPAddressClaimSpec,
        [
          { name: "IP", type: "string", jsonPath: ".spec.ip" },
          { name: "Pool", type: "string", jsonPath: ".spec.pool" },
          { name: "Services", type: "string", jsonPath: ".spec.holders[*].name" },
          { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
        ],
        { specRequired: true },
      ),
    ],
  },
};

export function isMetallbKind(kind: string): kind is MetallbKind {
  return Object.hasOwn(KINDS, kind);
}
