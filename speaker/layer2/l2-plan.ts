// What this node announces over Layer 2, from the cached cluster state and
// the set of live speakers. Pure, so every speaker computes the same owners
// from the same view (node-eligibility.ts decides who may, ownership.ts who
// does), and so the planner can run on a worker thread unchanged.
import type { L2Announcement } from "../announcer.ts";
import type { EndpointView, SpeakerSnapshot } from "../cluster-view.ts";
import {
  eligibleNodes,
  type AdvertisementInfo,
  type EndpointInfo,
  type NodeInfo,
  type PoolInfo,
  type ServiceSkipReason,
} from "../node-eligibility.ts";
import { assignOwners, type IpCandidates } from "./ownership.ts";

export interface L2Plan {
  /** IP → interfaces, for the ARP and NDP announcers. */
  readonly announcements: ReadonlyMap<string, L2Announcement>;
  /** Service key → ServiceL2Status extra fields, for the Services this node announces. */
  readonly statuses: ReadonlyMap<string, { interfaces: { name: string }[] }>;
  /** (Service key, IP) pairs announced here, for metallb_speaker_announced. */
  readonly announced: readonly { service: string; ip: string }[];
  /** Services nobody announces, and why (for logs). */
  readonly skipped: ReadonlyMap<string, ServiceSkipReason>;
}

function endpointInfos(view: EndpointView | undefined): EndpointInfo[] {
  if (view === undefined || !view.anyServing) return [];
  const endpoints: EndpointInfo[] = [...view.nodes].map((nodeName) => ({
    nodeName,
    serving: true,
  }));
  // Serving endpoints without a node still make the Service servable (Cluster policy).
  if (endpoints.length === 0) endpoints.push({ serving: true });
  return endpoints;
}

function configInfos(snapshot: SpeakerSnapshot): { ads: AdvertisementInfo[]; pools: PoolInfo[] } {
  const ads = snapshot.config.l2Advertisements.map((ad) => ({
    name: ad.metadata.name ?? "",
    ...(ad.spec as Omit<AdvertisementInfo, "name">),
  }));
  const pools = snapshot.config.pools.map((p) => ({
    name: p.metadata.name ?? "",
    labels: p.metadata.labels ?? {},
  }));
  return { ads, pools };
}

export function planLayer2(
  snapshot: SpeakerSnapshot,
  liveSpeakers: ReadonlySet<string>,
  self: string,
): L2Plan {
  const { ads, pools } = configInfos(snapshot);
  const nodes: NodeInfo[] = snapshot.nodes.map((n) => ({ ...n }));
  const candidates: IpCandidates[] = [];
  const skipped = new Map<string, ServiceSkipReason>();
  for (const svc of snapshot.services) {
    const result = eligibleNodes({
      nodes,
      liveSpeakers,
      advertisements: ads,
      pools,
      service: {
        labels: svc.labels,
        ips: svc.ips,
        pool: svc.pool,
        externalTrafficPolicy: svc.externalTrafficPolicyLocal ? "Local" : "Cluster",
      },
      endpoints: endpointInfos(snapshot.endpoints.get(svc.key)),
    });
    if (!result.ok) {
      skipped.set(svc.key, result.reason);
      continue;
    }
    for (const ip of svc.ips) candidates.push({ ip, service: svc.key, eligible: result.eligible });
  }
  return ownPlan(assignOwners(candidates), self, skipped);
}

function ownPlan(
  owners: ReturnType<typeof assignOwners>,
  self: string,
  skipped: L2Plan["skipped"],
): L2Plan {
  const announcements = new Map<string, L2Announcement>();
  const statuses = new Map<string, { interfaces: { name: string }[] }>();
  const announced: { service: string; ip: string }[] = [];
  for (const owner of owners.values()) {
    if (owner.owner !== self) continue;
    const interfaces = owner.interfaces.length === 0 ? "all" : owner.interfaces;
    announcements.set(owner.ip, { ip: owner.ip, interfaces });
    for (const service of owner.services) {
      announced.push({ service, ip: owner.ip });
      // MetalLB: the interfaces of the first IP; [] when all (§1.7).
      if (!statuses.has(service)) {
        statuses.set(service, { interfaces: owner.interfaces.map((name) => ({ name })) });
      }
    }
  }
  return { announcements, statuses, announced, skipped };
}
