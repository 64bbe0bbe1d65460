import type { V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { StatusBook } from "./service-tracker.ts";

function svc(name: string, ...ips: string[]): V1Service {
  return {
    metadata: { name },
    status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
  };
}

describe("StatusBook", () => {
  it("records the first time a Service shows an IP, not later changes", () => {
    const book = new StatusBook();
    book.observe("ADDED", svc("a"), 1);
    book.observe("MODIFIED", svc("a", "10.0.0.1"), 5);
    book.observe("MODIFIED", svc("a", "10.0.0.2"), 9);
    expect(book.firstStatusAt.get("a")).toBe(5);
    expect(book.current.get("a")).toBe("10.0.0.2");
  });

  it("counts a duplicate only while two Services hold one IP at once", () => {
    const book = new StatusBook();
    book.observe("MODIFIED", svc("a", "10.0.0.1"), 1);
    book.observe("MODIFIED", svc("a", "10.0.0.2"), 2);
    book.observe("MODIFIED", svc("b", "10.0.0.1"), 3); // a let go first: no duplicate
    expect(book.duplicates()).toBe(0);
    book.observe("MODIFIED", svc("c", "10.0.0.2"), 4);
    expect(book.duplicates()).toBe(1);
    expect(book.duplicateExamples()).toEqual(["10.0.0.2: a, c"]);
    book.observe("DELETED", svc("a", "10.0.0.2"), 5);
    book.observe("MODIFIED", svc("d", "10.0.0.2"), 6); // c still holds it
    expect(book.duplicates()).toBe(2);
  });

  it("counts Services whose IP changed or vanished since the mark, not new ones", () => {
    const book = new StatusBook();
    book.observe("MODIFIED", svc("a", "10.0.0.1"), 1);
    book.observe("MODIFIED", svc("b", "10.0.0.2"), 1);
    book.mark();
    book.observe("MODIFIED", svc("a", "10.0.0.1"), 2); // same IP: no event
    book.observe("MODIFIED", svc("c", "10.0.0.3"), 2); // new Service
    expect(book.changedSinceMark()).toBe(0);
    expect(book.eventsSinceMark()).toBe(1);
    book.observe("MODIFIED", svc("b"), 3); // status cleared
    expect(book.changedSinceMark()).toBe(1);
    expect(book.current.has("b")).toBe(false);
  });

  it("treats dual-stack IPs in any order as one value", () => {
    const book = new StatusBook();
    book.observe("MODIFIED", svc("a", "10.0.0.1", "2001:db8::1"), 1);
    book.mark();
    book.observe("MODIFIED", svc("a", "2001:db8::1", "10.0.0.1"), 2);
    expect(book.eventsSinceMark()).toBe(0);
  });
});
