// An informer on one metallb.io kind in the MetalLB namespace, at the kind's
// storage version (what the webhook, reconciler and speaker all watch).
import { API_GROUP, PLURALS, storageVersion, type MetallbKind } from "../api/kind-names.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import type { Logger } from "../logger.ts";
import type { ApiClient } from "./api-client.ts";
import { Informer } from "./informer.ts";

export type MetallbObject = KubeObject;

export interface MetallbInformerOptions {
  readonly api: ApiClient;
  readonly kind: MetallbKind;
  readonly namespace: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly keep?: ((obj: MetallbObject) => MetallbObject) | undefined;
}

/** The collection path of `kind` in `namespace`, at `version` (default: its storage version). */
export function metallbPath(
  kind: MetallbKind,
  namespace: string,
  version = storageVersion(kind),
): string {
  return `/apis/${API_GROUP}/${version}/namespaces/${namespace}/${PLURALS[kind]}`;
}

export function metallbInformer(options: MetallbInformerOptions): Informer<MetallbObject> {
  return new Informer<MetallbObject>({
    api: options.api,
    path: metallbPath(options.kind, options.namespace),
    log: options.log,
    signal: options.signal,
    keep: options.keep,
  });
}
