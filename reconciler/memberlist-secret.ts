// The `memberlist` Secret the speakers authenticate their heartbeats with
// (ADR 0006). MetalLB's controller creates it when it is absent, so existing
// installs keep theirs and a fresh install gets one without a manual step
// (metallb-reference §4.6: key `secretkey`, unpadded base64 of 16 random bytes).
import { randomBytes } from "node:crypto";
import { apiErrorKind, isRetryableApiError, retryAfterMs } from "../core/api-errors.ts";
import { retry } from "../core/backoff.ts";
import type { ApiClient } from "../core/kube/api-client.ts";
import type { Logger } from "../core/logger.ts";

export const MEMBERLIST_SECRET = "memberlist";
export const MEMBERLIST_KEY = "secretkey";

export function newMemberlistKey(): string {
  return randomBytes(16).toString("base64").replace(/=+$/, "");
}

/** Creates the Secret unless it exists; AlreadyExists (another replica won) is success. */
export async function ensureMemberlistSecret(
  api: ApiClient,
  namespace: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<"created" | "exists"> {
  const secrets = `/api/v1/namespaces/${namespace}/secrets`;
  return retry(
    async () => {
      try {
        await api.call("GET", `${secrets}/${MEMBERLIST_SECRET}`);
        return "exists" as const;
      } catch (e: unknown) {
        if (apiErrorKind(e) !== "NotFound") throw e;
      }
      try {
        await api.call("POST", secrets, {
          body: {
            metadata: { name: MEMBERLIST_SECRET, namespace, labels: { app: "metallb" } },
            stringData: { [MEMBERLIST_KEY]: newMemberlistKey() },
          },
        });
        log.info({ secret: MEMBERLIST_SECRET }, "created the speakers' heartbeat key");
        return "created" as const;
      } catch (e: unknown) {
        if (apiErrorKind(e) === "AlreadyExists") return "exists" as const;
        throw e;
      }
    },
    {
      attempts: 20,
      baseMs: 250,
      maxMs: 30_000,
      retryable: isRetryableApiError,
      retryAfterMs,
      ...(signal === undefined ? {} : { signal }),
    },
  );
}
