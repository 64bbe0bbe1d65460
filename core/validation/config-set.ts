// The set of metallb.io configuration objects validated together: what the
// webhook fetches from the API plus the object under review, or every object
// in the files given to `metallb-ts validate`.
import type { BFDProfileSpec } from "../api/bfd-profile.ts";
import type { BGPAdvertisementSpec } from "../api/bgp-advertisement.ts";
import type { BGPPeerSpecV1beta2 } from "../api/bgp-peer.ts";
import type { CommunitySpec } from "../api/community.ts";
import type { IPAddressPoolSpec } from "../api/ip-address-pool.ts";
import type { L2AdvertisementSpec } from "../api/l2-advertisement.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";

export interface ConfigSet {
  readonly pools: readonly KubeObject<IPAddressPoolSpec>[];
  readonly l2Advertisements: readonly KubeObject<L2AdvertisementSpec>[];
  readonly bgpAdvertisements: readonly KubeObject<BGPAdvertisementSpec>[];
  /** BGPPeers in v1beta2 form (v1beta1 objects are converted first). */
  readonly peers: readonly KubeObject<BGPPeerSpecV1beta2>[];
  readonly communities: readonly KubeObject<CommunitySpec>[];
  readonly bfdProfiles: readonly KubeObject<BFDProfileSpec>[];
}

export const EMPTY_CONFIG_SET: ConfigSet = {
  pools: [],
  l2Advertisements: [],
  bgpAdvertisements: [],
  peers: [],
  communities: [],
  bfdProfiles: [],
};

export const CONFIG_SET_FIELD = {
  IPAddressPool: "pools",
  L2Advertisement: "l2Advertisements",
  BGPAdvertisement: "bgpAdvertisements",
  BGPPeer: "peers",
  Community: "communities",
  BFDProfile: "bfdProfiles",
} as const satisfies Record<string, keyof ConfigSet>;
