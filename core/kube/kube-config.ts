// Thin Kubernetes adapter (core/kube/ is the only part of core/ that imports the client).
// How every component finds the API: --kubeconfig, else $KUBECONFIG, else the
// in-cluster ServiceAccount (KubeConfig.loadFromDefault covers both).
import { KubeConfig } from "@kubernetes/client-node";

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path === undefined) kc.loadFromDefault();
  else kc.loadFromFile(path);
  return kc;
}
