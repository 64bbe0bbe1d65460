// Requested addresses (metallb-reference §2.7, §3.4) and sharing (§2.8).
import { describe, expect, it } from "vitest";
import { Allocator } from "./allocator.ts";
import { decision, expectCode, give, ip, pinnedTo, pool, svc } from "./test-kit.ts";

const DUAL = pool("dual", ["192.0.2.0/24", "2001:db8::/120"]);

describe("requested IPs", () => {
  it("gives the requested address from its pool, autoAssign=false included", () => {
    const a = new Allocator([pool("manual", ["192.0.2.0/24"], { autoAssign: false })]);
    expect(decision(a, svc("ns/x", { requestedIPs: [ip("192.0.2.77")] }))).toEqual([
      "manual",
      ["192.0.2.77"],
    ]);
  });

  it("gives two addresses of different families in the requested order", () => {
    const a = new Allocator([DUAL]);
    const req = svc("ns/x", {
      families: ["IPv4", "IPv6"],
      familyPolicy: "RequireDualStack",
      requestedIPs: [ip("2001:db8::9"), ip("192.0.2.9")],
    });
    expect(decision(a, req)).toEqual(["dual", ["2001:db8::9", "192.0.2.9"]]);
  });

  it("refuses two addresses of the same family (hard)", () => {
    const a = new Allocator([DUAL]);
    const req = svc("ns/x", {
      families: ["IPv4", "IPv6"],
      familyPolicy: "RequireDualStack",
      requestedIPs: [ip("192.0.2.1"), ip("192.0.2.2")],
    });
    const message = expectCode(a.allocate(req), "REQUESTED_IP_FAMILY_MISMATCH", true);
    expect(message).toContain('metallb.io/loadBalancerIPs: "192.0.2.1,192.0.2.2"');
  });

  it("refuses a family other than the Service's (hard), naming the field it came from", () => {
    const a = new Allocator([DUAL]);
    const v6Service = svc("ns/x", {
      families: ["IPv6"],
      requestedIPs: [ip("192.0.2.1")],
      requestedIPsField: "spec.loadBalancerIP",
    });
    const message = expectCode(a.allocate(v6Service), "REQUESTED_IP_FAMILY_MISMATCH", true);
    expect(message).toMatch(
      /^spec\.loadBalancerIP: "192\.0\.2\.1" is IPv4 but Service "ns\/x" is IPv6/,
    );
    // §2.7: a dual-stack Service must request one address per family.
    const dualService = svc("ns/x", {
      families: ["IPv4", "IPv6"],
      familyPolicy: "PreferDualStack",
      requestedIPs: [ip("192.0.2.1")],
    });
    expectCode(a.allocate(dualService), "REQUESTED_IP_FAMILY_MISMATCH", true);
  });

  it("refuses addresses outside every pool, or split over two pools (hard)", () => {
    const a = new Allocator([pool("v4", ["192.0.2.0/24"]), pool("v6", ["2001:db8::/120"])]);
    const outside = expectCode(
      a.allocate(svc("ns/x", { requestedIPs: [ip("198.51.100.1")] })),
      "REQUESTED_IP_NOT_IN_POOL",
      true,
    );
    expect(outside).toBe("metallb.io/loadBalancerIPs: 198.51.100.1 is not in any IPAddressPool");
    const split = expectCode(
      a.allocate(
        svc("ns/x", {
          families: ["IPv4", "IPv6"],
          familyPolicy: "RequireDualStack",
          requestedIPs: [ip("192.0.2.1"), ip("2001:db8::1")],
        }),
      ),
      "REQUESTED_IP_NOT_IN_POOL",
      true,
    );
    expect(split).toContain('IPAddressPool "v4"');
    expect(split).toContain('IPAddressPool "v6"');
  });

  it("refuses an address of a pool the namespace may not use", () => {
    const a = new Allocator([
      pool("prod", ["192.0.2.0/24"], { serviceAllocation: pinnedTo(["prod"]) }),
    ]);
    const message = expectCode(
      a.allocate(svc("dev/x", { requestedIPs: [ip("192.0.2.5")] })),
      "POOL_NOT_ALLOWED",
      true,
    );
    expect(message).toContain('IPAddressPool "prod"');
    expect(message).toContain('namespace "dev"');
  });

  it("requires the named pool to be the requested addresses' pool", () => {
    const a = new Allocator([pool("a", ["192.0.2.0/25"]), pool("b", ["192.0.2.128/25"])]);
    const req = svc("ns/x", { requestedIPs: [ip("192.0.2.5")], pool: "b" });
    const message = expectCode(a.allocate(req), "REQUESTED_IP_NOT_IN_NAMED_POOL", true);
    expect(message).toContain('IPAddressPool "a", not in "b"');
    expect(decision(a, { ...req, pool: "a" })).toEqual(["a", ["192.0.2.5"]]);
    expectCode(a.allocate({ ...req, pool: "nope" }), "UNKNOWN_POOL", true);
  });

  it("refuses an address another Service holds, or another writer took", () => {
    const a = new Allocator([pool("p", ["192.0.2.0/24"])]);
    give(a, svc("ns/owner", { requestedIPs: [ip("192.0.2.5")] }));
    const held = expectCode(
      a.allocate(svc("ns/x", { requestedIPs: [ip("192.0.2.5")] })),
      "REQUESTED_IP_IN_USE",
      true,
    );
    expect(held).toContain('192.0.2.5 is already used by Service "ns/owner"');
    a.markTaken(ip("192.0.2.6"));
    expectCode(
      a.allocate(svc("ns/x", { requestedIPs: [ip("192.0.2.6")] })),
      "REQUESTED_IP_IN_USE",
      true,
    );
  });
});

describe("sharing (§2.8)", () => {
  const P = pool("p", ["192.0.2.0/24"]);
  const SHARED = ip("192.0.2.5");
  const sharer = (key: string, extra: Parameters<typeof svc>[1] = {}): ReturnType<typeof svc> =>
    svc(key, { sharingKey: "k", requestedIPs: [SHARED], ...extra });

  function withOwner(extra: Parameters<typeof svc>[1] = {}): Allocator {
    const a = new Allocator([P]);
    give(a, sharer("ns/other", extra));
    return a;
  }

  it("shares an address between Services with the same key and different ports", () => {
    const a = withOwner();
    expect(give(a, sharer("ns/x", { ports: [{ protocol: "TCP", port: 443 }] }))).toEqual([
      "192.0.2.5",
    ]);
    expect(a.holdersOf(SHARED).map((h) => h.serviceKey)).toEqual(["ns/other", "ns/x"]);
    expect(a.usage("p").assignedIPv4).toBe(1);
  });

  it("refuses a different sharing key, naming both keys and the other Service", () => {
    const a = withOwner();
    const message = expectCode(
      a.allocate(sharer("ns/x", { sharingKey: "j", ports: [{ protocol: "TCP", port: 443 }] })),
      "SHARING_KEY_MISMATCH",
      true,
    );
    expect(message).toBe(
      'metallb.io/allow-shared-ip: "j" does not match "k" of Service "ns/other", which uses 192.0.2.5',
    );
  });

  it("refuses a port already used on the address", () => {
    const a = withOwner();
    const message = expectCode(a.allocate(sharer("ns/x")), "PORT_CONFLICT", true);
    expect(message).toBe(
      'spec.ports: port TCP/80 is already in use on 192.0.2.5 by Service "ns/other"',
    );
  });

  it("allows the same port number over another protocol (DNS TCP/53 + UDP/53)", () => {
    const a = withOwner({ ports: [{ protocol: "TCP", port: 53 }] });
    expect(give(a, sharer("ns/x", { ports: [{ protocol: "UDP", port: 53 }] }))).toEqual([
      "192.0.2.5",
    ]);
  });

  it("refuses externalTrafficPolicy Local with a different selector, allows the same one", () => {
    const a = withOwner({ backendKey: "app=dns" });
    const udp = { ports: [{ protocol: "UDP" as const, port: 53 }] };
    const message = expectCode(
      a.allocate(sharer("ns/x", { ...udp, backendKey: "app=other" })),
      "SHARING_KEY_MISMATCH",
      true,
    );
    expect(message).toContain('Service "ns/other"');
    expect(message).toContain("externalTrafficPolicy");
    expectCode(a.allocate(sharer("ns/x", udp)), "SHARING_KEY_MISMATCH", true); // Cluster vs Local
    expect(give(a, sharer("ns/x", { ...udp, backendKey: "app=dns" }))).toEqual(["192.0.2.5"]);
  });

  it("refuses to share when either side has no key", () => {
    const a = withOwner();
    const udp = { ports: [{ protocol: "UDP" as const, port: 53 }] };
    expectCode(
      a.allocate(sharer("ns/x", { ...udp, sharingKey: undefined })),
      "REQUESTED_IP_IN_USE",
      true,
    );
    const b = new Allocator([P]);
    give(b, svc("ns/other", { requestedIPs: [SHARED] }));
    expectCode(b.allocate(sharer("ns/x", udp)), "REQUESTED_IP_IN_USE", true);
  });

  it("automatic: takes a compatible shared address when it is below the first free one", () => {
    const a = new Allocator([pool("p", ["192.0.2.0/29"])]);
    give(a, svc("ns/a", { sharingKey: "k", requestedIPs: [ip("192.0.2.0")] }));
    expect(
      give(a, svc("ns/b", { sharingKey: "k", ports: [{ protocol: "TCP", port: 81 }] })),
    ).toEqual(["192.0.2.0"]);
  });

  it("automatic: takes the first free address when it is below the shared one", () => {
    const a = new Allocator([pool("p", ["192.0.2.0/29"])]);
    give(a, svc("ns/a", { sharingKey: "k", requestedIPs: [ip("192.0.2.2")] }));
    expect(
      give(a, svc("ns/b", { sharingKey: "k", ports: [{ protocol: "TCP", port: 81 }] })),
    ).toEqual(["192.0.2.0"]);
  });

  it("automatic: skips shared addresses whose ports conflict, and other keys' addresses", () => {
    const a = new Allocator([pool("p", ["192.0.2.0/29"])]);
    give(a, svc("ns/a", { sharingKey: "other", requestedIPs: [ip("192.0.2.0")] }));
    give(a, svc("ns/b", { sharingKey: "k", requestedIPs: [ip("192.0.2.1")] }));
    give(
      a,
      svc("ns/c", {
        sharingKey: "k",
        requestedIPs: [ip("192.0.2.2")],
        ports: [{ protocol: "TCP", port: 81 }],
      }),
    );
    give(a, svc("ns/d", { requestedIPs: [ip("192.0.2.3")] }));
    // TCP/80 is taken on .1, free on .2 (ns/c uses 81), and .2 is below the first free .4.
    expect(give(a, svc("ns/e", { sharingKey: "k" }))).toEqual(["192.0.2.2"]);
  });

  it("lets a Service change its own key in place when it is the only user", () => {
    const a = new Allocator([P]);
    give(a, svc("ns/x", { sharingKey: "k", requestedIPs: [SHARED] }));
    expect(decision(a, svc("ns/x", { sharingKey: "new", requestedIPs: [SHARED] }))).toEqual([
      "p",
      ["192.0.2.5"],
    ]);
  });

  it("moves a Service whose new key no longer matches the other users of its address", () => {
    const a = new Allocator([P]);
    give(a, svc("ns/a", { sharingKey: "k", requestedIPs: [SHARED] }));
    give(
      a,
      svc("ns/b", {
        sharingKey: "k",
        requestedIPs: [SHARED],
        ports: [{ protocol: "UDP", port: 80 }],
      }),
    );
    // Without a request it gets a fresh address; with the request it is refused.
    expect(decision(a, svc("ns/b", { sharingKey: "new" }))).toEqual(["p", ["192.0.2.0"]]);
    expectCode(
      a.allocate(svc("ns/b", { sharingKey: "new", requestedIPs: [SHARED] })),
      "SHARING_KEY_MISMATCH",
      true,
    );
  });
});
