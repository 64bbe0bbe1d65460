// The validating webhook, registered with the real API server: kubectl sees
// our denials and warnings, and BGPPeer v1beta1/v1beta2 round-trip through
// our conversion webhook.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubectl } from "../kube.ts";
import { clearMetallbNamespace, startTestWebhook, type TestWebhook } from "../webhook-harness.ts";

let hook: TestWebhook;
beforeAll(async () => {
  hook = await startTestWebhook();
});
afterAll(async () => {
  await clearMetallbNamespace();
  await hook.stop();
});

const pool = (name: string, addresses: string[]) =>
  JSON.stringify({
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name, namespace: "metallb-system" },
    spec: { addresses },
  });

describe("validating webhook", () => {
  it("denies a pool that overlaps another, naming both and the shared addresses", async () => {
    await kubectl(["apply", "-f", "-"], { input: pool("wh-a", ["192.0.2.0/28"]) });
    const r = await kubectl(["apply", "-f", "-"], {
      input: pool("wh-b", ["192.0.2.8-192.0.2.20"]),
      allowFailure: true,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied',
    );
    expect(r.stderr).toContain('IPAddressPool "wh-a"');
    expect(r.stderr).toContain("192.0.2.8-192.0.2.15");
    expect(r.stderr).toContain("[POOL_OVERLAP]");
  });

  it("admits a CIDR with host bits, with a warning kubectl prints", async () => {
    const r = await kubectl(["apply", "-f", "-"], { input: pool("wh-c", ["198.18.0.77/24"]) });
    expect(r.stderr).toContain("Warning:");
    expect(r.stderr).toContain("used as 198.18.0.0/24");
  });

  it("refuses objects outside metallb-system but never blocks other kinds", async () => {
    const r = await kubectl(["create", "--dry-run=server", "-f", "-"], {
      input: pool("wh-d", ["198.19.0.0/24"]).replace("metallb-system", "default"),
      allowFailure: true,
    });
    expect(r.stderr).toContain("resource must be created in metallb-system namespace");
    const cm = await kubectl([
      "create",
      "configmap",
      "wh-unrelated",
      "-n",
      "default",
      "--dry-run=server",
    ]);
    expect(cm.code).toBe(0);
  });

  it("round-trips a BGPPeer between v1beta1 and v1beta2 without losing v1beta2 fields", async () => {
    const peer = {
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "wh-peer", namespace: "metallb-system" },
      spec: {
        myASN: 64512,
        peerASN: 64513,
        peerAddress: "192.0.2.1",
        holdTime: "9s",
        connectTime: "5s",
        dualStackAddressFamily: true,
        nodeSelectors: [{ matchLabels: { rack: "a" } }],
      },
    };
    await kubectl(["apply", "-f", "-"], { input: JSON.stringify(peer) });
    const asV1 = JSON.parse(
      (
        await kubectl([
          "get",
          "bgppeers.v1beta1.metallb.io",
          "wh-peer",
          "-n",
          "metallb-system",
          "-o",
          "json",
        ])
      ).stdout,
    ) as { spec: Record<string, unknown>; metadata: { annotations?: Record<string, string> } };
    expect(asV1.spec).toMatchObject({ myASN: 64512, peerASN: 64513, holdTime: "9s" });
    expect(asV1.spec.connectTime).toBeUndefined();
    // Written back through v1beta1, the object must keep its v1beta2-only fields.
    await kubectl(["replace", "-f", "-"], {
      input: JSON.stringify({ ...asV1, apiVersion: "metallb.io/v1beta1", kind: "BGPPeer" }),
    });
    const back = JSON.parse(
      (
        await kubectl([
          "get",
          "bgppeers.v1beta2.metallb.io",
          "wh-peer",
          "-n",
          "metallb-system",
          "-o",
          "json",
        ])
      ).stdout,
    ) as { spec: Record<string, unknown>; metadata: { annotations?: Record<string, string> } };
    expect(back.spec).toEqual({ ...peer.spec, peerPort: 179, disableMP: false });
    expect(back.metadata.annotations ?? {}).not.toHaveProperty("metallb.io/v1beta2-fields");
  });
});
