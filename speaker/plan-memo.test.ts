// Planning with a memo must give what planning from scratch gives, over any
// sequence of cluster changes, and must not recompute unchanged Services.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMPTY_CONFIG_SET, type ConfigSet } from "../core/validation/config-set.ts";
import { planBgp, type BgpPlanMemo } from "./bgp/bgp-plan.ts";
import type { EndpointView, NodeView, ServiceView, SpeakerSnapshot } from "./cluster-view.ts";
import { L2PlanMemo, planLayer2 } from "./layer2/l2-plan.ts";
import { PlanMemo } from "./plan-memo.ts";

const NS = "metallb-system";
const obj = <S>(name: string, spec: S, labels: Record<string, string> = {}) => ({
  apiVersion: "metallb.io/v1beta1",
  kind: "X",
  metadata: { name, namespace: NS, labels },
  spec,
});

const NODES = ["n1", "n2", "n3"];
const node = (name: string, zone: string): NodeView => ({
  name,
  labels: { zone },
  ready: true,
  networkUnavailable: false,
  addresses: [`192.0.2.1${name.slice(1)}`],
});

function config(variant: number): ConfigSet {
  return {
    ...EMPTY_CONFIG_SET,
    pools: [obj("pool", { addresses: ["203.0.113.0/24", "2001:db8:ff::/64"] })],
    peers: [obj("rtr", { myASN: 64513, peerASN: 64512, peerAddress: "192.0.2.1" })],
    bgpAdvertisements: [obj("all", variant === 0 ? {} : { localPref: 100 + variant })],
    l2Advertisements: [
      obj("l2", variant === 2 ? { nodeSelectors: [{ matchLabels: { zone: "a" } }] } : {}),
    ],
  };
}

/** One change to the cluster, as the ClusterView would present it (new objects for what changed). */
type Edit =
  | { kind: "service"; index: number; ip: number; local: boolean }
  | { kind: "delete"; index: number }
  | { kind: "endpoints"; index: number; nodes: string[] }
  | { kind: "config"; variant: number }
  | { kind: "node"; index: number; zone: string }
  | { kind: "live"; nodes: string[] };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant("service" as const),
    index: fc.nat(7),
    ip: fc.nat(20),
    local: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("delete" as const), index: fc.nat(7) }),
  fc.record({
    kind: fc.constant("endpoints" as const),
    index: fc.nat(7),
    nodes: fc.subarray(NODES),
  }),
  fc.record({ kind: fc.constant("config" as const), variant: fc.nat(2) }),
  fc.record({
    kind: fc.constant("node" as const),
    index: fc.nat(2),
    zone: fc.constantFrom("a", "b"),
  }),
  fc.record({ kind: fc.constant("live" as const), nodes: fc.subarray(NODES, { minLength: 1 }) }),
);

class World {
  services = new Map<string, ServiceView>();
  endpoints = new Map<string, EndpointView>();
  nodes: NodeView[] = NODES.map((n) => node(n, "a"));
  config = config(0);
  live: ReadonlySet<string> = new Set(NODES);

  apply(e: Edit): void {
    const key = `default/s${String("index" in e ? e.index : 0)}`;
    if (e.kind === "service") {
      // IPs shared between Services now and then (ip collides), one IPv6 each.
      this.services.set(key, {
        key,
        namespace: "default",
        name: key.slice(8),
        uid: key,
        labels: {},
        ips: [`203.0.113.${String(e.ip)}`, `2001:db8:ff::${String(e.ip)}`],
        pool: "pool",
        externalTrafficPolicyLocal: e.local,
        sharingKey: "k",
      });
    } else if (e.kind === "delete") {
      this.services.delete(key);
    } else if (e.kind === "endpoints") {
      this.endpoints.set(key, { anyServing: e.nodes.length > 0, nodes: new Set(e.nodes) });
    } else if (e.kind === "config") {
      this.config = config(e.variant);
    } else if (e.kind === "node") {
      this.nodes = this.nodes.map((n, i) => (i === e.index ? node(n.name, e.zone) : n));
    } else {
      this.live = new Set(e.nodes);
    }
  }

  snapshot(): SpeakerSnapshot {
    const endpoints = new Map<string, EndpointView>();
    for (const key of this.services.keys()) {
      const view = this.endpoints.get(key);
      if (view !== undefined) endpoints.set(key, view);
    }
    return {
      services: [...this.services.values()],
      endpoints,
      nodes: this.nodes,
      config: this.config,
    };
  }
}

describe("plan memo", () => {
  it("planning with a memo equals planning from scratch after every edit", () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 30 }), (edits) => {
        const world = new World();
        const l2Memo = new L2PlanMemo();
        const bgpMemo: BgpPlanMemo = new PlanMemo();
        for (const e of edits) {
          world.apply(e);
          const s = world.snapshot();
          for (const self of NODES) {
            expect(planLayer2(s, world.live, self, l2Memo)).toEqual(
              planLayer2(s, world.live, self),
            );
          }
          const input = { snapshot: s, self: "n1", secretPasswords: new Map<string, string>() };
          expect(planBgp(input, bgpMemo)).toEqual(planBgp(input));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("recomputes only the Services whose view or endpoints changed", () => {
    const memo = new PlanMemo<string>();
    const a = { key: "a" } as ServiceView;
    const b = { key: "b" } as ServiceView;
    const ends = { anyServing: true, nodes: new Set<string>() };
    const computed: string[] = [];
    const pass = (context: unknown[], services: ServiceView[], e = ends) => {
      memo.begin(context);
      for (const s of services) {
        memo.get(s, e, () => {
          computed.push(s.key);
          return s.key;
        });
      }
    };
    const cfg = {};
    pass([cfg], [a, b]);
    pass([cfg], [a, b]);
    expect(computed).toEqual(["a", "b"]);
    const b2 = { key: "b2" } as ServiceView;
    pass([cfg], [a, b2]);
    expect(computed).toEqual(["a", "b", "b2"]);
    pass([cfg], [a, b2], { anyServing: false, nodes: new Set<string>() });
    expect(computed.slice(3)).toEqual(["a", "b2"]);
    pass([{}], [a]);
    expect(computed.slice(5)).toEqual(["a"]);
  });
});
