// BGPPeer v1beta1 <-> v1beta2 conversion, served by the webhook's /convert.
// v1beta1 lacks most v1beta2 fields; they ride in an annotation while an
// object is seen as v1beta1, so v1beta2 -> v1beta1 -> v1beta2 loses nothing.
//
// Deliberate difference from MetalLB (api/v1beta1/bgppeer_conversion.go): an
// unset v1beta1 holdTime/keepaliveTime stays unset instead of becoming "0s",
// which in MetalLB silently turns the timers off.
import type { BGPPeerSpecV1beta1, BGPPeerSpecV1beta2 } from "./bgp-peer.ts";
import type { KubeObject } from "./schema-building-blocks.ts";

export const V1BETA2_FIELDS_ANNOTATION = "metallb.io/v1beta2-fields";

const V1BETA2_ONLY = [
  "dynamicASN",
  "localASN",
  "interface",
  "connectTime",
  "passwordSecret",
  "enableGracefulRestart",
  "vrf",
  "disableMP",
  "dualStackAddressFamily",
] as const satisfies readonly (keyof BGPPeerSpecV1beta2)[];

type PeerObject = KubeObject<Record<string, unknown>>;

export function convertBGPPeer(obj: PeerObject, desiredAPIVersion: string): PeerObject {
  const [, version] = desiredAPIVersion.split("/");
  const current = obj.apiVersion.split("/")[1];
  if (version === current) return obj;
  if (version === "v1beta1") return toV1beta1(obj as KubeObject<BGPPeerSpecV1beta2>);
  if (version === "v1beta2") return toV1beta2(obj as KubeObject<BGPPeerSpecV1beta1>);
  throw new Error(`BGPPeer cannot be converted to ${desiredAPIVersion}`);
}

const isV1beta2Only = (field: string) => (V1BETA2_ONLY as readonly string[]).includes(field);

function without<V>(record: Record<string, V>, drop: (key: string) => boolean): Record<string, V> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => !drop(k)));
}

function toV1beta1(obj: KubeObject<BGPPeerSpecV1beta2>): PeerObject {
  const all: Record<string, unknown> = { ...obj.spec };
  const spec = without(all, isV1beta2Only);
  const carried = without(all, (k) => !isV1beta2Only(k) || all[k] === undefined);
  const annotations = without(
    obj.metadata.annotations ?? {},
    (k) => k === V1BETA2_FIELDS_ANNOTATION,
  );
  if (Object.keys(carried).length > 0) {
    annotations[V1BETA2_FIELDS_ANNOTATION] = JSON.stringify(carried);
  }
  return withMeta(obj, "metallb.io/v1beta1", spec, annotations);
}

function toV1beta2(obj: KubeObject<BGPPeerSpecV1beta1>): PeerObject {
  const spec: Record<string, unknown> = { ...obj.spec };
  const carried = obj.metadata.annotations?.[V1BETA2_FIELDS_ANNOTATION];
  const annotations = without(
    obj.metadata.annotations ?? {},
    (k) => k === V1BETA2_FIELDS_ANNOTATION,
  );
  if (carried !== undefined) restoreV1beta2Fields(spec, carried);
  return withMeta(obj, "metallb.io/v1beta2", spec, annotations);
}

/** Copies the v1beta2-only fields from the annotation's JSON into `spec`; nothing else. */
function restoreV1beta2Fields(spec: Record<string, unknown>, carried: string): void {
  const restored: unknown = JSON.parse(carried);
  if (restored === null || typeof restored !== "object") return;
  for (const field of V1BETA2_ONLY) {
    const value = (restored as Record<string, unknown>)[field];
    if (value !== undefined) spec[field] = value;
  }
}

function withMeta(
  obj: KubeObject,
  apiVersion: string,
  spec: Record<string, unknown>,
  annotations: Record<string, string>,
): PeerObject {
  const { annotations: _replaced, ...rest } = obj.metadata;
  const metadata = Object.keys(annotations).length > 0 ? { ...rest, annotations } : rest;
  return { ...obj, apiVersion, metadata, spec };
}
