import { describe, expect, it } from "vitest";
import type { ServiceView, SpeakerSnapshot } from "../cluster-view.ts";
import { EMPTY_CONFIG_SET } from "../../core/validation/config-set.ts";
import { planLayer2 } from "./l2-plan.ts";

const NODES = ["n1", "n2", "n3"];

function service(name: string, ips: string[], extra: Partial<ServiceView> = {}): ServiceView {
  return {
    key: `default/${name}`,
    namespace: "default",
    name,
    uid: name,
    labels: {},
    ips,
    pool: "lan",
    externalTrafficPolicyLocal: false,
    sharingKey: undefined,
    ...extra,
  };
}

function snapshot(
  services: ServiceView[],
  endpointNodes: Record<string, string[]>,
  ads: object[],
): SpeakerSnapshot {
  return {
    services,
    endpoints: new Map(
      Object.entries(endpointNodes).map(([key, nodes]) => [
        key,
        { anyServing: true, nodes: new Set(nodes) },
      ]),
    ),
    nodes: NODES.map((name) => ({
      name,
      labels: { "kubernetes.io/hostname": name },
      ready: true,
      networkUnavailable: false,
      addresses: [],
    })),
    config: {
      ...EMPTY_CONFIG_SET,
      pools: [{ metadata: { name: "lan" }, spec: { addresses: ["192.0.2.100-192.0.2.200"] } }],
      l2Advertisements: ads.map((spec, i) => ({ metadata: { name: `ad${String(i)}` }, spec })),
    },
  } as unknown as SpeakerSnapshot;
}

const live = new Set(NODES);
const owners = (s: SpeakerSnapshot, alive = live): Map<string, string[]> => {
  const result = new Map<string, string[]>();
  for (const node of NODES) {
    for (const ip of planLayer2(s, alive, node).announcements.keys()) {
      result.set(ip, [...(result.get(ip) ?? []), node]);
    }
  }
  return result;
};

describe("planLayer2", () => {
  it("every IP has exactly one owner among the speakers, and Services sharing an IP share it", () => {
    const services = Array.from({ length: 30 }, (_, i) =>
      service(`s${String(i)}`, [`192.0.2.${String(100 + i)}`]),
    );
    services.push(service("shared", ["192.0.2.100"], { sharingKey: "k" }));
    const endpoints = Object.fromEntries(services.map((s) => [s.key, ["n1"]]));
    const result = owners(snapshot(services, endpoints, [{}]));
    expect(result.size).toBe(30);
    for (const nodes of result.values()) expect(nodes).toHaveLength(1);
    expect(new Set([...result.values()].flat()).size).toBe(3);
    const plan = planLayer2(
      snapshot(services, endpoints, [{}]),
      live,
      result.get("192.0.2.100")?.[0] ?? "",
    );
    expect(plan.statuses.has("default/shared")).toBe(true);
    expect(plan.statuses.has("default/s0")).toBe(true);
  });

  it("nobody announces without an advertisement or a serving endpoint", () => {
    const svc = service("a", ["192.0.2.100"]);
    expect(owners(snapshot([svc], { "default/a": ["n1"] }, [])).size).toBe(0);
    expect(owners(snapshot([svc], {}, [{}])).size).toBe(0);
    expect(planLayer2(snapshot([svc], {}, [{}]), live, "n1").skipped.get("default/a")).toBe(
      "no-serving-endpoint",
    );
  });

  it("externalTrafficPolicy Local: the owner hosts an endpoint", () => {
    for (const host of NODES) {
      const svc = service("a", ["192.0.2.100"], { externalTrafficPolicyLocal: true });
      expect(owners(snapshot([svc], { "default/a": [host] }, [{}])).get("192.0.2.100")).toEqual([
        host,
      ]);
    }
  });

  it("node selectors and interfaces of the advertisement apply", () => {
    const svc = service("a", ["192.0.2.100"]);
    const ad = {
      nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": "n2" } }],
      interfaces: ["eth1"],
    };
    const s = snapshot([svc], { "default/a": ["n1"] }, [ad]);
    expect(owners(s).get("192.0.2.100")).toEqual(["n2"]);
    const plan = planLayer2(s, live, "n2");
    expect(plan.announcements.get("192.0.2.100")?.interfaces).toEqual(["eth1"]);
    expect(plan.statuses.get("default/a")).toEqual({ interfaces: [{ name: "eth1" }] });
  });

  it("a dead speaker's IPs move, the others' stay", () => {
    const services = Array.from({ length: 30 }, (_, i) =>
      service(`s${String(i)}`, [`192.0.2.${String(100 + i)}`]),
    );
    const s = snapshot(services, Object.fromEntries(services.map((x) => [x.key, ["n1"]])), [{}]);
    const before = owners(s);
    const after = owners(s, new Set(["n1", "n2"]));
    for (const [ip, [owner]] of before) {
      if (owner !== "n3") expect(after.get(ip)).toEqual([owner]);
      else expect(after.get(ip)?.[0]).not.toBe("n3");
    }
  });
});
