// `metallb-ts webhook` as a child process on 127.0.0.1, the way the tests and
// the admission bench run replicas: started with the control plane's serving
// certificate and kubeconfig, resolved once /readyz answers 200.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, httpsGet, type ControlPlane } from "./control-plane/cluster.ts";
import { repoRoot } from "./control-plane/binaries.ts";

export interface WebhookChild {
  readonly child: ChildProcess;
  readonly port: number;
}

type WebhookCp = Pick<ControlPlane, "webhookCert" | "webhookKey" | "kubeconfig">;

/** `metallb-ts webhook`'s arguments for a replica on 127.0.0.1:`port` (after the executable). */
export function webhookArgs(cp: WebhookCp, port: number): string[] {
  return [
    "webhook",
    "--listen=127.0.0.1",
    `--port=${String(port)}`,
    `--tls-cert=${cp.webhookCert}`,
    `--tls-key=${cp.webhookKey}`,
    `--kubeconfig=${cp.kubeconfig}`,
  ];
}

/** Starts a replica; rejects (and kills it) if it is not ready within 30 s. */
export async function startWebhookChild(cp: WebhookCp, ca: Buffer): Promise<WebhookChild> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(repoRoot, "bin/metallb-ts.js"), ...webhookArgs(cp, port), "--log-level=warn"],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  for (let i = 0; i < 300; i++) {
    const ready = await httpsGet(`https://127.0.0.1:${String(port)}/readyz`, { ca }).catch(
      () => undefined,
    );
    if (ready?.status === 200) return { child, port };
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  child.kill();
  throw new Error(`metallb-ts webhook on port ${String(port)} never became ready`);
}
