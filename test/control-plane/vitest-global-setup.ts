// globalSetup of the vitest `cluster` project: one real control plane
// (etcd + kube-apiserver + kube-controller-manager) for the whole run. Test
// files share it and isolate themselves by namespace (test/kube.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { ensureControlPlaneBinaries } from "./binaries.ts";
import { startControlPlane } from "./cluster.ts";
import type { ProvidedControlPlane } from "./provided-context.ts";

const log = (line: string): void => {
  process.stderr.write(`[control-plane] ${line}\n`);
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binaries = await ensureControlPlaneBinaries({ log });
  // A fresh directory per run: certificates and logs of one run never mix
  // with another's, and parallel runs on one machine do not collide.
  const dir = await mkdtemp(join(tmpdir(), "metallb-ts-cluster-"));
  log(`starting in ${dir}`);
  const cp = await startControlPlane({ dir, binaries, log });

  const provided: ProvidedControlPlane = {
    kubeconfig: cp.kubeconfig,
    server: cp.server,
    caCert: cp.caCert,
    caKey: cp.caKey,
    webhookCert: cp.webhookCert,
    webhookKey: cp.webhookKey,
    kubectl: binaries.kubectl,
  };
  project.provide("controlPlane", provided);

  return async () => {
    await cp.stop();
    // Logs are what explains a failed run: keep them on request.
    if (process.env["KEEP_CONTROL_PLANE_DIR"]) {
      log(`kept ${dir} (KEEP_CONTROL_PLANE_DIR is set)`);
    } else {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
