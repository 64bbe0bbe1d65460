// How every component finds the API: --kubeconfig, else $KUBECONFIG, else the
// in-cluster ServiceAccount (KubeConfig.loadFromDefault covers both). Thin
// Kubernetes adapter: core/kube/ is the only part of core/ that imports the client.
import { KubeConfig } from "@kubernetes/client-node";
import { MetallbError } from "../errors.ts";
import { ApiClient } from "./api-client.ts";
import { dataOrFile } from "./api-config.ts";

type RequestContext = Parameters<KubeConfig["applySecurityAuthentication"]>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

/**
 * client-node 2.0.1 builds a new undici Agent for every API request
 * (KubeConfig.applySecurityAuthentication → createDispatcher), so every call
 * opens a new TCP connection and does a full TLS handshake: measured here, a
 * webhook doing one claim write per admission spent more time in TLS than in
 * its own code, and the API server spent CPU on handshakes. This keeps the
 * first Agent and hands it to every later request, so connections are reused.
 * The TLS material (CA, client certificate) is fixed for a process's life;
 * bearer tokens, which rotate, travel in headers and are still read per request.
 */
export class PooledKubeConfig extends KubeConfig {
  #dispatcher: Dispatcher | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const created = context.getDispatcher();
    if (created === undefined) return;
    if (this.#dispatcher === undefined) {
      this.#dispatcher = created;
      return;
    }
    context.setDispatcher(this.#dispatcher);
    // Never connected, so closing it costs nothing.
    void created.close();
  }
}

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new PooledKubeConfig();
  if (path === undefined) kc.loadFromDefault();
  else kc.loadFromFile(path);
  return kc;
}

/**
 * The slim client (api-client.ts) for the cluster and user `kc` points at:
 * components that still write through client-node watch through this.
 */
export function apiClientFor(kc: KubeConfig): ApiClient {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (cluster === null)
    throw new MetallbError("KUBECONFIG_INVALID", "the kubeconfig has no current cluster");
  const token = user?.token;
  return new ApiClient({
    server: cluster.server.replace(/\/+$/, ""),
    ca: dataOrFile(cluster.caData, cluster.caFile),
    cert: dataOrFile(user?.certData, user?.certFile),
    key: dataOrFile(user?.keyData, user?.keyFile),
    insecureSkipTlsVerify: cluster.skipTLSVerify,
    token: () => token,
    source: `kubeconfig cluster ${cluster.name}`,
  });
}
