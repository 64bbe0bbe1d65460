// The mutating webhook for Services: a LoadBalancer Service of ours leaves
// admission with its IPs chosen, claimed through the API server, and recorded
// in annotations, so the create call's response already shows them.
import type { Request, RequestHandler, Response } from "express";
import type {
  Allocation,
  AllocationFailure,
  Holder,
  ServiceRequest,
} from "../core/allocator/allocation-types.ts";
import { claimName } from "../core/allocator/claim-names.ts";
import {
  deprecatedAnnotations,
  isOurs,
  readService,
  type ServiceLike,
} from "../core/allocator/service-request.ts";
import { errorText } from "../core/errors.ts";
import type { EventRecorder } from "../core/kube/event-recorder.ts";
import type { Logger } from "../core/logger.ts";
import { formatIp, type IpAddress, type IpFamily } from "../core/net/ip-address-text.ts";
import {
  allow,
  deny,
  parseAdmissionReview,
  reviewOf,
  type AdmissionResponse,
} from "./admission-review.ts";
import type { AllocationView } from "./allocation-view.ts";
import { holderKey, holderOf, type ClaimWriter } from "./claim-writer.ts";
import { annotationPatch, type PatchOperation } from "./service-patch.ts";
import type { WebhookMetrics } from "./webhook-metrics.ts";

export interface MutatingOptions {
  readonly view: AllocationView;
  readonly writer: ClaimWriter;
  readonly events: EventRecorder;
  /** --lb-class; undefined = Services without a loadBalancerClass. */
  readonly lbClass: string | undefined;
  readonly clusterFamilies: () => readonly IpFamily[];
  readonly log: Logger;
  /** Set by the server, which owns the registry. */
  readonly metrics?: WebhookMetrics | undefined;
}

/**
 * How often one admission re-decides after losing a race for an IP. Each loss
 * teaches the view one taken address, so this bounds a burst of replicas all
 * picking the same lowest address, not the pool size.
 */
const MAX_ATTEMPTS = 16;

function withPatch(response: AdmissionResponse, ops: PatchOperation[]): AdmissionResponse {
  if (ops.length === 0) return response;
  return {
    ...response,
    patchType: "JSONPatch",
    patch: Buffer.from(JSON.stringify(ops)).toString("base64"),
  };
}

function failureText(f: AllocationFailure): string {
  return `${f.message} [${f.code}]`;
}

type Outcome = { ok: true; allocation: Allocation } | { ok: false; failure: AllocationFailure };

export class ServiceAssigner {
  readonly #o: MutatingOptions;

  constructor(options: MutatingOptions) {
    this.#o = options;
  }

  /** Chooses and (unless dry-run) claims IPs for the Service, retrying lost races. */
  async assign(request: ServiceRequest, dryRun: boolean): Promise<Outcome> {
    const allocator = this.#o.view.allocator;
    const before = allocator.current(request.key);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const decision = allocator.allocate(request);
      if (!decision.ok || dryRun) return decision;
      const lost = await this.#claimAll(decision.allocation, request);
      if (lost === undefined) {
        await this.#releaseUnused(request.key, before, decision.allocation);
        return decision;
      }
      this.#o.metrics?.claimRaces.inc();
      this.#o.log.debug({ service: request.key, ip: formatIp(lost), attempt }, "lost an IP race");
    }
    return {
      ok: false,
      failure: {
        code: "NO_AVAILABLE_IPS",
        hard: false,
        message: `gave up after ${MAX_ATTEMPTS} concurrent claims of the same addresses; the reconciler will retry`,
      },
    };
  }

  /**
   * Claims every IP; returns the first one someone else holds. The IPs are
   * held in the view before the first await, so concurrent admissions in this
   * replica choose other addresses instead of racing for the same one; only
   * other replicas can still collide, and the API server settles that.
   */
  async #claimAll(allocation: Allocation, request: ServiceRequest): Promise<IpAddress | undefined> {
    const { allocator } = this.#o.view;
    const holder: Holder = {
      serviceKey: request.key,
      sharingKey: request.sharingKey,
      backendKey: request.backendKey,
      ports: request.ports,
    };
    for (const ip of allocation.ips) allocator.hold(ip, allocation.pool, holder);
    const pending = [...allocation.ips];
    try {
      for (const ip of allocation.ips) {
        if (!(await this.#claim(ip, allocation.pool, holder))) return ip;
        pending.shift();
      }
      return undefined;
    } finally {
      // Provisional holds of IPs not (yet) claimed; a claim we saw replaced them already.
      for (const ip of pending) {
        if (this.#o.view.claimOf(claimName(ip)) === undefined)
          allocator.releaseIP(ip, holder.serviceKey);
      }
    }
  }

  async #claim(ip: IpAddress, pool: string, holder: Holder): Promise<boolean> {
    const { view, writer } = this.#o;
    const cached = view.claimOf(claimName(ip));
    const mine = holderOf(holder);
    if (cached === undefined) {
      const created = await writer.create(ip, pool, holder);
      if (created.ok) view.ingestClaim(created.claim);
      else if (created.current !== undefined) view.ingestClaim(created.current);
      else view.allocator.markTaken(ip);
      return created.ok;
    }
    const holders = cached.spec?.holders ?? [];
    const same = holders.find((h) => holderKey(h) === holder.serviceKey);
    if (same !== undefined && JSON.stringify(same) === JSON.stringify({ ...mine, ...pick(same) })) {
      return true;
    }
    const others = holders.filter((h) => holderKey(h) !== holder.serviceKey);
    const written = await writer.replaceHolders(cached, [...others, { ...mine, ...pick(same) }]);
    if (written.ok) view.ingestClaim(written.claim);
    else if (written.current !== undefined) view.ingestClaim(written.current);
    else view.forgetClaim(cached);
    return written.ok;
  }

  /** Gives back what the Service held before and no longer uses (pool or request changed). */
  async #releaseUnused(
    key: string,
    before: Allocation | undefined,
    now: Allocation,
  ): Promise<void> {
    const kept = new Set(now.ips.map(formatIp));
    const dropped = (before?.ips ?? []).filter((ip) => !kept.has(formatIp(ip)));
    for (const ip of dropped) {
      try {
        await this.#release(key, ip);
      } catch (e: unknown) {
        // The reconciler collects what is left behind.
        this.#o.log.warn({ service: key, ip: formatIp(ip), err: errorText(e) }, "release failed");
      }
    }
  }

  async #release(key: string, ip: IpAddress): Promise<void> {
    const { view, writer } = this.#o;
    const claim = view.claimOf(claimName(ip));
    if (claim === undefined) return;
    const rest = (claim.spec?.holders ?? []).filter((h) => holderKey(h) !== key);
    const written = await writer.replaceHolders(claim, rest);
    if (!written.ok) return;
    if (rest.length > 0) view.ingestClaim(written.claim);
    else view.forgetClaim(claim);
  }
}

/** Keeps the UID the reconciler recorded when rewriting a holder. */
function pick(h: { uid?: string | undefined } | undefined): { uid?: string } {
  return h?.uid === undefined ? {} : { uid: h.uid };
}

export function mutatingHandler(options: MutatingOptions): RequestHandler {
  const assigner = new ServiceAssigner(options);
  return async (req: Request, res: Response): Promise<void> => {
    const request = parseAdmissionReview(req.body);
    const svc = request.object as ServiceLike | undefined;
    if (request.kind.kind !== "Service" || svc === undefined) {
      res.json(reviewOf(allow(request.uid)));
      return;
    }
    const admission = new ServiceAdmission({
      options,
      svc,
      uid: request.uid,
      dryRun: request.dryRun,
    });
    res.json(reviewOf(await admission.decide(assigner)));
  };
}

/** One Service's admission: the checks in order, warnings gathered on the way. */
class ServiceAdmission {
  readonly #o: MutatingOptions;
  readonly #svc: ServiceLike;
  readonly #uid: string;
  readonly #dryRun: boolean;
  readonly #warnings: string[] = [];

  constructor(args: { options: MutatingOptions; svc: ServiceLike; uid: string; dryRun: boolean }) {
    this.#o = args.options;
    this.#svc = args.svc;
    this.#uid = args.uid;
    this.#dryRun = args.dryRun;
  }

  async decide(assigner: ServiceAssigner): Promise<AdmissionResponse> {
    const svc = this.#svc;
    // Not (or no longer) ours: drop what we recorded; the reconciler frees the claims.
    if (!isOurs(svc, this.#o.lbClass)) return this.#allow(undefined);
    if ((svc.metadata.name ?? "") === "") {
      this.#warnings.push(
        "metadata.name is generated after admission: the reconciler assigns this Service's IP",
      );
      return allow(this.#uid, this.#warnings);
    }
    const read = readService(svc, { clusterFamilies: this.#o.clusterFamilies() });
    if (!read.ok)
      return this.#deny(`${svc.metadata.namespace ?? ""}/${svc.metadata.name}`, read.failure);
    for (const key of deprecatedAnnotations(svc)) {
      this.#warnings.push(
        `Service uses deprecated annotation ${key}; use metallb.io/${key.split("/")[1] ?? ""}`,
      );
    }
    const outcome = await assigner.assign(read.request, this.#dryRun);
    if (outcome.ok) return this.#assigned(outcome.allocation);
    if (outcome.failure.hard) return this.#deny(read.request.key, outcome.failure);
    this.#record(
      "Warning",
      "AllocationFailed",
      `Failed to allocate IP for "${read.request.key}": ${outcome.failure.message}`,
    );
    this.#warnings.push(`no IP assigned yet: ${failureText(outcome.failure)}`);
    return this.#allow(undefined);
  }

  #assigned(allocation: Allocation): AdmissionResponse {
    const ips = allocation.ips.map(formatIp);
    if (!this.#o.view.isAdvertised(allocation.pool)) {
      const message = `IPAddressPool "${allocation.pool}" is not announced by any L2Advertisement or BGPAdvertisement: ${ips.join(",")} will not be reachable until one selects it`;
      this.#warnings.push(message);
      this.#record("Warning", "NotAnnounced", message);
    }
    this.#record("Normal", "IPAllocated", `Assigned IP ${JSON.stringify(ips)}`);
    return this.#allow(allocation);
  }

  #allow(allocation: Allocation | undefined): AdmissionResponse {
    return withPatch(
      allow(this.#uid, this.#warnings),
      annotationPatch(this.#svc.metadata.annotations, allocation),
    );
  }

  #deny(key: string, failure: AllocationFailure): AdmissionResponse {
    return deny(this.#uid, `Service "${key}": ${failureText(failure)}`, this.#warnings);
  }

  /** Events only for real requests: a dry run leaves nothing behind. */
  #record(type: "Normal" | "Warning", reason: string, message: string): void {
    if (this.#dryRun) return;
    const { namespace = "", name = "" } = this.#svc.metadata;
    this.#o.events.record({ namespace, name }, { type, reason, message });
  }
}
