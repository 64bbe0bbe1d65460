// The metallb.io kinds we serve, with what the CRDs need beyond the schema:
// versions and printer columns; names and plurals come from kind-names.ts.
// One entry per kind; crd-manifests.ts and the validators read from here.
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
import { PLURALS, storageVersion, type ApiVersionName, type MetallbKind } from "./kind-names.ts";

export {
  API_GROUP,
  CONFIG_KINDS,
  DEFAULT_NAMESPACE,
  INTERNAL_KINDS,
  STATUS_KINDS,
  type ConfigKind,
  type InternalKind,
  type MetallbKind,
  type StatusKind,
} from "./kind-names.ts";

export interface PrinterColumn {
  readonly name: string;
  readonly type: "string" | "boolean" | "integer" | "date";
  readonly jsonPath: string;
  /** 10 hides the column unless `-o wide` (MetalLB's Node Selectors columns). */
  readonly priority?: number;
}

export interface VersionDefinition {
  readonly name: ApiVersionName;
  readonly storage: boolean;
  readonly deprecationWarning?: string;
  readonly spec: TSchema;
  readonly specRequired: boolean;
  readonly status?: TSchema;
  readonly columns: readonly PrinterColumn[];
}

export interface KindDefinition {
  readonly kind: MetallbKind;
  readonly plural: string;
  readonly description: string;
  readonly versions: readonly VersionDefinition[];
}

/** A version as written below; `storage` comes from kind-names.ts's storageVersion(). */
type Version = Omit<VersionDefinition, "storage">;

const v1beta1 = (
  spec: TSchema,
  columns: readonly PrinterColumn[],
  extra: Partial<Version> = {},
): Version => ({
  name: "v1beta1",
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

interface Definition extends Omit<KindDefinition, "plural" | "versions"> {
  readonly versions: readonly Version[];
}

const DEFINITIONS: Readonly<Record<MetallbKind, Definition>> = {
  IPAddressPool: {
    kind: "IPAddressPool",
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
    description: "A BGP router the speakers open sessions to.",
    versions: [
      v1beta1(BGPPeerSpecV1beta1, peerColumns, {
        deprecationWarning: "v1beta1 is deprecated, please use v1beta2",
      }),
      {
        name: "v1beta2",
        spec: BGPPeerSpecV1beta2,
        specRequired: false,
        columns: peerColumns,
      },
    ],
  },
  Community: {
    kind: "Community",
    description: "Named aliases for BGP community values.",
    versions: [v1beta1(CommunitySpec, [])],
  },
  BFDProfile: {
    kind: "BFDProfile",
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
    description: "Which node and interfaces announce a Service over Layer 2.",
    versions: [
      v1beta1(EmptySpec, announcementColumns("Allocated Node"), {
        status: ServiceL2StatusStatus,
      }),
    ],
  },
  ServiceBGPStatus: {
    kind: "ServiceBGPStatus",
    description: "Which peers a node advertises a Service to.",
    versions: [v1beta1(EmptySpec, announcementColumns("Node"), { status: ServiceBGPStatusStatus })],
  },
  ConfigurationState: {
    kind: "ConfigurationState",
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

/** Every kind with its plural (kind-names.ts, where the speaker reads it without the schemas). */
export const KINDS = Object.fromEntries(
  (Object.entries(DEFINITIONS) as [MetallbKind, Definition][]).map(
    ([kind, d]): [MetallbKind, KindDefinition] => [
      kind,
      {
        ...d,
        plural: PLURALS[kind],
        versions: d.versions.map((v) => ({ ...v, storage: v.name === storageVersion(kind) })),
      },
    ],
  ),
) as Readonly<Record<MetallbKind, KindDefinition>>;

export function isMetallbKind(kind: string): kind is MetallbKind {
  return Object.hasOwn(KINDS, kind);
}
