// BGPAdvertisement (metallb.io/v1beta1): which pools are announced over BGP,
// to which peers, with which attributes (metallb-reference.md §1.3).
import { Type, type Static } from "typebox";
import { Int32, LabelSelectors, StringList, withCel } from "./schema-building-blocks.ts";

export const BGPAdvertisementSpec = withCel(
  Type.Object({
    aggregationLength: Type.Optional(
      Int32({
        default: 32,
        minimum: 1,
        description: "Prefix length announced for IPv4 addresses (the address masked to it).",
      }),
    ),
    aggregationLengthV6: Type.Optional(
      Int32({ default: 128, description: "Prefix length announced for IPv6 addresses." }),
    ),
    localPref: Type.Optional(
      Type.Integer({
        format: "int32",
        description: "LOCAL_PREF attribute, sent to iBGP peers (RFC 4271 §5.1.5).",
      }),
    ),
    communities: StringList(
      "BGP communities: 'A:B' (RFC 1997), 'large:A:B:C' (RFC 8092), a well-known name, or the name of an alias from a Community object.",
    ),
    ipAddressPools: StringList("Pools announced by this advertisement, by name."),
    ipAddressPoolSelectors: LabelSelectors(
      "Pools announced, by label. With ipAddressPools also empty, every pool is announced.",
    ),
    nodeSelectors: LabelSelectors("Nodes that announce (are next hops); empty means every node."),
    peers: StringList("BGPPeer names that hear these routes; empty means every peer."),
    serviceSelectors: LabelSelectors("Services announced, by label; empty means every Service."),
  }),
  [
    {
      // MetalLB's own CRD rule: a per-Service selection cannot be combined with
      // aggregation, which merges Services into one prefix.
      rule: "!has(self.serviceSelectors) || size(self.serviceSelectors) == 0 || ((!has(self.aggregationLength) || self.aggregationLength == 32) && (!has(self.aggregationLengthV6) || self.aggregationLengthV6 == 128))",
      message:
        "serviceSelectors and aggregationLength are mutually exclusive, can only be used together with default aggregationLength (32) and aggregationLengthV6 (128)",
      code: "BGPADV_SELECTORS_WITH_AGGREGATION",
      holds: (s) =>
        (s.serviceSelectors ?? []).length === 0 ||
        ((s.aggregationLength ?? 32) === 32 && (s.aggregationLengthV6 ?? 128) === 128),
    },
  ],
);
export type BGPAdvertisementSpec = Static<typeof BGPAdvertisementSpec>;
