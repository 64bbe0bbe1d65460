// Issue 6, passive peering: a `metallb-ts speaker --bgp-listen-port 179` in
// a node namespace, FRR in the router namespace dialling it. The BGPPeer's
// peerPort points where FRR does not listen, so the speaker's own dials are
// refused and the session can only come up through the speaker's listener,
// with a TCP MD5 key on both sides; FRR with a wrong key never gets in.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../lab/exec.ts";
import { startFrr, type Frr } from "../lab/frr.ts";
import type { Lan } from "../lab/topology.ts";
import { metallb, SpeakerCluster } from "./bgp-fixtures/speaker-cluster.ts";

const VIP = "203.0.113.10";
const SPEAKER_ASN = 64513;
const ROUTER_ASN = 64512;
const PASSWORD = "s3cret";
/** Nothing listens here in the router namespace: every dial of the speaker is refused. */
const CLOSED_PORT = 1790;

interface FrrNeighbor {
  bgpState?: string;
  portForeign?: number;
  connectionsEstablished?: number;
}

describe("metallb-ts speaker, passive BGP peering (--bgp-listen-port)", () => {
  const cluster = new SpeakerCluster();
  const { apply, setStatus } = cluster;
  let lan: Lan | undefined;
  let rtr: Frr | undefined;
  let speakerLog = "";
  let node = "";

  async function neighbor(): Promise<FrrNeighbor | undefined> {
    const j = await rtr?.json<Record<string, FrrNeighbor | undefined>>(
      `show bgp neighbors ${node} json`,
    );
    return j?.[node];
  }

  /** The router's key for the speaker (vtysh; FRR resets the session on a change). */
  async function routerPassword(password: string): Promise<void> {
    await rtr?.vtysh(
      "configure terminal",
      `router bgp ${String(ROUTER_ASN)}`,
      `neighbor ${node} password ${password}`,
    );
  }

  /** TcpExt counters of a namespace (/proc/net/netstat is per network namespace). */
  async function tcpExt(host: string): Promise<Record<string, number>> {
    const text = (await lan?.exec(host, ["cat", "/proc/net/netstat"])) ?? "";
    const [names, values] = text.split("\n").filter((l) => l.startsWith("TcpExt:"));
    const keys = names?.split(/\s+/).slice(1) ?? [];
    const numbers = values?.split(/\s+/).slice(1) ?? [];
    return Object.fromEntries(keys.map((key, i) => [key, Number(numbers[i])]));
  }

  beforeAll(async () => {
    lan = await cluster.start({
      tmpPrefix: "speaker-bgp-passive-",
      lan: { prefix: "sbp", nodes: 1, client: false, router: true },
      apiHosts: ["n1"],
    });
    node = lan.host("n1").ipv4;
    // An active neighbour (FRR dials, connect timer 1 s) with the key.
    rtr = await startFrr(lan, {
      asn: ROUTER_ASN,
      routerId: "192.0.2.1",
      peers: [{ address: node, asn: SPEAKER_ASN, password: PASSWORD }],
      zebra: false,
    });
    await apply({ apiVersion: "v1", kind: "Node", metadata: { name: "n1" } });
    await setStatus("node", "n1", {
      conditions: [{ type: "Ready", status: "True", reason: "Test", message: "test" }],
      addresses: [{ type: "InternalIP", address: node }],
    });
    await apply(
      metallb("IPAddressPool", "pool", { addresses: ["203.0.113.0/24"] }),
      metallb("BGPPeer", "rtr", {
        peerAddress: lan.host("rtr").ipv4,
        peerPort: CLOSED_PORT,
        myASN: SPEAKER_ASN,
        peerASN: ROUTER_ASN,
        password: PASSWORD,
        holdTime: "90s",
        connectTime: "1s",
      }),
      metallb("BGPAdvertisement", "ad", { ipAddressPools: ["pool"] }),
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: "web",
          namespace: "default",
          annotations: { "metallb.io/ip-allocated-from-pool": "pool" },
        },
        spec: { type: "LoadBalancer", ports: [{ port: 8080, protocol: "TCP" }] },
      },
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: "web-1",
          namespace: "default",
          labels: {
            "kubernetes.io/service-name": "web",
            "endpointslice.kubernetes.io/managed-by": "speaker-bgp-passive-test",
          },
        },
        addressType: "IPv4",
        endpoints: [
          { addresses: [node], nodeName: "n1", conditions: { ready: true, serving: true } },
        ],
        ports: [{ port: 8080, protocol: "TCP" }],
      },
    );
    await setStatus("service", "web", { loadBalancer: { ingress: [{ ip: VIP }] } }, "default");
    speakerLog = cluster.startSpeaker("n1", ["--bgp-listen-port", "179"]).log;
  }, 110_000);

  afterAll(() => cluster.stop());

  it("FRR dials the speaker's port 179 with the MD5 key: Established, and FRR holds the Service's prefix", async () => {
    if (!rtr) throw new Error("setup failed");
    await waitFor(
      "FRR Established with the speaker",
      async () => (await neighbor())?.bgpState === "Established",
      { timeoutMs: 30_000, stepMs: 200 },
    );
    // FRR's side of the connection ends at the speaker's listener: FRR dialled, not the speaker.
    expect((await neighbor())?.portForeign).toBe(179);
    const paths = await waitFor(
      `${VIP}/32 at FRR`,
      async () => {
        const p = await rtr?.paths(`${VIP}/32`);
        return p !== undefined && p.length === 1 ? p : undefined;
      },
      { timeoutMs: 20_000, stepMs: 200 },
    );
    expect(paths[0]?.peer).toBe(node);
    const log = await readFile(speakerLog, "utf8");
    expect(log).toContain("listening for BGP connections on [::]:179");
    expect(log).toContain("inbound BGP connection accepted");
  }, 60_000);

  it("a wrong key on FRR's side never gets in; the right one does again", async () => {
    if (!rtr) throw new Error("setup failed");
    const md5Failures = (await tcpExt("n1")).TCPMD5Failure ?? 0;
    const accepted = (await readFile(speakerLog, "utf8")).split("inbound BGP connection accepted");
    await routerPassword("wrong");
    await waitFor(
      "the old session down",
      async () => (await neighbor())?.bgpState !== "Established",
      {
        timeoutMs: 10_000,
        stepMs: 100,
      },
    );
    const states = new Set<string | undefined>();
    for (let i = 0; i < 12; i++) {
      states.add((await neighbor())?.bgpState);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(states.has("Established")).toBe(false);
    expect(await rtr.paths(`${VIP}/32`)).toEqual([]);
    // The kernel dropped FRR's SYNs at the speaker's listener (RFC 2385 §2.0); none was accepted.
    expect((await tcpExt("n1")).TCPMD5Failure).toBeGreaterThan(md5Failures);
    expect(
      (await readFile(speakerLog, "utf8")).split("inbound BGP connection accepted"),
    ).toHaveLength(accepted.length);
    await routerPassword(PASSWORD);
    await waitFor(
      "FRR Established again with the right key",
      async () => (await neighbor())?.bgpState === "Established",
      { timeoutMs: 30_000, stepMs: 200 },
    );
  }, 60_000);
});
