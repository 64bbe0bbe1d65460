// The namespace LAN scenario 4 (Layer 2 failover) runs on, built for each run
// on its control plane: a bridge with a client (192.0.2.10) and nodes n1–n3
// (192.0.2.11–13), each node reaching the API server through the lab's
// relay, Node objects for them (Ready, InternalIP = the LAN address), the
// memberlist key both speakers read, and an IPAddressPool on the LAN for the
// scenario's VIP with its L2Advertisement.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ControlPlane } from "../../test/control-plane/cluster.ts";
import { startApiRelay } from "../../test/lab/api-access.ts";
import { SpeakerLab } from "../../test/lab/speaker-lab.ts";
import { createLan } from "../../test/lab/topology.ts";
import { writeMemberlistKey } from "./memberlist-key.ts";
import { METALLB_NAMESPACE } from "./systems.ts";

/** The pool on the LAN (RFC 5737 TEST-NET-1, as the lab's); never auto-assigned, so no other scenario draws from it. */
export const L2_POOL = "vs-l2";
/** The scenario's VIP, requested by the Service so each system announces the same address. */
export const L2_VIP = "192.0.2.100";

export interface L2Lab {
  /** The LAN, the Node objects and our speaker's start/stop (test/lab/speaker-lab.ts). */
  readonly lab: SpeakerLab;
  /**
   * The directory holding `secretkey`, as MetalLB's DaemonSet mounts its
   * `memberlist` Secret (METALLB_ML_SECRET_KEY_PATH); metallb-ts reads the
   * same file (--memberlist-key-file).
   */
  readonly keyDir: string;
  tearDown(): Promise<void>;
}

function configuration(): unknown[] {
  const metadata = { name: L2_POOL, namespace: METALLB_NAMESPACE };
  return [
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata,
      spec: { addresses: ["192.0.2.100-192.0.2.109"], autoAssign: false },
    },
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "L2Advertisement",
      metadata,
      spec: { ipAddressPools: [L2_POOL] },
    },
  ];
}

/** Builds the LAN on `cp`; on failure removes what it made before rejecting. */
export async function createL2Lab(cp: ControlPlane): Promise<L2Lab> {
  const tmp = await mkdtemp(join(tmpdir(), "vs-metallb-l2-"));
  const { keyDir, keyFile } = await writeMemberlistKey(tmp);
  const lan = await createLan({ prefix: "vsm", nodes: 3, client: true }).catch(
    async (e: unknown) => {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    },
  );
  // The admin's kubeconfig for both systems' speakers (bgp-lab.ts says why).
  const lab = new SpeakerLab(
    lan,
    cp,
    tmp,
    { kubeconfig: cp.kubeconfig, memberlistKey: keyFile },
    [],
  );
  const tearDown = async (): Promise<void> => {
    await lab
      .kubectl([
        "delete",
        `ipaddresspool/${L2_POOL}`,
        `l2advertisement/${L2_POOL}`,
        `--namespace=${METALLB_NAMESPACE}`,
      ])
      .catch(() => undefined);
    await lab
      .kubectl(["delete", "node", ...lan.nodes.map((n) => n.name), "--ignore-not-found"])
      .catch(() => undefined);
    await lan.destroy();
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    await startApiRelay(lan, { port: cp.ports.apiserver });
    await lab.createNodes();
    await lab.apply(configuration());
  } catch (e: unknown) {
    await tearDown();
    throw e;
  }
  return { lab, keyDir, tearDown };
}
