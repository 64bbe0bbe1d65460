// The reconciler next to the mutating webhook: Services created while the
// webhook was down keep their IPs when it comes back, and an admission whose
// Service a later validating policy rejects leaks no claim.
import { describe, expect, it } from "vitest";
import { startAssignmentWebhooks } from "../assignment-harness.ts";
import { kubectl } from "../kube.ts";
import {
  allPublished,
  apply,
  claims,
  createServices,
  expectUnique,
  GRACE_MS,
  l2All,
  pool,
  publishedIps,
  readService,
  reconcilerSuite,
  service,
  until,
} from "./reconciler-harness.ts";

const { ns } = reconcilerSuite("rec-webhook");

const POLICY = "reject-labelled-services";
const policy = {
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingAdmissionPolicy",
  metadata: { name: POLICY },
  spec: {
    failurePolicy: "Fail",
    matchConstraints: {
      resourceRules: [
        { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["services"] },
      ],
    },
    validations: [
      {
        expression: "!has(object.metadata.labels) || !('reject' in object.metadata.labels)",
        message: "rejected by the test policy",
      },
    ],
  },
};
const binding = {
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingAdmissionPolicyBinding",
  metadata: { name: POLICY },
  spec: { policyName: POLICY, validationActions: ["Deny"] },
};

describe("reconciler with the webhook", () => {
  it("Services created while the webhook was down keep their IPs when it comes back", async () => {
    await apply(pool("web", ["198.51.100.0/26"]), l2All);
    const svcs = Array.from({ length: 50 }, (_, i) => service(`s${i}`, ns.name));
    await createServices(svcs);
    const before = await allPublished(ns.name, 50, 2_000 + 5_000);
    const hooks = await startAssignmentWebhooks(2);
    try {
      await createServices([service("late", ns.name)]);
      const late = await readService(ns.name, "late");
      // Assigned at admission: the create response already carries the annotation.
      expect(late.metadata?.annotations?.["metallb.io/allocated-ips"]).toBeDefined();
      const after = await allPublished(ns.name, 51);
      for (const [name, ip] of before) expect(after.get(name)).toBe(ip);
      expect(after.get("late")).toBe(late.metadata?.annotations?.["metallb.io/allocated-ips"]);
      expectUnique(after.values());
      await new Promise((r) => setTimeout(r, 1_000));
      const later = await publishedIps(ns.name);
      for (const [name, ip] of after) expect(later.get(name)).toBe(ip);
    } finally {
      await hooks.stop();
    }
  });

  it("a Service rejected by a later validating policy leaves no claim after the grace period", async () => {
    await apply(pool("web", ["198.51.100.0/26"]), l2All);
    const hooks = await startAssignmentWebhooks(1);
    await apply(policy, binding);
    try {
      const rejected = service("rejected", ns.name, { labels: { reject: "yes" } });
      await until(
        "the policy is in force",
        async () => {
          const r = await kubectl(["create", "--dry-run=server", "-f", "-"], {
            input: JSON.stringify(rejected),
            allowFailure: true,
          });
          return r.stderr.includes("rejected by the test policy") ? true : undefined;
        },
        30_000,
      );
      const r = await kubectl(["create", "-f", "-"], {
        input: JSON.stringify(rejected),
        allowFailure: true,
      });
      expect(r.code).not.toBe(0);
      const leaked = (await claims()).filter((c) =>
        c.spec.holders.some((h) => h.name === "rejected"),
      );
      expect(leaked).toHaveLength(1);
      const gone = Date.now();
      await until(
        "the orphaned claim is collected",
        async () => ((await claims()).length === 0 ? true : undefined),
        GRACE_MS + 10_000,
      );
      expect(Date.now() - gone).toBeGreaterThanOrEqual(GRACE_MS - 1_000);
    } finally {
      await kubectl(["delete", "validatingadmissionpolicybinding", POLICY, "--ignore-not-found"]);
      await kubectl(["delete", "validatingadmissionpolicy", POLICY, "--ignore-not-found"]);
      await hooks.stop();
    }
  });
});
