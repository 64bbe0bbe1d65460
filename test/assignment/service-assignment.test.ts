// IP assignment at Service creation, through the real API server with two
// webhook replicas behind a round-robin proxy: what `kubectl create` returns.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { kubectl, withNamespace } from "../kube.ts";
import { clearMetallbNamespace } from "../webhook-harness.ts";
import { startAssignmentWebhooks, type AssignmentWebhooks } from "../assignment-harness.ts";

let hooks: AssignmentWebhooks;
const ns = withNamespace("assign");

beforeAll(async () => {
  hooks = await startAssignmentWebhooks(2);
});
afterAll(async () => {
  await hooks.stop();
});
afterEach(async () => {
  await kubectl(["delete", "services", "--all", "-n", ns.name, "--wait=true"]);
  await clearMetallbNamespace();
});

interface Svc {
  metadata: { name: string; annotations?: Record<string, string> };
}

async function apply(...docs: object[]): Promise<void> {
  await kubectl(["apply", "-f", "-"], { input: docs.map((d) => JSON.stringify(d)).join("\n") });
}

function pool(name: string, addresses: string[], spec: object = {}) {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name, namespace: "metallb-system", labels: { pool: name } },
    spec: { addresses, ...spec },
  };
}

const l2All = {
  apiVersion: "metallb.io/v1beta1",
  kind: "L2Advertisement",
  metadata: { name: "all", namespace: "metallb-system" },
};

function service(
  name: string,
  extra: { annotations?: object; labels?: object; spec?: object } = {},
) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, annotations: extra.annotations ?? {}, labels: extra.labels ?? {} },
    spec: { type: "LoadBalancer", selector: { app: name }, ports: [{ port: 80 }], ...extra.spec },
  };
}

/** `kubectl create -o json`: the object the create call returned. */
async function create(svc: object, args: string[] = []) {
  const r = await kubectl(["create", "-n", ns.name, "-o", "json", ...args, "-f", "-"], {
    input: JSON.stringify(svc),
    allowFailure: true,
  });
  const object = r.code === 0 ? (JSON.parse(r.stdout) as Svc) : undefined;
  return { ...r, object, ips: object?.metadata.annotations?.["metallb.io/allocated-ips"] };
}

async function claims(): Promise<
  { metadata: { name: string }; spec: { ip: string; holders: { name: string }[] } }[]
> {
  const r = await kubectl(["get", "ipaddressclaims", "-n", "metallb-system", "-o", "json"]);
  return (JSON.parse(r.stdout) as { items: never[] }).items;
}

describe("assignment at creation", () => {
  it("returns the lowest free address of the pool in the create response, and claims it", async () => {
    await apply(pool("web", ["203.0.113.0/29"]), l2All);
    const a = await create(service("a"));
    expect(a.ips).toBe("203.0.113.0");
    expect(a.object?.metadata.annotations?.["metallb.io/ip-allocated-from-pool"]).toBe("web");
    const b = await create(service("b"));
    expect(b.ips).toBe("203.0.113.1");
    const held = await claims();
    expect(held.map((c) => c.spec.ip).sort()).toEqual(["203.0.113.0", "203.0.113.1"]);
    expect(held.find((c) => c.spec.ip === "203.0.113.1")?.metadata.name).toBe("ipv4-203.0.113.1");
  });

  it("keeps the IP on an update that drops our annotations", async () => {
    await apply(pool("web", ["203.0.113.0/29"]), l2All);
    const a = await create(service("keep"));
    const replaced = service("keep", { labels: { touched: "yes" } });
    const r = await kubectl(["apply", "-n", ns.name, "-o", "json", "-f", "-"], {
      input: JSON.stringify(replaced),
    });
    const after = JSON.parse(r.stdout) as Svc;
    expect(after.metadata.annotations?.["metallb.io/allocated-ips"]).toBe(a.ips);
  });

  it("answers a dry run like a create but claims nothing", async () => {
    await apply(pool("web", ["203.0.113.0/29"]), l2All);
    const dry = await create(service("dry"), ["--dry-run=server"]);
    expect(dry.ips).toBe("203.0.113.0");
    expect(await claims()).toEqual([]);
  });

  it("assigns the requested IP from spec.loadBalancerIP or metallb.io/loadBalancerIPs, legacy spelling too", async () => {
    await apply(pool("web", ["203.0.113.0/29"]), l2All);
    expect((await create(service("s1", { spec: { loadBalancerIP: "203.0.113.5" } }))).ips).toBe(
      "203.0.113.5",
    );
    const s2 = await create(
      service("s2", { annotations: { "metallb.io/loadBalancerIPs": "203.0.113.6" } }),
    );
    expect(s2.ips).toBe("203.0.113.6");
    const s3 = await create(
      service("s3", { annotations: { "metallb.universe.tf/loadBalancerIPs": "203.0.113.7" } }),
    );
    expect(s3.ips).toBe("203.0.113.7");
    expect(s3.stderr).toContain("deprecated annotation metallb.universe.tf/loadBalancerIPs");
  });

  it("rejects what can never work, naming the value", async () => {
    await apply(pool("web", ["203.0.113.0/29"]), l2All);
    const outside = await create(service("x1", { spec: { loadBalancerIP: "192.0.2.77" } }));
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain("192.0.2.77");
    expect(outside.stderr).toContain("REQUESTED_IP_NOT_IN_POOL");
    const unknown = await create(
      service("x2", { annotations: { "metallb.io/address-pool": "nope" } }),
    );
    expect(unknown.stderr).toContain('"nope"');
    expect(unknown.stderr).toContain("UNKNOWN_POOL");
    const both = await create(
      service("x3", {
        annotations: { "metallb.io/loadBalancerIPs": "203.0.113.1" },
        spec: { loadBalancerIP: "203.0.113.2" },
      }),
    );
    expect(both.stderr).toContain("REQUESTED_IP_CONFLICTING_FORMS");
  });

  it("shares an IP between Services with the same key and different ports, and refuses port conflicts", async () => {
    await apply(pool("web", ["203.0.113.0/29"]), l2All);
    const share = {
      "metallb.io/allow-shared-ip": "dns",
      "metallb.io/loadBalancerIPs": "203.0.113.3",
    };
    const tcp = await create(
      service("dns-tcp", { annotations: share, spec: { ports: [{ port: 53, protocol: "TCP" }] } }),
    );
    const udp = await create(
      service("dns-udp", { annotations: share, spec: { ports: [{ port: 53, protocol: "UDP" }] } }),
    );
    expect([tcp.ips, udp.ips]).toEqual(["203.0.113.3", "203.0.113.3"]);
    const clash = await create(
      service("dns-tcp2", { annotations: share, spec: { ports: [{ port: 53, protocol: "TCP" }] } }),
    );
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain("PORT_CONFLICT");
    const otherKey = await create(
      service("other", {
        annotations: {
          "metallb.io/allow-shared-ip": "x",
          "metallb.io/loadBalancerIPs": "203.0.113.3",
        },
      }),
    );
    expect(otherKey.code).not.toBe(0);
    const held = (await claims()).find((c) => c.spec.ip === "203.0.113.3");
    expect(held?.spec.holders.map((h) => h.name).sort()).toEqual(["dns-tcp", "dns-udp"]);
  });

  it("follows pool priorities and namespace pinning, and refuses a pool the namespace may not use", async () => {
    await apply(
      pool("general", ["203.0.113.0/29"]),
      pool("pinned", ["203.0.113.16/29"], {
        serviceAllocation: { priority: 1, namespaces: [ns.name] },
      }),
      pool("elsewhere", ["203.0.113.32/29"], {
        serviceAllocation: { namespaces: ["some-other-ns"] },
      }),
      l2All,
    );
    expect((await create(service("p1"))).ips).toBe("203.0.113.16");
    const refused = await create(
      service("p2", { annotations: { "metallb.io/address-pool": "elsewhere" } }),
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("POOL_NOT_ALLOWED");
  });

  it("gives a dual-stack Service one address per family from one pool", async () => {
    await apply(pool("dual", ["203.0.113.0/29", "2001:db8:100::/125"]), l2All);
    const s = await create(service("ds", { spec: { ipFamilyPolicy: "RequireDualStack" } }));
    expect(s.ips).toBe("203.0.113.0,2001:db8:100::");
    const v6 = await create(service("v6", { spec: { ipFamilies: ["IPv6"] } }));
    expect(v6.ips).toBe("2001:db8:100::1");
  });

  it("admits with a warning when the pool is exhausted or not announced", async () => {
    await apply(pool("tiny", ["203.0.113.9/32"]));
    const first = await create(service("t1"));
    expect(first.ips).toBe("203.0.113.9");
    expect(first.stderr).toContain("is not announced by any L2Advertisement or BGPAdvertisement");
    const second = await create(service("t2"));
    expect(second.code).toBe(0);
    expect(second.ips).toBeUndefined();
    expect(second.stderr).toContain("NO_AVAILABLE_IPS");
    const events = await kubectl([
      "get",
      "events",
      "-n",
      ns.name,
      "--field-selector",
      "involvedObject.name=t2",
      "-o",
      "json",
    ]);
    expect(events.stdout).toContain("AllocationFailed");
  });

  it("never blocks ClusterIP Services, and drops our annotations when a Service stops being a LoadBalancer", async () => {
    await apply(pool("web", ["203.0.113.0/29"]), l2All);
    const plain = await create({
      ...service("plain"),
      spec: { selector: { app: "x" }, ports: [{ port: 80 }] },
    });
    expect(plain.code).toBe(0);
    expect(plain.ips).toBeUndefined();
    await create(service("flip"));
    const r = await kubectl([
      "patch",
      "service",
      "flip",
      "-n",
      ns.name,
      "-o",
      "json",
      "-p",
      '{"spec":{"type":"ClusterIP"}}',
    ]);
    expect(
      (JSON.parse(r.stdout) as Svc).metadata.annotations?.["metallb.io/allocated-ips"],
    ).toBeUndefined();
  });

  it("refuses the remaining impossible requests by code", async () => {
    await apply(pool("v4", ["203.0.113.0/29"]), pool("other", ["203.0.113.8/29"]), l2All);
    const notInNamed = await create(
      service("r1", {
        annotations: {
          "metallb.io/address-pool": "other",
          "metallb.io/loadBalancerIPs": "203.0.113.1",
        },
      }),
    );
    expect(notInNamed.stderr).toContain("REQUESTED_IP_NOT_IN_NAMED_POOL");
    const v6Only = await create(service("r2", { spec: { ipFamilies: ["IPv6"] } }));
    expect(v6Only.code).not.toBe(0);
    expect(v6Only.stderr).toMatch(/POOL_FAMILY_MISMATCH|NO_AVAILABLE_IPS/);
    await create(service("holder", { spec: { loadBalancerIP: "203.0.113.2" } }));
    const taken = await create(service("r3", { spec: { loadBalancerIP: "203.0.113.2" } }));
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain("REQUESTED_IP_IN_USE");
    expect(taken.stderr).toContain("holder");
    const wrongFamily = await create(
      service("r4", { annotations: { "metallb.io/loadBalancerIPs": "2001:db8::1" } }),
    );
    expect(wrongFamily.stderr).toContain("REQUESTED_IP_FAMILY_MISMATCH");
  });

  it("admits a Service created with generateName and leaves it to the reconciler", async () => {
    // The API server generates the name after admission: there is no name to
    // record in a claim yet (docs/ip-assignment.md).
    await apply(pool("web", ["203.0.113.0/29"]), l2All);
    const { metadata: _named, ...rest } = service("unused");
    const r = await create({ ...rest, metadata: { generateName: "gen-" } });
    expect(r.code).toBe(0);
    expect(r.ips).toBeUndefined();
    expect(r.stderr).toContain("the reconciler assigns this Service's IP");
    expect(await claims()).toEqual([]);
  });

  it("moves the IP when the pool annotation changes", async () => {
    await apply(pool("a", ["203.0.113.0/29"]), pool("b", ["203.0.113.16/29"]), l2All);
    expect((await create(service("mover"))).ips).toBe("203.0.113.0");
    const r = await kubectl([
      "annotate",
      "service",
      "mover",
      "-n",
      ns.name,
      "-o",
      "json",
      "metallb.io/address-pool=b",
    ]);
    expect((JSON.parse(r.stdout) as Svc).metadata.annotations?.["metallb.io/allocated-ips"]).toBe(
      "203.0.113.16",
    );
    expect((await claims()).map((c) => c.spec.ip)).toEqual(["203.0.113.16"]);
  });
});
