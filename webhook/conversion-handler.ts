// The CRD conversion webhook (apiextensions.k8s.io/v1 ConversionReview) for
// BGPPeer v1beta1 <-> v1beta2.
import type { Request, Response } from "express";
import { convertBGPPeer } from "../core/api/bgp-peer-conversion.ts";
import type { KubeObject } from "../core/api/schema-building-blocks.ts";
import { errorText, MetallbError } from "../core/errors.ts";

interface ConversionRequest {
  uid: string;
  desiredAPIVersion: string;
  objects: KubeObject<Record<string, unknown>>[];
}

function parseConversionReview(body: unknown): { apiVersion: string; request: ConversionRequest } {
  const review = body as {
    apiVersion?: unknown;
    kind?: unknown;
    request?: Partial<ConversionRequest>;
  } | null;
  const request = review?.request;
  if (
    review?.kind !== "ConversionReview" ||
    typeof review.apiVersion !== "string" ||
    typeof request?.uid !== "string" ||
    typeof request.desiredAPIVersion !== "string" ||
    !Array.isArray(request.objects)
  ) {
    throw new MetallbError("CONVERSION_REVIEW_MALFORMED", "malformed ConversionReview");
  }
  return { apiVersion: review.apiVersion, request: request as ConversionRequest };
}

export function conversionHandler() {
  return (req: Request, res: Response): void => {
    const { apiVersion, request } = parseConversionReview(req.body);
    const respond = (result: object) =>
      res.json({ apiVersion, kind: "ConversionReview", response: { uid: request.uid, ...result } });
    try {
      const convertedObjects = request.objects.map((o) => {
        if (o.kind !== "BGPPeer") {
          throw new MetallbError("CONVERSION_UNSUPPORTED_KIND", `cannot convert kind ${o.kind}`);
        }
        return convertBGPPeer(o, request.desiredAPIVersion);
      });
      respond({ convertedObjects, result: { status: "Success" } });
    } catch (e: unknown) {
      respond({ convertedObjects: [], result: { status: "Failure", message: errorText(e) } });
    }
  };
}
