// An informer on one metallb.io kind in the MetalLB namespace, at the kind's
// storage version (what the webhook, reconciler and speaker all watch).
import {
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { API_GROUP, KINDS, type MetallbKind } from "../api/kinds.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import type { Logger } from "../logger.ts";
import { Informer } from "./informer.ts";

export type MetallbObject = KubeObject & KubernetesObject;

export interface MetallbInformerOptions {
  readonly kc: KubeConfig;
  readonly kind: MetallbKind;
  readonly namespace: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

export function storageVersion(kind: MetallbKind): string {
  return KINDS[kind].versions.find((v) => v.storage)?.name ?? "v1beta1";
}

export function metallbInformer(options: MetallbInformerOptions): Informer<MetallbObject> {
  const custom = options.kc.makeApiClient(CustomObjectsApi);
  const { plural } = KINDS[options.kind];
  const version = storageVersion(options.kind);
  return new Informer<MetallbObject>({
    kc: options.kc,
    path: `/apis/${API_GROUP}/${version}/namespaces/${options.namespace}/${plural}`,
    list: () =>
      custom.listNamespacedCustomObject({
        group: API_GROUP,
        version,
        namespace: options.namespace,
        plural,
      }) as Promise<KubernetesListObject<MetallbObject>>,
    log: options.log,
    signal: options.signal,
  });
}
