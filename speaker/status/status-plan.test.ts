import { describe, expect, it } from "vitest";
import { planStatusWrites, type StatusObject } from "./status-plan.ts";

const obj = (name: string, node: string, serviceKey: string, extra = {}): StatusObject => ({
  name,
  node,
  serviceKey,
  extra,
  hasStatus: true,
});

describe("planStatusWrites", () => {
  it("creates what is announced and missing, deletes what is not announced", () => {
    const writes = planStatusWrites({
      node: "n1",
      desired: new Map([["default/a", { interfaces: [] }]]),
      existing: [obj("l2-x", "n1", "default/b")],
      exclusive: true,
    });
    expect(writes).toEqual({
      create: [{ serviceKey: "default/a", extra: { interfaces: [] } }],
      patch: [],
      delete: [obj("l2-x", "n1", "default/b")],
    });
  });

  it("an up-to-date object needs no write; a changed or fresh one is patched", () => {
    const desired = new Map([
      ["default/a", { interfaces: [] }],
      ["default/b", { interfaces: [{ name: "eth1" }] }],
      ["default/c", { interfaces: [] }],
    ]);
    const writes = planStatusWrites({
      node: "n1",
      desired,
      existing: [
        obj("l2-a", "n1", "default/a", { interfaces: [] }),
        obj("l2-b", "n1", "default/b", { interfaces: [] }),
        { ...obj("l2-c", "n1", "default/c"), hasStatus: false },
      ],
      exclusive: true,
    });
    expect(writes.create).toEqual([]);
    expect(writes.delete).toEqual([]);
    expect(writes.patch.map((p) => p.name)).toEqual(["l2-b", "l2-c"]);
  });

  it("the Layer 2 owner removes other nodes' objects for its Services; BGP does not", () => {
    const existing = [obj("l2-1", "n2", "default/a"), obj("l2-2", "n3", "default/z")];
    const desired = new Map([["default/a", {}]]);
    const l2 = planStatusWrites({ node: "n1", desired, existing, exclusive: true });
    expect(l2.delete.map((d) => d.name)).toEqual(["l2-1"]);
    const bgp = planStatusWrites({ node: "n1", desired, existing, exclusive: false });
    expect(bgp.delete).toEqual([]);
  });

  it("duplicates of our own object are deleted, one is kept", () => {
    const writes = planStatusWrites({
      node: "n1",
      desired: new Map([["default/a", {}]]),
      existing: [obj("l2-1", "n1", "default/a"), obj("l2-2", "n1", "default/a")],
      exclusive: true,
    });
    expect(writes.delete.map((d) => d.name)).toEqual(["l2-2"]);
    expect(writes.create).toEqual([]);
  });
});
