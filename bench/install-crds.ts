// Our CRDs (a superset of MetalLB's kinds) on a bench's own control plane,
// established before the bench goes on.
import { stringify } from "yaml";
import { allCrds } from "../core/api/crd-manifests.ts";
import { kubectlAt, type ControlPlane } from "../test/control-plane/cluster.ts";

export async function installCrds(
  cp: Pick<ControlPlane, "binaries" | "kubeconfig">,
): Promise<void> {
  const yaml = allCrds()
    .map((c) => stringify(c))
    .join("---\n");
  await kubectlAt(cp, ["apply", "--server-side", "-f", "-"], yaml);
  await kubectlAt(cp, ["wait", "--for=condition=established", "--timeout=60s", "crd", "--all"]);
}
