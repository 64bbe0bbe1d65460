// The ValidatingWebhookConfiguration for the metallb.io kinds, with MetalLB's
// name, webhook names and paths (metallb-reference.md §7.4), for an in-cluster
// Service or a URL (the test control plane calls a webhook on 127.0.0.1).
import { API_GROUP, CONFIG_KINDS, KINDS, type ConfigKind } from "./kinds.ts";

export const VALIDATING_CONFIGURATION_NAME = "metallb-webhook-configuration";

export type ClientConfig =
  | {
      service: { name: string; namespace: string; port?: number; path?: string };
      caBundle?: string;
    }
  | { url: string; caBundle?: string };

export function storageVersionOf(kind: ConfigKind): string {
  return KINDS[kind].versions.find((v) => v.storage)?.name ?? "v1beta1";
}

/** MetalLB's webhook paths, e.g. /validate-metallb-io-v1beta1-ipaddresspool. */
export function validatePath(kind: ConfigKind): string {
  return `/validate-metallb-io-${storageVersionOf(kind)}-${kind.toLowerCase()}`;
}

/** MetalLB's names: singular, except its BGPPeer webhook's plural. */
function webhookName(kind: ConfigKind): string {
  const stem = kind === "BGPPeer" ? "bgppeers" : kind.toLowerCase();
  return `${stem}validationwebhook.${API_GROUP}`;
}

function withPath(base: ClientConfig, path: string): ClientConfig {
  return "url" in base
    ? { ...base, url: `${base.url.replace(/\/$/, "")}${path}` }
    : { ...base, service: { ...base.service, path } };
}

/**
 * failurePolicy Fail: a metallb.io object that was not checked could break
 * the configuration for every Service. The rules name only metallb.io, so an
 * unreachable webhook never blocks anything else.
 */
export function validatingWebhookConfiguration(clientConfig: ClientConfig) {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: VALIDATING_CONFIGURATION_NAME },
    webhooks: CONFIG_KINDS.map((kind) => ({
      name: webhookName(kind),
      admissionReviewVersions: ["v1"],
      clientConfig: withPath(clientConfig, validatePath(kind)),
      failurePolicy: "Fail",
      sideEffects: "None",
      timeoutSeconds: 10,
      rules: [
        {
          apiGroups: [API_GROUP],
          apiVersions: [storageVersionOf(kind)],
          operations: kind === "BFDProfile" ? ["CREATE", "DELETE"] : ["CREATE", "UPDATE"],
          resources: [KINDS[kind].plural],
        },
      ],
    })),
  };
}
