// The reconciler creates the speakers' heartbeat key when it is absent and
// leaves an existing one alone (two replicas racing both succeed).
import { CoreV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { apiClientFor } from "../../core/kube/kube-config.ts";
import { createLogger } from "../../core/logger.ts";
import { ensureMemberlistSecret, MEMBERLIST_KEY } from "../../reconciler/memberlist-secret.ts";
import { kubeConfig, kubectl, uniqueName } from "../kube.ts";

describe("memberlist Secret", () => {
  it("is created once with a 16-byte key, then kept", async () => {
    const namespace = uniqueName("ml-secret");
    await kubectl(["create", "namespace", namespace]);
    try {
      const core = kubeConfig().makeApiClient(CoreV1Api);
      const api = apiClientFor(kubeConfig());
      const log = createLogger("test", "silent");
      const results = await Promise.all([
        ensureMemberlistSecret(api, namespace, log),
        ensureMemberlistSecret(api, namespace, log),
      ]);
      expect(results.sort()).toEqual(["created", "exists"]);
      const secret = await core.readNamespacedSecret({ name: "memberlist", namespace });
      const key = Buffer.from(secret.data?.[MEMBERLIST_KEY] ?? "", "base64").toString();
      expect(Buffer.from(key, "base64")).toHaveLength(16);
      expect(await ensureMemberlistSecret(api, namespace, log)).toBe("exists");
      const again = await core.readNamespacedSecret({ name: "memberlist", namespace });
      expect(again.data?.[MEMBERLIST_KEY]).toBe(secret.data?.[MEMBERLIST_KEY]);
    } finally {
      await kubectl(["delete", "namespace", namespace, "--wait=false"]);
    }
  });
});
