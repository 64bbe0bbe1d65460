// Community (metallb.io/v1beta1): named aliases for BGP community values (§1.5).
import { Type, type Static } from "typebox";

export const CommunitySpec = Type.Object({
  communities: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.Optional(Type.String({ description: "Alias used in BGPAdvertisements." })),
        value: Type.Optional(
          Type.String({ description: "'A:B' (16-bit each) or 'large:A:B:C' (32-bit each)." }),
        ),
      }),
    ),
  ),
});
export type CommunitySpec = Static<typeof CommunitySpec>;
