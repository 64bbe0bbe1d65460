// Reads the current metallb.io configuration from the API for the validating
// webhook. Uncached on purpose (as MetalLB's webhooks): two replicas must judge
// against what the API holds now, not what each last saw.
import { API_GROUP, KINDS, type ConfigKind } from "../core/api/kinds.ts";
import type { KubeObject } from "../core/api/schema-building-blocks.ts";
import { isRetryableApiError, retryAfterMs } from "../core/api-errors.ts";
import { retry } from "../core/backoff.ts";
import { MetallbError } from "../core/errors.ts";
import type { ApiClient } from "../core/kube/api-client.ts";
import { storageVersion } from "../core/api/kind-names.ts";
import { metallbPath } from "../core/kube/metallb-informer.ts";
import { CONFIG_SET_FIELD, type ConfigSet } from "../core/validation/config-set.ts";

export type ConfigSource = (namespace: string) => Promise<ConfigSet>;

export function apiConfigSource(api: ApiClient): ConfigSource {
  return async (namespace) => {
    const kinds = Object.keys(CONFIG_SET_FIELD) as ConfigKind[];
    const lists = await Promise.all(
      kinds.map(async (kind) => {
        const version = storageVersion(kind);
        try {
          // A CRD that was just created answers 429 "storage is (re)initializing"
          // for a moment; the webhook's own 10 s budget leaves room for a few tries.
          const list = await retry(
            () => api.call<{ items?: KubeObject[] }>("GET", metallbPath(kind, namespace)),
            { attempts: 4, baseMs: 100, maxMs: 1000, retryable: isRetryableApiError, retryAfterMs },
          );
          return (list.items ?? []).map((o) => ({
            ...o,
            kind,
            apiVersion: `${API_GROUP}/${version}`,
          }));
        } catch (e: unknown) {
          throw new MetallbError(
            "CONFIG_LIST_FAILED",
            `listing ${KINDS[kind].plural} in ${namespace}`,
            {
              cause: e,
            },
          );
        }
      }),
    );
    const set: Record<string, KubeObject[]> = {};
    kinds.forEach((kind, i) => (set[CONFIG_SET_FIELD[kind]] = lists[i] ?? []));
    return set as unknown as ConfigSet;
  };
}
