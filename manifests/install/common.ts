// Names, labels and the image every install manifest shares. One image runs
// every component; the subcommand (webhook, reconciler, speaker) picks which.
import { DEFAULT_NAMESPACE } from "../../core/api/kinds.ts";

export const NAMESPACE = DEFAULT_NAMESPACE;
export const VERSION = "0.1.0";
export const IMAGE = `ghcr.io/metallb-ts/metallb-ts:${VERSION}`;

/** MetalLB's names, so its users' commands (`kubectl logs deployment/controller`) work. */
export const NAMES = {
  webhookService: "metallb-webhook-service",
  webhookSecret: "metallb-webhook-cert",
  memberlistSecret: "memberlist",
  controllerLease: "metallb-ts-controller",
} as const;

/** Where the webhook reads its serving pair (webhook/command.ts defaults). */
export const CERT_DIR = "/tmp/k8s-webhook-server/serving-certs";

export type Component = "controller" | "speaker" | "webhook";

export type Json = Record<string, unknown>;

/** What MetalLB's users select on (`app`, `component`) plus the app.kubernetes.io set. */
export function labels(component?: Component): Record<string, string> {
  return {
    app: "metallb",
    ...(component === undefined ? {} : { component }),
    "app.kubernetes.io/name": "metallb-ts",
    ...(component === undefined ? {} : { "app.kubernetes.io/component": component }),
    "app.kubernetes.io/part-of": "metallb-ts",
    "app.kubernetes.io/version": VERSION,
  };
}

/** Pod selector: stable across versions (a Deployment's selector is immutable). */
export function selector(component: Component): Record<string, string> {
  return { app: "metallb", component };
}

export function meta(
  name: string,
  component?: Component,
  namespaced = true,
): { name: string; namespace?: string; labels: Record<string, string> } {
  return { name, ...(namespaced ? { namespace: NAMESPACE } : {}), labels: labels(component) };
}

/**
 * A manifest and, for Roles and ClusterRoles, why each rule is there: the
 * renderer writes `why[i]` as a comment above `rules[i]`.
 */
export interface Manifest {
  readonly object: Json;
  readonly why?: readonly string[];
}
