// A control plane plus a lab LAN for the BGP speaker suites (speaker-bgp,
// speaker-bgp-passive), which share everything up to their routers and
// objects. Unlike test/lab/speaker-lab.ts, speakers here run with the admin
// kubeconfig and no memberlist key, and a suite writes its own Node objects,
// so what a suite applies is exactly what its speakers see.
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allCrds } from "../../../core/api/crd-manifests.ts";
import { ensureControlPlaneBinaries } from "../../control-plane/binaries.ts";
import {
  applyAt,
  kubectlAt,
  patchStatusAt,
  startControlPlane,
  type ControlPlane,
} from "../../control-plane/cluster.ts";
import { startApiRelay } from "../../lab/api-access.ts";
import { createLan, type Lan, type LanOptions } from "../../lab/topology.ts";

export const NS = "metallb-system";
const BIN = join(import.meta.dirname, "../../../bin/metallb-ts.js");

export type Json = Record<string, unknown>;

/** A MetalLB object in NS; BGPPeer is served at v1beta2, every other kind at v1beta1. */
export function metallb(kind: string, name: string, spec: Json): Json {
  return {
    apiVersion: kind === "BGPPeer" ? "metallb.io/v1beta2" : "metallb.io/v1beta1",
    kind,
    metadata: { name, namespace: NS },
    spec,
  };
}

export interface SpeakerClusterOptions {
  /** Start of the scratch directory's name under the tmp dir. */
  readonly tmpPrefix: string;
  readonly lan: LanOptions;
  /** Node hosts whose speakers reach the API server through a relay. */
  readonly apiHosts: readonly string[];
}

/**
 * Made at describe time and started in beforeAll, so the helpers below are
 * plain functions a suite can take apart; each throws until start() has run.
 */
export class SpeakerCluster {
  cp: ControlPlane | undefined;
  lan: Lan | undefined;
  dir = "";

  readonly controlPlane = (): ControlPlane => {
    if (!this.cp) throw new Error("no control plane");
    return this.cp;
  };

  readonly kubectl = (args: string[], input = ""): Promise<string> =>
    kubectlAt(this.controlPlane(), args, input);

  readonly apply = (...objects: Json[]): Promise<string> => applyAt(this.controlPlane(), objects);

  readonly setStatus = (kind: string, name: string, status: Json, ns?: string): Promise<string> =>
    patchStatusAt(this.controlPlane(), { kind, name, namespace: ns }, status);

  /** Control plane and LAN side by side, then the CRDs (established), NS and the API relays. */
  async start(o: SpeakerClusterOptions): Promise<Lan> {
    this.dir = await mkdtemp(join(tmpdir(), o.tmpPrefix));
    const binaries = await ensureControlPlaneBinaries({});
    const [cp, lan] = await Promise.all([
      startControlPlane({ dir: this.dir, binaries }),
      createLan(o.lan),
    ]);
    this.cp = cp;
    this.lan = lan;
    await this.apply(...(allCrds() as unknown as Json[]));
    await this.kubectl(["wait", "--for=condition=established", "--timeout=60s", "crd", "--all"]);
    await this.kubectl(["create", "namespace", NS]);
    await startApiRelay(lan, { port: cp.ports.apiserver, hosts: [...o.apiHosts] });
    return lan;
  }

  /**
   * `metallb-ts speaker` in `node`'s namespace with the admin kubeconfig and
   * debug logs; `extraArgs` go before --log-level. A new log file each call,
   * so a restarted speaker's log starts empty.
   */
  startSpeaker(
    node: string,
    extraArgs: readonly string[] = [],
  ): { readonly child: ChildProcess; readonly log: string } {
    if (!this.lan || !this.cp) throw new Error("setup failed");
    const log = this.lan.logPath(node, "speaker");
    const argv = [
      process.execPath,
      BIN,
      "speaker",
      "--node-name",
      node,
      "--kubeconfig",
      this.cp.kubeconfig,
      "--metrics-port",
      "0",
      "--memberlist-port",
      "7946",
      ...extraArgs,
      "--log-level",
      "debug",
    ];
    return { child: this.lan.spawn(node, argv, { name: `${node}:speaker`, log }), log };
  }

  /** The LAN goes first: destroying it kills the speakers before their API server stops. */
  async stop(): Promise<void> {
    await this.lan?.destroy();
    await this.cp?.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
