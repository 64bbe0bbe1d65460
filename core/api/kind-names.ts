// The metallb.io kinds by name: group, plurals, storage versions. No schema
// here, so a process that only reads and writes these objects (the speaker)
// does not load typebox and build every kind's schema at start-up: that
// import alone was about 10 MB of the speaker's RSS (issue 5; BENCHMARKS.md,
// l2). kinds.ts adds the schemas and printer columns for the CRDs and the
// validators.

export const API_GROUP = "metallb.io";

/** MetalLB's namespace; every configuration object lives there (metallb-reference.md §0). */
export const DEFAULT_NAMESPACE = "metallb-system";

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

export type ApiVersionName = "v1beta1" | "v1beta2";

export const PLURALS: Readonly<Record<MetallbKind, string>> = {
  IPAddressPool: "ipaddresspools",
  L2Advertisement: "l2advertisements",
  BGPAdvertisement: "bgpadvertisements",
  BGPPeer: "bgppeers",
  Community: "communities",
  BFDProfile: "bfdprofiles",
  ServiceL2Status: "servicel2statuses",
  ServiceBGPStatus: "servicebgpstatuses",
  ConfigurationState: "configurationstates",
  IPAddressClaim: "ipaddressclaims",
};

/** The version etcd stores: v1beta1, but v1beta2 for BGPPeer (metallb-reference.md §1, §1.4). */
export function storageVersion(kind: MetallbKind): ApiVersionName {
  return kind === "BGPPeer" ? "v1beta2" : "v1beta1";
}
