// BGPPeer rules beyond the CRD's CEL (which bgp-peer.ts holds): address
// syntax, timers, references, and fields kept only for compatibility.
import type { BFDProfileSpec } from "../api/bfd-profile.ts";
import type { BGPPeerSpecV1beta2 } from "../api/bgp-peer.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import { parseIp } from "../net/ip-address-text.ts";
import { parseGoDuration } from "./go-duration.ts";
import { describeRef, refOf, type ProblemSink } from "./problem.ts";
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
  for (const field of ["peerAddress", "sourceAddress", "routerID"] as const) {
    const text = spec[field];
    if (text === undefined || text === "") continue;
    const ip = parseIp(text);
    if (ip === undefined) {
      sink.error(ref, "BGPPEER_INVALID_ADDRESS", `spec.${field}`, `"${text}" is not an IP address`);
    } else if (field === "routerID" && ip.family !== "IPv4") {
      sink.error(
        ref,
        "BGPPEER_ROUTER_ID_NOT_IPV4",
        "spec.routerID",
        `"${text}" is not an IPv4 address; the BGP Identifier is 4 octets (RFC 4271 §4.2)`,
      );
    }
  }
  for (const field of ["holdTime", "keepaliveTime", "connectTime"] as const) {
    const text = spec[field];
    if (text !== undefined && parseGoDuration(text) === undefined) {
      sink.error(
        ref,
        "BGPPEER_INVALID_DURATION",
        `spec.${field}`,
        `"${text}" is not a duration (examples: 90s, 1m30s, 500ms)`,
      );
    }
  }
  checkSelectors(sink, ref, "spec.nodeSelectors", spec.nodeSelectors);
  if (spec.bfdProfile !== undefined && spec.bfdProfile !== "") {
    const name = spec.bfdProfile;
    if (!bfdProfiles.some((b) => b.metadata.name === name)) {
      sink.warning(
        ref,
        "BGPPEER_BFD_PROFILE_MISSING",
        "spec.bfdProfile",
        `BFDProfile "${name}" does not exist (yet); the session runs without BFD until it does`,
      );
    }
  }
  if (spec.disableMP === true) {
    sink.warning(
      ref,
      "BGPPEER_DEPRECATED_FIELD",
      "spec.disableMP",
      "disable mp is deprecated and has no effect since it's the default behavior now",
    );
  }
  for (const field of IGNORED_FIELDS) {
    if (spec[field] !== undefined) {
      sink.warning(
        ref,
        "BGPPEER_UNSUPPORTED_FIELD",
        `spec.${field}`,
        `${field} is accepted for compatibility with MetalLB's FRR mode but metallb-ts does not use it`,
      );
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
    const address = peer.spec?.peerAddress;
    const ip = address === undefined ? undefined : parseIp(address);
    if (ip === undefined || (peer.spec?.nodeSelectors ?? []).length > 0) continue;
    const key = `${ip.family}/${ip.value}/${peer.spec?.peerPort ?? 179}/${peer.spec?.vrf ?? ""}`;
    const first = byEndpoint.get(key);
    const bothEverywhere =
      (peer.spec?.nodeSelectors ?? []).length === 0 &&
      (first?.spec?.nodeSelectors ?? []).length === 0;
    if (first !== undefined && bothEverywhere) {
      sink.warning(
        refOf(peer),
        "BGPPEER_DUPLICATE_SESSION",
        "spec.peerAddress",
        `"${address ?? ""}" port ${peer.spec?.peerPort ?? 179} is also the peer of ${describeRef(refOf(first))} on every node`,
        refOf(first),
      );
    } else if (first === undefined) byEndpoint.set(key, peer);
  }
}
