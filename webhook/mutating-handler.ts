// The mutating webhook for Services: a LoadBalancer Service of ours leaves
// admission with its IPs chosen, claimed through the API server, and recorded
// in annotations, so the create call's response already shows them.
import type { Request, RequestHandler, Response } from "express";
import type {
  Allocation,
  AllocationFailure,
  ServiceRequest,
} from "../core/allocator/allocation-types.ts";
import {
  adoptionRequest,
  deprecatedAnnotations,
  isOurs,
  readService,
  type ServiceLike,
} from "../core/allocator/service-request.ts";
import type { EventRecorder } from "../core/kube/event-recorder.ts";
import type { Logger } from "../core/logger.ts";
import { formatIp, type IpFamily } from "../core/net/ip-address-text.ts";
import {
  allow,
  deny,
  parseAdmissionReview,
  reviewOf,
  type AdmissionResponse,
} from "./admission-review.ts";
import type { AllocationView } from "../core/kube/allocation-view.ts";
import type { ClaimWriter } from "../core/kube/claim-writer.ts";
import { ServiceAssigner, type AssignOutcome } from "../core/kube/service-assigner.ts";
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

export function mutatingHandler(options: MutatingOptions): RequestHandler {
  const assigner = new ServiceAssigner({
    ...options,
    onRace: () => {
      options.metrics?.claimRaces.inc();
    },
  });
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
    const outcome = await this.#assign(assigner, read.request);
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

  /** An update of a Service that came from MetalLB keeps the IPs its status shows, when still allowed. */
  async #assign(assigner: ServiceAssigner, request: ServiceRequest): Promise<AssignOutcome> {
    const adopted = adoptionRequest(this.#svc, request);
    if (adopted !== undefined) {
      const outcome = await assigner.assign(adopted, this.#dryRun);
      if (outcome.ok) return outcome;
    }
    return assigner.assign(request, this.#dryRun);
  }

  #assigned(allocation: Allocation): AdmissionResponse {
    const ips = allocation.ips.map(formatIp);
    if (!this.#o.view.isAdvertised(allocation.pool)) {
      const message = `IPAddressPool "${allocation.pool}" is not announced by any L2Advertisement or BGPAdvertisement: ${ips.join(",")} will not be reachable until one selects it`;
      this.#warnings.push(message);
      this.#record("Warning", "NotAnnounced", message);
    }
    // No IPAllocated Event here: it would double the API writes of every
    // create. The reconciler records it when it publishes the status.
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
