// IPAddressPool (metallb.io/v1beta1): the addresses we may hand out.
// Fields, defaults and columns as MetalLB v0.16 (metallb-reference.md §1.1).
import { Type, type Static } from "typebox";
import { Int64, LabelSelectors, StringList } from "./schema-building-blocks.ts";

export const ServiceAllocation = Type.Object(
  {
    priority: Type.Optional(
      Type.Integer({
        description:
          "Priority of this pool for the namespaces and services it selects. A lower positive number is a higher priority; 0 or unset is the lowest.",
      }),
    ),
    namespaces: StringList("Namespaces whose Services this pool is pinned to."),
    namespaceSelectors: LabelSelectors(
      "Namespaces (by label) whose Services this pool is pinned to.",
    ),
    serviceSelectors: LabelSelectors(
      "Services (by label) this pool is pinned to; any one matches.",
    ),
  },
  { description: "Pins the pool to namespaces and Services, with a priority." },
);

export const IPAddressPoolSpec = Type.Object({
  addresses: Type.Array(Type.String(), {
    description:
      "CIDRs (10.0.0.0/24, fc00::/64) or ranges (10.0.0.1-10.0.0.9) of IPv4 and IPv6 addresses to assign.",
  }),
  autoAssign: Type.Optional(
    Type.Boolean({
      default: true,
      description:
        "Whether Services get addresses from this pool automatically. When false, only Services that name the pool or request one of its addresses get one.",
    }),
  ),
  avoidBuggyIPs: Type.Optional(
    Type.Boolean({
      default: false,
      description:
        "Skip IPv4 addresses ending in .0 and .255, which some buggy consumer devices drop.",
    }),
  ),
  serviceAllocation: Type.Optional(ServiceAllocation),
});
export type IPAddressPoolSpec = Static<typeof IPAddressPoolSpec>;

export const IPAddressPoolStatus = Type.Object({
  assignedIPv4: Int64({ description: "IPv4 addresses in use (a shared address counts once)." }),
  assignedIPv6: Int64({ description: "IPv6 addresses in use (a shared address counts once)." }),
  availableIPv4: Int64({ description: "IPv4 addresses still free." }),
  availableIPv6: Int64({ description: "IPv6 addresses still free." }),
});
export type IPAddressPoolStatus = Static<typeof IPAddressPoolStatus>;
