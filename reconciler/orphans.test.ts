import { describe, expect, it } from "vitest";
import type { AllocationView } from "../core/kube/allocation-view.ts";
import type { ClaimObject, ClaimWriter } from "../core/kube/claim-writer.ts";
import { createLogger } from "../core/logger.ts";
import { OrphanCollector } from "./orphans.ts";

function claim(name: string, holders: string[]): ClaimObject {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressClaim",
    metadata: { name, namespace: "metallb-system" },
    spec: {
      ip: name,
      pool: "p",
      holders: holders.map((h) => {
        const [namespace = "", svc = ""] = h.split("/");
        return { namespace, name: svc };
      }),
    },
  };
}

function collector(claims: ClaimObject[], existing: Set<string>): OrphanCollector {
  const view = { claims: () => claims } as unknown as AllocationView;
  return new OrphanCollector({
    view,
    writer: {} as ClaimWriter,
    graceMs: 1_000,
    exists: (key) => existing.has(key),
    log: createLogger("test", "silent"),
    onReleased: () => undefined,
  });
}

describe("OrphanCollector.due", () => {
  it("releases a holder only once its Service has been missing for the grace period", () => {
    const existing = new Set(["ns/a"]);
    const c = collector([claim("ipv4-1", ["ns/a", "ns/gone"])], existing);
    expect(c.due(0)).toEqual([]);
    expect(c.due(999)).toEqual([]);
    expect(c.due(1_000)).toEqual([{ claim: "ipv4-1", key: "ns/gone" }]);
  });

  it("starts the clock again when the Service shows up in between", () => {
    const existing = new Set<string>();
    const c = collector([claim("ipv4-1", ["ns/late"])], existing);
    c.due(0);
    existing.add("ns/late");
    expect(c.due(500)).toEqual([]);
    existing.delete("ns/late");
    expect(c.due(1_200)).toEqual([]);
    expect(c.due(2_200)).toEqual([{ claim: "ipv4-1", key: "ns/late" }]);
  });
});
