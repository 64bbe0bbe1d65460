// L2Advertisement (metallb.io/v1beta1): which pools are announced over ARP/NDP,
// from which nodes and interfaces (metallb-reference.md §1.2).
import { Type, type Static } from "typebox";
import { Int32, LabelSelector, LabelSelectors, StringList } from "./schema-building-blocks.ts";

export const L2AdvertisementSpec = Type.Object({
  ipAddressPools: StringList("Pools announced by this advertisement, by name."),
  ipAddressPoolSelectors: LabelSelectors(
    "Pools announced by this advertisement, by label. With ipAddressPools also empty, every pool is announced.",
  ),
  nodeSelectors: LabelSelectors("Nodes that may announce; empty means every node."),
  interfaces: StringList("Interfaces to announce on; empty means every interface."),
  serviceSelectors: LabelSelectors("Services announced, by label; empty means every Service."),
  preferredNodeSelectors: Type.Optional(
    Type.Array(
      Type.Object({
        weight: Int32({ minimum: 1, maximum: 100, description: "Added to a node's score." }),
        preference: LabelSelector,
      }),
      { description: "Soft preferences for the announcing node, summed per node." },
    ),
  ),
});
export type L2AdvertisementSpec = Static<typeof L2AdvertisementSpec>;
