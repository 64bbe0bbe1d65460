// IPAddressPool status (assignedIPv4/6, availableIPv4/6), written through the
// status subresource when the allocator's figures differ from what it says.
// Debounced: a burst of claims makes one write per pool.
import type { PoolUsage } from "../core/allocator/allocation-types.ts";
import { MERGE_PATCH, type ApiClient } from "../core/kube/api-client.ts";
import type { AllocationView } from "../core/kube/allocation-view.ts";
import { metallbPath } from "../core/kube/metallb-informer.ts";
import { errorText } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";

const FIELDS = ["assignedIPv4", "assignedIPv6", "availableIPv4", "availableIPv6"] as const;

export interface PoolStatusOptions {
  readonly view: AllocationView;
  readonly api: ApiClient;
  readonly namespace: string;
  readonly log: Logger;
  readonly delayMs?: number | undefined;
}

/** The status patch for a pool, or undefined when its status already says `usage`. */
export function poolStatusPatch(
  status: Partial<Record<string, unknown>> | undefined,
  usage: PoolUsage,
): { status: PoolUsage } | undefined {
  const same = FIELDS.every((f) => Number(status?.[f] ?? -1) === usage[f]);
  return same ? undefined : { status: usage };
}

export class PoolStatusWriter {
  readonly #o: PoolStatusOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: PoolStatusOptions) {
    this.#o = options;
  }

  /** Writes pool status soon (only when `active`: the leader writes). */
  schedule(active: boolean): void {
    if (!active || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.writeAll();
    }, this.#o.delayMs ?? 1_000);
    this.#timer.unref();
  }

  async writeAll(): Promise<void> {
    const { view, api, namespace, log } = this.#o;
    for (const pool of view.pools()) {
      const name = pool.metadata.name ?? "";
      const body = poolStatusPatch(
        pool.status as Record<string, unknown> | undefined,
        view.allocator.usage(name),
      );
      if (body === undefined) continue;
      try {
        await api.call("PATCH", `${metallbPath("IPAddressPool", namespace)}/${name}/status`, {
          body,
          contentType: MERGE_PATCH,
        });
      } catch (e: unknown) {
        log.warn({ pool: name, err: errorText(e) }, "pool status not written");
      }
    }
  }
}
