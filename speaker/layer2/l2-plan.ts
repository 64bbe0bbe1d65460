// What this node announces over Layer 2, from the cached cluster state and
// the set of live speakers. Pure, so every speaker computes the same owners
// from the same view (node-eligibility.ts decides who may, ownership.ts who
// does), and so the planner can run on a worker thread unchanged.
import type { L2Announcement } from "../announcer.ts";
import type { SpeakerSnapshot } from "../cluster-view.ts";
import {
  eligibleNodes,
  type AdvertisementInfo,
  type NodeInfo,
  type PoolInfo,
  type ServiceSkipReason,
} from "../node-eligibility.ts";
import { Interner } from "../interner.ts";
import { endpointInfos, serviceInfo } from "../plan-inputs.ts";
import { PlanMemo } from "../plan-memo.ts";
import { assignOwners, type IpCandidates, type IpOwner } from "./ownership.ts";

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

/** What one Service contributes: its IPs' candidates, or why nobody announces it. */
type ServiceCandidates = readonly IpCandidates[] | ServiceSkipReason;

/** Per-Service results kept between plans (see plan-memo.ts), and the owners they decided. */
export class L2PlanMemo {
  readonly services = new PlanMemo<ServiceCandidates>();
  readonly owners = new WeakMap<IpCandidates, IpOwner>();
  readonly owned = new WeakMap<IpOwner, Owned>();
  /** Services with the same eligible nodes and interfaces share one Map. */
  readonly eligible = new Interner<ReadonlyMap<string, readonly string[]>>();
  /** IPs announced on the same interfaces share one ServiceL2Status extra. */
  readonly statuses = new Interner<Owned["status"]>();
}

export function planLayer2(
  snapshot: SpeakerSnapshot,
  liveSpeakers: ReadonlySet<string>,
  self: string,
  memo = new L2PlanMemo(),
): L2Plan {
  const { ads, pools } = configInfos(snapshot);
  const nodes: NodeInfo[] = snapshot.nodes.map((n) => ({ ...n }));
  // Everything a Service's candidates depend on besides the Service and its endpoints.
  memo.services.begin([snapshot.config, snapshot.nodes, [...liveSpeakers].sort().join()]);
  const candidates: IpCandidates[] = [];
  const skipped = new Map<string, ServiceSkipReason>();
  for (const svc of snapshot.services) {
    const endpoints = snapshot.endpoints.get(svc.key);
    const result = memo.services.get(svc, endpoints, () => {
      const r = eligibleNodes({
        nodes,
        liveSpeakers,
        advertisements: ads,
        pools,
        service: serviceInfo(svc),
        endpoints: endpointInfos(endpoints),
      });
      if (!r.ok) return r.reason;
      const eligible = memo.eligible.get(JSON.stringify([...r.eligible]), () => r.eligible);
      return svc.ips.map((ip) => ({ ip, service: svc.key, eligible }));
    });
    if (typeof result === "string") skipped.set(svc.key, result);
    else candidates.push(...result);
  }
  return ownPlan(assignOwners(candidates, memo.owners), self, skipped, memo);
}

/** What an owned IP puts in the plan; kept per IpOwner object (stable while unchanged). */
interface Owned {
  readonly announcement: L2Announcement;
  readonly announced: readonly { service: string; ip: string }[];
  /** ServiceL2Status extra fields for its Services. */
  readonly status: { interfaces: { name: string }[] };
}

function owned(owner: IpOwner, statuses: L2PlanMemo["statuses"]): Owned {
  const interfaces = owner.interfaces.length === 0 ? "all" : owner.interfaces;
  return {
    announcement: { ip: owner.ip, interfaces },
    announced: owner.services.map((service) => ({ service, ip: owner.ip })),
    status: statuses.get(owner.interfaces.join(), () => ({
      interfaces: owner.interfaces.map((name) => ({ name })),
    })),
  };
}

function ownPlan(
  owners: ReturnType<typeof assignOwners>,
  self: string,
  skipped: L2Plan["skipped"],
  memo: L2PlanMemo,
): L2Plan {
  const announcements = new Map<string, L2Announcement>();
  const statuses = new Map<string, { interfaces: { name: string }[] }>();
  const announced: { service: string; ip: string }[] = [];
  for (const owner of owners.values()) {
    if (owner.owner !== self) continue;
    let mine = memo.owned.get(owner);
    if (mine === undefined) {
      mine = owned(owner, memo.statuses);
      memo.owned.set(owner, mine);
    }
    announcements.set(owner.ip, mine.announcement);
    announced.push(...mine.announced);
    for (const service of owner.services) {
      // MetalLB: the interfaces of the first IP; [] when all (§1.7).
      if (!statuses.has(service)) statuses.set(service, mine.status);
    }
  }
  return { announcements, statuses, announced, skipped };
}
