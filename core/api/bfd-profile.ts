// BFDProfile (metallb.io/v1beta1): BFD session parameters for BGP peers
// (RFC 5880; field ranges as MetalLB §1.6).
import { Type, type Static } from "typebox";

function Milliseconds(description: string) {
  return Type.Optional(Type.Integer({ format: "int32", minimum: 10, maximum: 60000, description }));
}

export const BFDProfileSpec = Type.Object({
  receiveInterval: Milliseconds("Minimum interval between received control packets, ms (300)."),
  transmitInterval: Milliseconds("Minimum interval between sent control packets, ms (300)."),
  detectMultiplier: Type.Optional(
    Type.Integer({
      format: "int32",
      minimum: 2,
      maximum: 255,
      description: "Packets that may be lost before the session goes down (3).",
    }),
  ),
  echoInterval: Milliseconds("Minimum interval between echo packets, ms (50)."),
  echoMode: Type.Optional(Type.Boolean({ description: "Send echo packets." })),
  passiveMode: Type.Optional(
    Type.Boolean({ description: "Wait for the peer to start the session." }),
  ),
  minimumTtl: Type.Optional(
    Type.Integer({
      format: "int32",
      minimum: 1,
      maximum: 254,
      description: "Lowest TTL accepted on incoming packets (multi-hop only) (254).",
    }),
  ),
});
export type BFDProfileSpec = Static<typeof BFDProfileSpec>;
