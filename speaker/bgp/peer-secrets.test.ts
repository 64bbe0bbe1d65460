import { describe, expect, it } from "vitest";
import { referencedSecrets, secretPassword } from "./peer-secrets.ts";

describe("BGPPeer password Secrets", () => {
  it("reads `password` of a kubernetes.io/basic-auth Secret only", () => {
    const data = { password: Buffer.from("s3cret").toString("base64") };
    expect(secretPassword({ type: "kubernetes.io/basic-auth", data })).toEqual({
      ok: true,
      password: "s3cret",
    });
    expect(secretPassword({ type: "Opaque", data })).toEqual({
      ok: false,
      reason: "secret type mismatch: Opaque",
    });
    expect(secretPassword({ type: "kubernetes.io/basic-auth", data: {} })).toEqual({
      ok: false,
      reason: "password not specified in the secret",
    });
  });

  it("collects the Secret names peers reference", () => {
    const peer = (secret?: string) => ({
      apiVersion: "metallb.io/v1beta2",
      kind: "BGPPeer",
      metadata: { name: "p" },
      spec: { myASN: 1, ...(secret === undefined ? {} : { passwordSecret: { name: secret } }) },
    });
    expect([...referencedSecrets([peer("a"), peer(), peer("a"), peer("b")])]).toEqual(["a", "b"]);
  });
});
