// The ValidatingWebhookConfiguration for the metallb.io kinds, with MetalLB's
// name, webhook names and paths (metallb-reference.md §7.4), for an in-cluster
// Service or a URL (the test control plane calls a webhook on 127.0.0.1).
import { API_GROUP, CONFIG_KINDS, PLURALS, storageVersion, type ConfigKind } from "./kind-names.ts";

export const VALIDATING_CONFIGURATION_NAME = "metallb-webhook-configuration";

export type ClientConfig =
  | {
      service: { name: string; namespace: string; port?: number; path?: string };
      caBundle?: string;
    }
  | { url: string; caBundle?: string };

/** admissionregistration.k8s.io/v1 RuleWithOperations, as far as we fill it in. */
export interface WebhookRule {
  readonly apiGroups: readonly string[];
  readonly apiVersions: readonly string[];
  readonly operations: readonly ("CREATE" | "UPDATE" | "DELETE" | "CONNECT")[];
  readonly resources: readonly string[];
  readonly scope?: "Cluster" | "Namespaced" | "*";
}

/** The fields both webhook kinds share (admissionregistration.k8s.io/v1). */
export interface Webhook {
  readonly name: string;
  readonly admissionReviewVersions: readonly string[];
  readonly clientConfig: ClientConfig;
  readonly failurePolicy: "Fail" | "Ignore";
  readonly sideEffects: "None" | "NoneOnDryRun";
  readonly timeoutSeconds: number;
  readonly matchPolicy?: "Exact" | "Equivalent";
  readonly rules: readonly WebhookRule[];
  readonly matchConditions?: readonly { readonly name: string; readonly expression: string }[];
}

export interface MutatingWebhook extends Webhook {
  readonly reinvocationPolicy: "Never" | "IfNeeded";
}

export interface WebhookConfiguration<Kind extends string, W extends Webhook> {
  readonly apiVersion: "admissionregistration.k8s.io/v1";
  readonly kind: Kind;
  readonly metadata: { readonly name: string };
  readonly webhooks: readonly W[];
}

export type ValidatingWebhookConfiguration = WebhookConfiguration<
  "ValidatingWebhookConfiguration",
  Webhook
>;
export type MutatingWebhookConfiguration = WebhookConfiguration<
  "MutatingWebhookConfiguration",
  MutatingWebhook
>;

/** MetalLB's webhook paths, e.g. /validate-metallb-io-v1beta1-ipaddresspool. */
export function validatePath(kind: ConfigKind): string {
  return `/validate-metallb-io-${storageVersion(kind)}-${kind.toLowerCase()}`;
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
export function validatingWebhookConfiguration(
  clientConfig: ClientConfig,
): ValidatingWebhookConfiguration {
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
          apiVersions: [storageVersion(kind)],
          operations: kind === "BFDProfile" ? ["CREATE", "DELETE"] : ["CREATE", "UPDATE"],
          resources: [PLURALS[kind]],
        },
      ],
    })),
  };
}

export const MUTATING_CONFIGURATION_NAME = "metallb-ts-service-assignment";
export const MUTATE_SERVICE_PATH = "/mutate-v1-service";

/**
 * Assignment at Service admission. Only LoadBalancer Services reach us
 * (matchConditions), plus updates turning one into something else, so that
 * our annotations are dropped. failurePolicy Ignore: while the webhook is
 * down Services are created without an IP and the reconciler assigns one;
 * ClusterIP and NodePort Services are never touched. IfNeeded reinvocation
 * lets later mutating webhooks' changes (labels, annotations) be seen; a
 * second call for the same Service is a no-op because its claims remember it.
 */
export function mutatingWebhookConfiguration(
  clientConfig: ClientConfig,
): MutatingWebhookConfiguration {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: MUTATING_CONFIGURATION_NAME },
    webhooks: [
      {
        name: "serviceassignment.metallb.io",
        admissionReviewVersions: ["v1"],
        clientConfig: withPath(clientConfig, MUTATE_SERVICE_PATH),
        failurePolicy: "Ignore",
        // Creates with sideEffects (claims) are skipped on dry-run by our code, not the API server's.
        sideEffects: "NoneOnDryRun",
        reinvocationPolicy: "IfNeeded",
        // Short: admission sits on the create path; the reconciler covers a slow webhook.
        timeoutSeconds: 5,
        matchPolicy: "Equivalent",
        rules: [
          {
            apiGroups: [""],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["services"],
            scope: "Namespaced",
          },
        ],
        matchConditions: [
          {
            name: "load-balancer-services",
            expression:
              "object.spec.type == 'LoadBalancer' || (oldObject != null && oldObject.spec.type == 'LoadBalancer')",
          },
        ],
      },
    ],
  };
}
