// IPAddressClaim (metallb.io/v1beta1, ours; MetalLB keeps allocations only in
// Service status): one object per assigned IP, named after the IP, in the
// MetalLB namespace. Creating it is how an IP is taken: the API server's
// AlreadyExists makes two webhook replicas unable to hand out one IP twice.
// See docs/adr/0003-ip-claims.md.
import { Type, type Static } from "typebox";
import { Int32, StringEnum, withCel } from "./schema-building-blocks.ts";

export const ClaimHolder = Type.Object({
  namespace: Type.String(),
  name: Type.String(),
  uid: Type.Optional(
    Type.String({ description: "Set once the Service exists; a different UID is a stale claim." }),
  ),
  sharingKey: Type.Optional(Type.String({ description: "metallb.io/allow-shared-ip" })),
  backendKey: Type.Optional(
    Type.String({ description: "Selector under externalTrafficPolicy Local, else empty." }),
  ),
  ports: Type.Optional(
    Type.Array(
      Type.Object({
        protocol: StringEnum(["TCP", "UDP", "SCTP"]),
        port: Int32({ minimum: 1, maximum: 65535 }),
      }),
    ),
  ),
});
export type ClaimHolder = Static<typeof ClaimHolder>;

export const IPAddressClaimSpec = withCel(
  Type.Object({
    ip: Type.String({ description: "The claimed address, canonical text." }),
    pool: Type.String({ description: "IPAddressPool the address came from." }),
    holders: Type.Array(ClaimHolder, {
      description: "Services using the address; more than one only when they share it.",
    }),
  }),
  [
    {
      code: "STATUS_FIELD_IMMUTABLE",
      rule: "self.ip == oldSelf.ip",
      message: "spec.ip is immutable: a claim is named after its IP",
      transition: true,
    },
  ],
);
export type IPAddressClaimSpec = Static<typeof IPAddressClaimSpec>;
