// What vitest-global-setup.ts hands to cluster test files through
// `project.provide` / `inject`. The augmentation gives `inject("controlPlane")`
// its type; this file is imported (for types only) by both sides so the two
// cannot drift apart.

/** Plain strings only: provided values cross the worker boundary as JSON. */
export interface ProvidedControlPlane {
  /** Admin kubeconfig (client certificate in system:masters). */
  kubeconfig: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** CA that signed the apiserver, admin and webhook certificates; caBundle for webhooks. */
  caCert: string;
  caKey: string;
  /** Serving certificate for a webhook listening on https://127.0.0.1:<any port>. */
  webhookCert: string;
  webhookKey: string;
  /** kubectl built at the same version as the server. */
  kubectl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    controlPlane: ProvidedControlPlane;
  }
}
