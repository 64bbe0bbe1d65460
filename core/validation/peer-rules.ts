// BGPPeer rules beyond the CRD's CEL (which bgp-peer.ts holds): address
// syntax, timers, references, and fields kept only for compatibility.
import type { BFDProfileSpec } from "../api/bfd-profile.ts";
import type { BGPPeerSpecV1beta2 } from "../api/bgp-peer.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import { parseIp } from "../net/ip-address-text.ts";
import { parseGoDuration } from "./go-duration.ts";
import { describeRef, refOf, type ObjectRef, type ProblemSink } from "./problem.ts";
import { checkSelectors } from "./selector-rules.ts";

/** Fields MetalLB serves for its FRR modes that our native speaker does not act on. */
const IGNORED_FIELDS = ["vrf", "interface", "localASN"] as const;

export function checkPeer(
  sink: ProblemSink,
  peer: KubeObject<BGPPeerSpecV1beta2>,
  bfdProfiles: readonly KubeObject<BFDProfileSpec>[],
): void {
  const ref = refOf(peer);
  const spec = peer.spec;
  if (spec === undefined) return;
  checkAddresses(sink, ref, spec);
  checkTimers(sink, ref, spec);
  checkSelectors(sink, ref, "spec.nodeSelectors", spec.nodeSelectors);
  checkBfdProfile(sink, ref, spec, bfdProfiles);
  checkCompatibilityFields(sink, ref, spec);
}

function checkAddresses(sink: ProblemSink, ref: ObjectRef, spec: BGPPeerSpecV1beta2): void {
  for (const field of ["peerAddress", "sourceAddress", "routerID"] as const) {
    const text = spec[field];
    if (text === undefined || text === "") continue;
    const ip = parseIp(text);
    if (ip === undefined) {
      sink.error({
        object: ref,
        code: "BGPPEER_INVALID_ADDRESS",
        field: `spec.${field}`,
        message: `"${text}" is not an IP address`,
      });
    } else if (field === "routerID" && ip.family !== "IPv4") {
      sink.error({
        object: ref,
        code: "BGPPEER_ROUTER_ID_NOT_IPV4",
        field: "spec.routerID",
        message: `"${text}" is not an IPv4 address; the BGP Identifier is 4 octets (RFC 4271 §4.2)`,
      });
    }
  }
}

function checkTimers(sink: ProblemSink, ref: ObjectRef, spec: BGPPeerSpecV1beta2): void {
  for (const field of ["holdTime", "keepaliveTime", "connectTime"] as const) {
    const text = spec[field];
    if (text !== undefined && parseGoDuration(text) === undefined) {
      sink.error({
        object: ref,
        code: "BGPPEER_INVALID_DURATION",
        field: `spec.${field}`,
        message: `"${text}" is not a duration (examples: 90s, 1m30s, 500ms)`,
      });
    }
  }
}

function checkBfdProfile(
  sink: ProblemSink,
  ref: ObjectRef,
  spec: BGPPeerSpecV1beta2,
  bfdProfiles: readonly KubeObject<BFDProfileSpec>[],
): void {
  const name = spec.bfdProfile;
  if (name === undefined || name === "") return;
  if (!bfdProfiles.some((b) => b.metadata.name === name)) {
    sink.warning({
      object: ref,
      code: "BGPPEER_BFD_PROFILE_MISSING",
      field: "spec.bfdProfile",
      message: `BFDProfile "${name}" does not exist (yet); the session runs without BFD until it does`,
    });
  }
}

/** Fields accepted as MetalLB accepts them, with a warning that they do nothing here. */
function checkCompatibilityFields(
  sink: ProblemSink,
  ref: ObjectRef,
  spec: BGPPeerSpecV1beta2,
): void {
  if (spec.disableMP === true) {
    sink.warning({
      object: ref,
      code: "BGPPEER_DEPRECATED_FIELD",
      field: "spec.disableMP",
      message: "disable mp is deprecated and has no effect since it's the default behavior now",
    });
  }
  for (const field of IGNORED_FIELDS) {
    if (spec[field] !== undefined) {
      sink.warning({
        object: ref,
        code: "BGPPEER_UNSUPPORTED_FIELD",
        field: `spec.${field}`,
        message: `${field} is accepted for compatibility with MetalLB's FRR mode but metallb-ts does not use it`,
      });
    }
  }
}

/**
 * Two peers with one address and port whose node selectors could pick the
 * same node: the router would see the same speaker open two sessions. MetalLB's
 * native mode allows it, so this is a warning, not a denial.
 */
export function checkDuplicateSessions(
  sink: ProblemSink,
  peers: readonly KubeObject<BGPPeerSpecV1beta2>[],
): void {
  const byEndpoint = new Map<string, KubeObject<BGPPeerSpecV1beta2>>();
  const sorted = [...peers].sort((a, b) =>
    (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""),
  );
  for (const peer of sorted) {
    const key = everywhereSessionKey(peer.spec);
    if (key === undefined) continue;
    const first = byEndpoint.get(key);
    // Only peers on every node (no node selectors) get a key, so two with
    // one key are both on every node.
    if (first === undefined) byEndpoint.set(key, peer);
    else reportDuplicateSession(sink, peer, first);
  }
}

/**
 * The session a peer without node selectors opens from every node:
 * family, address, port and VRF. Undefined for a peer with node selectors
 * or without a parseable address.
 */
function everywhereSessionKey(spec: BGPPeerSpecV1beta2 | undefined): string | undefined {
  if (spec === undefined || (spec.nodeSelectors ?? []).length > 0) return undefined;
  const ip = spec.peerAddress === undefined ? undefined : parseIp(spec.peerAddress);
  if (ip === undefined) return undefined;
  return `${ip.family}/${ip.value}/${spec.peerPort ?? 179}/${spec.vrf ?? ""}`;
}

function reportDuplicateSession(
  sink: ProblemSink,
  peer: KubeObject<BGPPeerSpecV1beta2>,
  first: KubeObject<BGPPeerSpecV1beta2>,
): void {
  const port = peer.spec?.peerPort ?? 179;
  sink.warning({
    object: refOf(peer),
    code: "BGPPEER_DUPLICATE_SESSION",
    field: "spec.peerAddress",
    message: `"${peer.spec?.peerAddress ?? ""}" port ${port} is also the peer of ${describeRef(refOf(first))} on every node`,
    related: refOf(first),
  });
}
