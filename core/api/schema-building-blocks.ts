// Schema pieces shared by the metallb.io kinds. Each schema serves three
// readers at once: the CRD's openAPIV3Schema (crd-manifests.ts), the static
// TypeScript type (Static<…>) and the offline checker (schema-check.ts).
import {
  Type,
  type Static,
  type TArray,
  type TInteger,
  type TOptional,
  type TSchema,
  type TString,
  type TUnsafe,
} from "typebox";
import { celToCrd, type CelRule } from "./cel-rule.ts";

/** A string restricted to a set of values (CRD structural schemas need `type` beside `enum`). */
export function StringEnum<const V extends readonly string[]>(
  values: V,
  options: Record<string, unknown> = {},
): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ ...options, type: "string", enum: [...values] });
}

/** int32 as Go's json emits it; CRDs carry `format` so kubectl explain shows the width. */
export function Int32(options: Record<string, unknown> = {}): TInteger {
  return Type.Integer({ format: "int32", ...options });
}

export function Int64(options: Record<string, unknown> = {}): TInteger {
  return Type.Integer({ format: "int64", ...options });
}

/** A Go time.Duration string such as "90s" or "1m30s" (parsed by core/validation/go-duration.ts). */
export function Duration(description: string): TString {
  return Type.String({ description });
}

/** Where withCel keeps a schema's rules for the offline checker (symbols never reach JSON). */
export const CEL_RULES: unique symbol = Symbol("metallb-ts.celRules");

export type WithCel<T extends TSchema> = T & { [CEL_RULES]: readonly CelRule<Static<T>>[] };

/** Attaches CEL rules: as x-kubernetes-validations for the CRD, and as TypeScript for `validate`. */
export function withCel<T extends TSchema>(
  schema: T,
  rules: readonly CelRule<Static<T>>[],
): WithCel<T> {
  return Object.assign(
    { ...schema, "x-kubernetes-validations": celToCrd(rules) },
    { [CEL_RULES]: rules },
  );
}

export const LabelSelectorRequirement = Type.Object({
  key: Type.String({ description: "The label key that the selector applies to." }),
  operator: Type.String({
    description: "In, NotIn, Exists or DoesNotExist.",
  }),
  values: Type.Optional(
    Type.Array(Type.String(), {
      description: "Values for In and NotIn; must be empty for Exists and DoesNotExist.",
      "x-kubernetes-list-type": "atomic",
    }),
  ),
});

/** metav1.LabelSelector, as MetalLB's CRDs embed it. */
export const LabelSelector = Type.Object(
  {
    matchLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
    matchExpressions: Type.Optional(
      Type.Array(LabelSelectorRequirement, { "x-kubernetes-list-type": "atomic" }),
    ),
  },
  { "x-kubernetes-map-type": "atomic" },
);
export type LabelSelector = Static<typeof LabelSelector>;

export function LabelSelectors(description: string): TOptional<TArray<typeof LabelSelector>> {
  return Type.Optional(Type.Array(LabelSelector, { description }));
}

export function StringList(description: string): TOptional<TArray<TString>> {
  return Type.Optional(Type.Array(Type.String(), { description }));
}

/** Every object the API serves: apiVersion/kind/metadata around a spec and status. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

export interface KubeObject<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
}
