// How every component finds the API: --kubeconfig, else $KUBECONFIG, else the
// in-cluster ServiceAccount (KubeConfig.loadFromDefault covers both). Thin
// Kubernetes adapter: core/kube/ is the only part of core/ that imports the client.
import { KubeConfig } from "@kubernetes/client-node";

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
