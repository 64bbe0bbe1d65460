// The AdmissionReview envelope (admission.k8s.io/v1): parsing with clear
// errors for malformed input (HTTP 400), and building responses. Denials are
// answers, not errors (HTTP 200 with allowed: false), as the API expects.
import type { KubeObject } from "../core/api/schema-building-blocks.ts";
import { MetallbError } from "../core/errors.ts";
import type { Operation } from "../core/validation/admission-check.ts";

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: { group: string; version: string; kind: string };
  readonly operation: Operation;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  readonly object?: KubeObject | undefined;
  readonly oldObject?: KubeObject | undefined;
  readonly dryRun: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
  patchType?: "JSONPatch";
  patch?: string;
}

const OPERATIONS: readonly Operation[] = ["CREATE", "UPDATE", "DELETE", "CONNECT"];

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function malformed(message: string): MetallbError {
  return new MetallbError("ADMISSION_REVIEW_MALFORMED", `malformed AdmissionReview: ${message}`);
}

function objectField(request: Record<string, unknown>, field: string): KubeObject | undefined {
  const value = request[field];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value) || typeof value.kind !== "string" || typeof value.apiVersion !== "string") {
    throw malformed(`request.${field} is not a Kubernetes object`);
  }
  if (value.metadata !== undefined && !isRecord(value.metadata)) {
    throw malformed(`request.${field}.metadata is not an object`);
  }
  return { ...value, metadata: value.metadata ?? {} } as unknown as KubeObject;
}

function envelope(body: unknown): Record<string, unknown> {
  if (!isRecord(body)) throw malformed("body is not a JSON object");
  if (body.kind !== "AdmissionReview") throw malformed(`kind is ${JSON.stringify(body.kind)}`);
  if (body.apiVersion !== "admission.k8s.io/v1") {
    throw malformed(`apiVersion ${JSON.stringify(body.apiVersion)} (only admission.k8s.io/v1)`);
  }
  if (!isRecord(body.request)) throw malformed("request is missing");
  return body.request;
}

function requestKind(request: Record<string, unknown>): AdmissionRequest["kind"] {
  const kind = request.kind;
  if (!isRecord(kind) || typeof kind.kind !== "string" || typeof kind.version !== "string") {
    throw malformed("request.kind");
  }
  return {
    group: typeof kind.group === "string" ? kind.group : "",
    version: kind.version,
    kind: kind.kind,
  };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Throws MetallbError ADMISSION_REVIEW_MALFORMED for anything the API server would never send. */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  const request = envelope(body);
  if (typeof request.uid !== "string" || request.uid === "") throw malformed("request.uid");
  const operation = request.operation;
  if (typeof operation !== "string" || !OPERATIONS.includes(operation as Operation)) {
    throw malformed(`request.operation ${JSON.stringify(operation)}`);
  }
  return {
    uid: request.uid,
    kind: requestKind(request),
    operation: operation as Operation,
    namespace: optionalString(request.namespace),
    name: optionalString(request.name),
    object: objectField(request, "object"),
    oldObject: objectField(request, "oldObject"),
    dryRun: request.dryRun === true,
  };
}

export interface AdmissionReviewResponse {
  apiVersion: "admission.k8s.io/v1";
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

export function reviewOf(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response };
}

export function allow(uid: string, warnings: readonly string[] = []): AdmissionResponse {
  return warnings.length > 0
    ? { uid, allowed: true, warnings: [...warnings] }
    : { uid, allowed: true };
}

export function deny(
  uid: string,
  message: string,
  warnings: readonly string[] = [],
): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: { code: 403, reason: "Forbidden", message },
    ...(warnings.length > 0 ? { warnings: [...warnings] } : {}),
  };
}
