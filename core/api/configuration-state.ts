// ConfigurationState (metallb.io/v1beta1): each component's verdict on the
// configuration it last parsed (§1.9).
import { Type, type Static } from "typebox";
import { Int64, StringEnum } from "./schema-building-blocks.ts";

/** metav1.Condition. */
export const Condition = Type.Object({
  type: Type.String(),
  status: StringEnum(["True", "False", "Unknown"]),
  observedGeneration: Type.Optional(Int64({ minimum: 0 })),
  lastTransitionTime: Type.String({ format: "date-time" }),
  reason: Type.String(),
  message: Type.String(),
});

export const ConfigurationStateStatus = Type.Object({
  result: Type.Optional(
    StringEnum(["Valid", "Invalid", "Unknown"], {
      description: "Invalid when any condition reports a configuration error.",
    }),
  ),
  errorSummary: Type.Optional(
    Type.String({ description: "Messages of the failing conditions, one per line." }),
  ),
  conditions: Type.Optional(
    Type.Array(Condition, {
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
    }),
  ),
});
export type ConfigurationStateStatus = Static<typeof ConfigurationStateStatus>;
