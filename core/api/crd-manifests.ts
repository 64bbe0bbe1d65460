// CustomResourceDefinitions generated from the kind registry. The committed
// YAML in manifests/crds/ is this output (manifests/generate.ts; a test fails
// when it is stale).
import type { TSchema } from "typebox";
import { API_GROUP, KINDS, type KindDefinition, type MetallbKind } from "./kinds.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Rewrites a TypeBox schema into a structural schema as the API server wants it
 * (apiextensions "Specifying a structural schema"): maps become
 * additionalProperties, and keywords CRDs reject are dropped.
 */
export function toStructuralSchema(schema: unknown): Json {
  if (Array.isArray(schema)) return schema.map(toStructuralSchema);
  if (schema === null || typeof schema !== "object") return schema as Json;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "patternProperties") {
      const [only] = Object.values(value as Record<string, unknown>);
      out.additionalProperties = toStructuralSchema(only);
    } else if (key === "additionalProperties" && value === false) {
      continue; // CRDs prune unknown fields instead
    } else {
      out[key] = toStructuralSchema(value);
    }
  }
  return out;
}

export interface ConversionWebhook {
  /** In-cluster Service that serves /convert. */
  readonly service?: { name: string; namespace: string; port: number };
  /** Direct URL, for a webhook outside the cluster (the test control plane). */
  readonly url?: string;
  readonly caBundle?: string;
}

export const CONVERSION_PATH = "/convert";

function versionSchema(kind: KindDefinition, spec: TSchema, status?: TSchema, required = false) {
  const properties: Record<string, unknown> = {
    apiVersion: { type: "string", description: "Versioned schema of this object." },
    kind: { type: "string", description: "REST resource this object represents." },
    metadata: { type: "object" },
    spec,
  };
  if (status !== undefined) properties.status = status;
  return toStructuralSchema({
    type: "object",
    description: kind.description,
    properties,
    ...(required ? { required: ["spec"] } : {}),
  });
}

export function crdFor(kindName: MetallbKind, conversion?: ConversionWebhook): Json {
  const kind = KINDS[kindName];
  const singular = kind.kind.toLowerCase();
  const multiVersion = kind.versions.length > 1;
  const versions: Json[] = kind.versions.map((v) => ({
    name: v.name,
    served: true,
    storage: v.storage,
    ...(v.deprecationWarning === undefined
      ? {}
      : { deprecated: true, deprecationWarning: v.deprecationWarning }),
    schema: { openAPIV3Schema: versionSchema(kind, v.spec, v.status, v.specRequired) },
    subresources: { status: {} },
    ...(v.columns.length === 0
      ? {}
      : { additionalPrinterColumns: v.columns.map((c) => ({ ...c })) }),
  }));
  const crd: Record<string, Json> = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${kind.plural}.${API_GROUP}`,
      labels: { "app.kubernetes.io/name": "metallb-ts", "app.kubernetes.io/part-of": "metallb" },
    },
    spec: {
      group: API_GROUP,
      names: { kind: kind.kind, listKind: `${kind.kind}List`, plural: kind.plural, singular },
      scope: "Namespaced",
      versions,
    },
  };
  if (multiVersion) {
    // v1beta1 and v1beta2 differ (timers, selectors), so the API server asks
    // our webhook to convert (webhook/bgp-peer-conversion.ts).
    const clientConfig: Record<string, Json> = {};
    if (conversion?.url !== undefined) clientConfig.url = conversion.url;
    else {
      const service = conversion?.service ?? {
        name: "metallb-webhook-service",
        namespace: "metallb-system",
        port: 443,
      };
      clientConfig.service = { ...service, path: CONVERSION_PATH };
    }
    if (conversion?.caBundle !== undefined) clientConfig.caBundle = conversion.caBundle;
    (crd.spec as Record<string, Json>).conversion = {
      strategy: "Webhook",
      webhook: { clientConfig, conversionReviewVersions: ["v1", "v1beta1"] },
    };
  }
  return crd;
}

export function allCrds(conversion?: ConversionWebhook): Json[] {
  return (Object.keys(KINDS) as MetallbKind[]).map((k) => crdFor(k, conversion));
}
