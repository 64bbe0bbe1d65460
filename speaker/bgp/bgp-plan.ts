// What this node does over BGP, from the speaker's cached cluster view
// (metallb-reference §5.1–5.3). Pure: the snapshot, this node's name and the
// passwords read from Secrets in; out come the sessions this node keeps (one
// per BGPPeer whose nodeSelectors match it) and, per session, the routes that
// peer should hold. Every eligible node announces (ECMP at the router), so no
// ownership election as in Layer 2.
//
// A session is described by `PeerSessionConfig`; `sessionKey` of it changes
// only when the peer's own parameters change, which is the one thing that
// may reset a session (issue 6 "no flapping").
import type { BGPAdvertisementSpec } from "../../core/api/bgp-advertisement.ts";
import type { BGPPeerSpecV1beta2 } from "../../core/api/bgp-peer.ts";
import type { KubeObject } from "../../core/api/schema-building-blocks.ts";
import { anySelectorMatches } from "../../core/label-selector.ts";
import { FAMILY_BITS, formatIp, parseIp, type IpAddress } from "../../core/net/ip-address-text.ts";
import { parseCommunity, type CommunityValue } from "../../core/validation/community-value.ts";
import { parseGoDuration } from "../../core/validation/go-duration.ts";
import type { EndpointView, NodeView, ServiceView, SpeakerSnapshot } from "../cluster-view.ts";
import {
  advertisementCoversPool,
  eligibleNodes,
  type AdvertisementInfo,
  type NodeInfo,
  type NodeSkipReason,
  type ServiceSkipReason,
} from "../node-eligibility.ts";
import { endpointInfos, serviceInfo } from "../plan-inputs.ts";
import { PlanMemo } from "../plan-memo.ts";
import type { AdvertisedRoute } from "./adj-rib-out.ts";
import type { LargeCommunity } from "./attributes.ts";

/** Everything that shapes one session; a change here (and only here) resets it. */
export interface PeerSessionConfig {
  /** BGPPeer name (ServiceBGPStatus lists these). */
  readonly name: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly myAsn: number;
  readonly peerAsn?: number;
  readonly dynamicAsn?: "internal" | "external";
  readonly sourceAddress?: string;
  readonly routerId: string;
  /** Seconds; undefined → the session's default (90). */
  readonly holdTime?: number;
  readonly keepaliveTime?: number;
  /** Seconds between connection attempts (BGPPeer connectTime). */
  readonly connectRetryTime: number;
  /** TCP MD5 key (RFC 2385); "" → none. */
  readonly password: string;
  /** IP TTL of the session: 255 for ebgpMultiHop and iBGP, 1 for single-hop eBGP (as FRR). */
  readonly ttl: number;
  readonly gracefulRestart: boolean;
  readonly families: readonly ("ipv4" | "ipv6")[];
  /** Next hop of the other family on a dual-stack session (this node's address). */
  readonly ipv4NextHop?: string;
  readonly ipv6NextHop?: string;
}

export interface PeerPlan {
  readonly config: PeerSessionConfig;
  readonly routes: readonly AdvertisedRoute[];
}

export interface BgpPlan {
  /** BGPPeer name → session and routes, for the peers this node keeps a session with. */
  readonly peers: ReadonlyMap<string, PeerPlan>;
  /** Service key → ServiceBGPStatus extra fields ({ peers: sorted names }). */
  readonly statuses: ReadonlyMap<string, { peers: string[] }>;
  /** (Service, IP) pairs announced from here, for metallb_speaker_announced. */
  readonly announced: readonly { service: string; ip: string }[];
  /** Services this node does not announce, and why (for logs). */
  readonly skipped: ReadonlyMap<string, ServiceSkipReason | NodeSkipReason>;
  /** Configuration this node cannot use, one text per problem (for logs). */
  readonly problems: readonly string[];
}

export interface BgpPlanInput {
  readonly snapshot: SpeakerSnapshot;
  readonly self: string;
  /** BGPPeer passwordSecret name → the Secret's `password`; absent → not (yet) readable. */
  readonly secretPasswords: ReadonlyMap<string, string>;
}

type PeerObject = KubeObject<BGPPeerSpecV1beta2> & { readonly spec: BGPPeerSpecV1beta2 };
type AdObject = KubeObject<BGPAdvertisementSpec> & { readonly spec: BGPAdvertisementSpec };

const DEFAULT_CONNECT_RETRY_SECONDS = 2;

function seconds(duration: string | undefined): number | undefined {
  if (duration === undefined) return undefined;
  const ms = parseGoDuration(duration);
  return ms === undefined ? undefined : Math.trunc(ms / 1000);
}

/** MetalLB parseTimers: only keepalive → hold = 3 × keepalive; only hold → keepalive = hold/3. */
function timers(spec: BGPPeerSpecV1beta2): Pick<PeerSessionConfig, "holdTime" | "keepaliveTime"> {
  const hold = seconds(spec.holdTime);
  const keepalive = seconds(spec.keepaliveTime);
  const holdTime = hold ?? (keepalive === undefined ? undefined : keepalive * 3);
  return {
    ...(holdTime === undefined ? {} : { holdTime }),
    ...(keepalive === undefined ? {} : { keepaliveTime: keepalive }),
  };
}

function familyOf(address: string): "ipv4" | "ipv6" {
  return address.includes(":") ? "ipv6" : "ipv4";
}

/** CRC-32 (IEEE), as MetalLB's last-resort router ID from the node name. */
function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** routerID, else this node's first IPv4 address, else sourceAddress if IPv4, else CRC-32 of the name. */
export function defaultRouterId(node: NodeView, spec: BGPPeerSpecV1beta2): string {
  if (spec.routerID !== undefined && spec.routerID !== "") return spec.routerID;
  const v4 = node.addresses.find((a) => familyOf(a) === "ipv4");
  if (v4 !== undefined) return v4;
  if (spec.sourceAddress !== undefined && familyOf(spec.sourceAddress) === "ipv4") {
    return spec.sourceAddress;
  }
  const n = crc32(node.name);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function password(
  peer: PeerObject,
  secrets: ReadonlyMap<string, string>,
): string | { problem: string } {
  const secretName = peer.spec.passwordSecret?.name;
  if (secretName === undefined || secretName === "") return peer.spec.password ?? "";
  const value = secrets.get(secretName);
  if (value !== undefined) return value;
  return {
    problem: `BGPPeer ${peer.metadata.name ?? ""}: password Secret ${secretName} is not readable (yet)`,
  };
}

/** Drops undefined fields, so optional properties are absent rather than undefined. */
export function definedFields<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** Next hop of the other family on a dual-stack session: this node's address of that family. */
function otherFamilyNextHops(
  node: NodeView,
  family: "ipv4" | "ipv6",
  dualStack: boolean,
): { ipv4NextHop?: string; ipv6NextHop?: string } {
  if (!dualStack) return {};
  const other = family === "ipv4" ? "ipv6" : "ipv4";
  const address = node.addresses.find((a) => familyOf(a) === other);
  return definedFields(other === "ipv4" ? { ipv4NextHop: address } : { ipv6NextHop: address });
}

/** 255 for ebgpMultiHop and iBGP, 1 for a directly connected eBGP peer (as FRR does). */
function ttlFor(spec: BGPPeerSpecV1beta2): number {
  const ibgp = spec.dynamicASN === "internal" || spec.peerASN === spec.myASN;
  return spec.ebgpMultiHop === true || ibgp ? 255 : 1;
}

function sessionConfig(
  peer: PeerObject,
  node: NodeView,
  secrets: ReadonlyMap<string, string>,
): PeerSessionConfig | { problem: string } {
  const spec = peer.spec;
  const name = peer.metadata.name ?? "";
  if (spec.peerAddress === undefined || spec.peerAddress === "") {
    return { problem: `BGPPeer ${name}: only peerAddress is supported (no unnumbered interface)` };
  }
  const key = password(peer, secrets);
  if (typeof key !== "string") return key;
  const family = familyOf(spec.peerAddress);
  const dualStack = spec.dualStackAddressFamily === true;
  return {
    name,
    peerAddress: spec.peerAddress,
    peerPort: spec.peerPort ?? 179,
    myAsn: spec.myASN,
    ...definedFields({
      peerAsn: spec.peerASN === 0 ? undefined : spec.peerASN,
      dynamicAsn: spec.dynamicASN,
      sourceAddress: spec.sourceAddress,
    }),
    routerId: defaultRouterId(node, spec),
    ...timers(spec),
    connectRetryTime: seconds(spec.connectTime) ?? DEFAULT_CONNECT_RETRY_SECONDS,
    password: key,
    ttl: ttlFor(spec),
    gracefulRestart: spec.enableGracefulRestart ?? false,
    families: dualStack ? ["ipv4", "ipv6"] : [family],
    ...otherFamilyNextHops(node, family, dualStack),
  };
}

/** Equal keys ⇔ the session may be kept as it is. */
export function sessionKey(config: PeerSessionConfig): string {
  return JSON.stringify(config, Object.keys(config).sort());
}

interface ResolvedCommunities {
  readonly communities: number[];
  readonly largeCommunities: LargeCommunity[];
}

/** Community aliases from Community objects (§1.5). */
function communityAliases(snapshot: SpeakerSnapshot): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const object of snapshot.config.communities) {
    for (const c of object.spec?.communities ?? []) {
      if (c.name !== undefined && c.value !== undefined) aliases.set(c.name, c.value);
    }
  }
  return aliases;
}

function addCommunity(out: ResolvedCommunities, value: CommunityValue): void {
  if (value.kind === "standard") out.communities.push(value.value);
  else {
    out.largeCommunities.push({
      globalAdmin: value.global,
      localData1: value.local1,
      localData2: value.local2,
    });
  }
}

function resolveCommunities(
  ad: AdObject,
  aliases: ReadonlyMap<string, string>,
  problems: string[],
): ResolvedCommunities {
  const out: ResolvedCommunities = { communities: [], largeCommunities: [] };
  for (const text of ad.spec.communities ?? []) {
    const parsed = parseCommunity(aliases.get(text) ?? text);
    if (parsed.ok) addCommunity(out, parsed.value);
    else problems.push(`BGPAdvertisement ${ad.metadata.name ?? ""}: community "${text}" unknown`);
  }
  return out;
}

/** The IP masked to the advertisement's aggregation length (§1.3). */
export function aggregatePrefix(ip: IpAddress, length: number): string {
  const bits = FAMILY_BITS[ip.family];
  const len = Math.max(0, Math.min(bits, length));
  const hostBits = BigInt(bits - len);
  const value = (ip.value >> hostBits) << hostBits;
  return `${formatIp({ family: ip.family, value })}/${len}`;
}

interface AdInfo {
  readonly object: AdObject;
  readonly resolved: ResolvedCommunities;
}

interface PlanState {
  readonly routes: Map<string, AdvertisedRoute[]>;
  readonly statuses: Map<string, { readonly peers: string[] }>;
  readonly announced: { readonly service: string; readonly ip: string }[];
  readonly skipped: Map<string, ServiceSkipReason | NodeSkipReason>;
}

function routeFor(ip: IpAddress, ad: AdInfo): AdvertisedRoute {
  const spec = ad.object.spec;
  const length =
    ip.family === "IPv4" ? (spec.aggregationLength ?? 32) : (spec.aggregationLengthV6 ?? 128);
  return {
    prefix: aggregatePrefix(ip, length),
    ...(spec.localPref === undefined ? {} : { localPref: spec.localPref }),
    ...(ad.resolved.communities.length === 0 ? {} : { communities: ad.resolved.communities }),
    ...(ad.resolved.largeCommunities.length === 0
      ? {}
      : { largeCommunities: ad.resolved.largeCommunities }),
  };
}

function peersOf(ad: AdObject, sessions: readonly string[]): string[] {
  const wanted = ad.spec.peers ?? [];
  return wanted.length === 0 ? [...sessions] : sessions.filter((p) => wanted.includes(p));
}

/** The ads that apply to this Service on this node: pool, Service selectors, node selectors. */
function applicableAds(
  svc: ServiceView,
  ads: readonly AdInfo[],
  poolLabels: Readonly<Record<string, string>>,
  node: NodeView,
): AdInfo[] {
  const pool = { name: svc.pool ?? "", labels: poolLabels };
  return ads.filter((ad) => {
    const spec = ad.object.spec;
    return (
      advertisementCoversPool({ name: "", ...(spec as Omit<AdvertisementInfo, "name">) }, pool) &&
      anySelectorMatches(spec.serviceSelectors, svc.labels) &&
      anySelectorMatches(spec.nodeSelectors, node.labels)
    );
  });
}

/** What one Service contributes on this node: routes per peer, or why it is not announced. */
type Contribution =
  | { readonly skipped: ServiceSkipReason | NodeSkipReason }
  | {
      readonly routes: readonly (readonly [peer: string, route: AdvertisedRoute])[];
      /** ServiceBGPStatus extra fields: the peers, sorted; undefined when none. */
      readonly status: { readonly peers: string[] } | undefined;
      /** Its IPs, for metallb_speaker_announced (when some peer hears them). */
      readonly announced: readonly { readonly service: string; readonly ip: string }[];
    };

interface PlanContext {
  readonly snapshot: SpeakerSnapshot;
  readonly node: NodeView;
  readonly ads: readonly AdInfo[];
  readonly adInfos: readonly AdvertisementInfo[];
  readonly pools: readonly { name: string; labels: Readonly<Record<string, string>> }[];
  readonly sessions: readonly string[];
}

function planService(
  svc: ServiceView,
  context: PlanContext,
  endpoints: EndpointView | undefined,
): Contribution {
  const { node } = context;
  const result = eligibleNodes({
    nodes: [{ ...node } satisfies NodeInfo],
    liveSpeakers: new Set([node.name]),
    advertisements: context.adInfos,
    pools: context.pools,
    service: serviceInfo(svc),
    endpoints: endpointInfos(endpoints),
  });
  if (!result.ok) return { skipped: result.reason };
  const reason = result.ineligible.get(node.name);
  if (reason !== undefined) return { skipped: reason };
  const poolLabels = context.pools.find((p) => p.name === svc.pool)?.labels ?? {};
  return serviceRoutes(svc, applicableAds(svc, context.ads, poolLabels, node), context.sessions);
}

function serviceRoutes(
  svc: ServiceView,
  ads: readonly AdInfo[],
  sessions: readonly string[],
): Contribution {
  const routes: (readonly [string, AdvertisedRoute])[] = [];
  const peers = new Set<string>();
  for (const ad of ads) {
    const targets = peersOf(ad.object, sessions);
    for (const text of svc.ips) {
      const ip = parseIp(text);
      if (ip === undefined) continue;
      const route = routeFor(ip, ad);
      for (const peer of targets) routes.push([peer, route]);
    }
    for (const peer of targets) peers.add(peer);
  }
  if (peers.size === 0) return { routes, status: undefined, announced: [] };
  const announced = svc.ips.map((ip) => ({ service: svc.key, ip }));
  return { routes, status: { peers: [...peers].sort() }, announced };
}

function apply(svc: ServiceView, contribution: Contribution, state: PlanState): void {
  if ("skipped" in contribution) {
    state.skipped.set(svc.key, contribution.skipped);
    return;
  }
  for (const [peer, route] of contribution.routes) state.routes.get(peer)?.push(route);
  if (contribution.status === undefined) return;
  state.statuses.set(svc.key, contribution.status);
  state.announced.push(...contribution.announced);
}

function sessionsFor(
  snapshot: SpeakerSnapshot,
  node: NodeView,
  secrets: ReadonlyMap<string, string>,
  problems: string[],
): Map<string, PeerSessionConfig> {
  const configs = new Map<string, PeerSessionConfig>();
  for (const object of snapshot.config.peers) {
    if (object.spec === undefined) continue;
    const peer = { ...object, spec: object.spec };
    if (!anySelectorMatches(peer.spec.nodeSelectors, node.labels)) continue;
    const config = sessionConfig(peer, node, secrets);
    if ("problem" in config) problems.push(config.problem);
    else configs.set(config.name, config);
  }
  return configs;
}

/** Per-Service results kept between plans (plan-memo.ts). */
export type BgpPlanMemo = PlanMemo<Contribution>;

export function planBgp(input: BgpPlanInput, memo: BgpPlanMemo = new PlanMemo()): BgpPlan {
  const { snapshot, self } = input;
  const problems: string[] = [];
  const state: PlanState = {
    routes: new Map(),
    statuses: new Map(),
    announced: [],
    skipped: new Map(),
  };
  const node = snapshot.nodes.find((n) => n.name === self);
  if (node === undefined) {
    return { ...finish(new Map(), state), problems: [`Node ${self} not found`] };
  }
  const configs = sessionsFor(snapshot, node, input.secretPasswords, problems);
  for (const name of configs.keys()) state.routes.set(name, []);
  const aliases = communityAliases(snapshot);
  const ads = snapshot.config.bgpAdvertisements.map((ad) => {
    const object = { ...ad, spec: ad.spec ?? {} };
    return { object, resolved: resolveCommunities(object, aliases, problems) };
  });
  const context: PlanContext = {
    snapshot,
    node,
    ads,
    adInfos: ads.map((a) => ({
      name: a.object.metadata.name ?? "",
      ...(a.object.spec as Omit<AdvertisementInfo, "name">),
    })),
    pools: snapshot.config.pools.map((p) => ({
      name: p.metadata.name ?? "",
      labels: p.metadata.labels ?? {},
    })),
    sessions: [...configs.keys()],
  };
  // Besides the Service and its endpoints, a contribution depends on the
  // configuration, this Node and which sessions exist (passwords only decide
  // whether a session exists).
  memo.begin([snapshot.config, node, context.sessions.join()]);
  for (const svc of snapshot.services) {
    const endpoints = snapshot.endpoints.get(svc.key);
    apply(
      svc,
      memo.get(svc, endpoints, () => planService(svc, context, endpoints)),
      state,
    );
  }
  return { ...finish(configs, state), problems };
}

function finish(
  configs: ReadonlyMap<string, PeerSessionConfig>,
  state: PlanState,
): Omit<BgpPlan, "problems"> {
  const peers = new Map<string, PeerPlan>();
  for (const [name, config] of configs) {
    peers.set(name, { config, routes: state.routes.get(name) ?? [] });
  }
  return { peers, statuses: state.statuses, announced: state.announced, skipped: state.skipped };
}
