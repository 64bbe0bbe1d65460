// ServiceL2Status and ServiceBGPStatus (metallb.io/v1beta1): written by
// speakers, one per announced Service (§1.7, §1.8). Same shape but for the
// last field, so one builder makes both.
import { Type, type Static, type TSchema } from "typebox";
import { withCel } from "./schema-building-blocks.ts";

function immutableString(description: string) {
  return withCel(Type.String({ description }), [
    {
      code: "STATUS_FIELD_IMMUTABLE",
      rule: "self == oldSelf",
      message: "Value is immutable",
      transition: true,
    },
  ]);
}

function announcementStatus<P extends Record<string, TSchema>>(extra: P) {
  return Type.Object({
    node: Type.Optional(immutableString("Node that announces the Service.")),
    serviceName: Type.Optional(immutableString("Name of the announced Service.")),
    serviceNamespace: Type.Optional(immutableString("Namespace of the announced Service.")),
    ...extra,
  });
}

export const ServiceL2StatusStatus = announcementStatus({
  interfaces: Type.Optional(
    Type.Array(Type.Object({ name: Type.String() }), {
      description: "Interfaces the node answers on; empty when it answers on all of them.",
    }),
  ),
});
export type ServiceL2StatusStatus = Static<typeof ServiceL2StatusStatus>;

export const ServiceBGPStatusStatus = announcementStatus({
  peers: Type.Optional(
    Type.Array(Type.String(), { description: "BGPPeers the Service is advertised to." }),
  ),
});
export type ServiceBGPStatusStatus = Static<typeof ServiceBGPStatusStatus>;

export const EmptySpec = Type.Object({});
