// The namespace LAN scenario 5 (BGP) runs on, built for each run on its
// control plane: one node n1 (192.0.2.11) and a router rtr (192.0.2.1)
// running FRR (bgpd + zebra, AS 64512, n1 a passive neighbour in AS 64513,
// keepalive 3 s / hold 9 s, as in `npm run bench -- bgp`), the Node object for
// n1, and the BGP configuration both speakers read: one BGPPeer, and the paced
// Services' pool with its BGPAdvertisement (the scale Services' pool has its
// own, made with the control plane).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ControlPlane } from "../../test/control-plane/cluster.ts";
import { startApiRelay } from "../../test/lab/api-access.ts";
import { startFrr, type Frr } from "../../test/lab/frr.ts";
import { SpeakerLab } from "../../test/lab/speaker-lab.ts";
import { createLan, type Lan } from "../../test/lab/topology.ts";
import { LOG_MS_TIMESTAMPS } from "../bgp/frr-log.ts";
import { writeMemberlistKey } from "./memberlist-key.ts";
import type { SpeakerLan } from "./speakers.ts";
import { METALLB_NAMESPACE } from "./systems.ts";

export const BGP_NODE = "n1";
export const SPEAKER_ASN = 64513;
export const ROUTER_ASN = 64512;
/** The paced Services' pool (RFC 6598 shared space, never auto-assigned): each system's controller picks from it. */
export const BGP_PACED_POOL = "vs-bgp-paced";
const PEER = "vs-bgp-rtr";
const ADVERTISEMENT = "vs-bgp";

export interface BgpLab extends SpeakerLan {
  readonly frr: Frr;
  /** bgpd's log file (timestamps to the millisecond). */
  readonly bgpdLog: string;
  tearDown(): Promise<void>;
}

function metallbObject(kind: string, name: string, spec: Record<string, unknown>): unknown {
  return {
    // MetalLB's speaker reads BGPPeer at v1beta2, the stored version: no conversion.
    apiVersion: kind === "BGPPeer" ? "metallb.io/v1beta2" : "metallb.io/v1beta1",
    kind,
    metadata: { name, namespace: METALLB_NAMESPACE },
    spec,
  };
}

function bgpConfiguration(lan: Lan): unknown[] {
  return [
    metallbObject("IPAddressPool", BGP_PACED_POOL, {
      addresses: ["100.64.0.0/24"],
      autoAssign: false,
    }),
    // holdTime only: MetalLB's native mode rejects keepaliveTime (metallb-reference §5.4).
    metallbObject("BGPPeer", PEER, {
      peerAddress: lan.host("rtr").ipv4,
      myASN: SPEAKER_ASN,
      peerASN: ROUTER_ASN,
      holdTime: "9s",
    }),
    metallbObject("BGPAdvertisement", ADVERTISEMENT, {
      ipAddressPools: [BGP_PACED_POOL],
    }),
  ];
}

async function deleteConfiguration(lab: SpeakerLab): Promise<void> {
  const ns = `--namespace=${METALLB_NAMESPACE}`;
  const objects = [
    `bgpadvertisement/${ADVERTISEMENT}`,
    `bgppeer/${PEER}`,
    `ipaddresspool/${BGP_PACED_POOL}`,
  ];
  await lab.kubectl(["delete", ...objects, ns, "--ignore-not-found"]).catch(() => undefined);
  await lab.kubectl(["delete", "node", BGP_NODE, "--ignore-not-found"]).catch(() => undefined);
}

/**
 * bgpd's log with millisecond timestamps: `log timestamp precision` reaches
 * only targets set in the config (FRR 8.4 leaves the --log target at whole
 * seconds), so a second file target goes in test/lab/frr.ts's directory,
 * which bgpd (user frr) can write to.
 */
function bgpdLogPath(lan: Lan): string {
  return join(lan.dir, "frr-rtr", "bgpd-ms.log");
}

function startRouter(lan: Lan): Promise<Frr> {
  const rtr = lan.host("rtr");
  return startFrr(lan, {
    asn: ROUTER_ASN,
    routerId: rtr.ipv4,
    peers: [{ address: lan.host(BGP_NODE).ipv4, asn: SPEAKER_ASN, passive: true }],
    zebra: true,
    keepalive: 3,
    holdTime: 9,
    // Scenario 5 times the RIB load from bgpd's own log line for Established.
    extraConfig: `${LOG_MS_TIMESTAMPS}\nlog file ${bgpdLogPath(lan)} informational\n`,
  });
}

/** Builds the LAN, FRR and the configuration on `cp`; on failure removes what it made before rejecting. */
export async function createBgpLab(cp: ControlPlane): Promise<BgpLab> {
  const dir = await mkdtemp(join(tmpdir(), "vs-metallb-bgp-"));
  // Memberlist on, as in scenario 4 (both speakers' defaults): with one node
  // it only costs each speaker its listener.
  const { keyDir, keyFile } = await writeMemberlistKey(dir);
  let lan: Lan | undefined;
  let lab: SpeakerLab | undefined;
  const tearDown = async (): Promise<void> => {
    if (lab !== undefined) await deleteConfiguration(lab);
    await lan?.destroy();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    lan = await createLan({ prefix: "vsb", nodes: 1, client: false, router: true });
    // Both systems' speakers use the admin's kubeconfig here: our RBAC's
    // names are MetalLB's, and applying ours would change its roles.
    lab = new SpeakerLab(lan, cp, dir, { kubeconfig: cp.kubeconfig, memberlistKey: keyFile }, []);
    await startApiRelay(lan, { port: cp.ports.apiserver });
    const frr = await startRouter(lan);
    await lab.createNodes();
    await lab.apply(bgpConfiguration(lan));
    return { lab, keyDir, frr, bgpdLog: bgpdLogPath(lan), tearDown };
  } catch (e: unknown) {
    await tearDown();
    throw e;
  }
}
