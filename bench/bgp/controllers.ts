// The admission path for the BGP bench: one `metallb-ts webhook` process
// (Service IP assignment in the create call) registered as the mutating
// webhook, and the `metallb-ts reconciler` (publishes status.loadBalancer).
// Both run in the machine's namespace as lab processes, so the lab's destroy
// stops them if the bench fails.
import { readFile } from "node:fs/promises";
import {
  MUTATING_CONFIGURATION_NAME,
  mutatingWebhookConfiguration,
} from "../../core/api/webhook-configurations.ts";
import {
  startReconcilerProcess,
  startWebhookProcess,
  waitUntilAssignmentAnswers,
} from "../../test/lab/components.ts";
import type { SpeakerLab } from "../../test/lab/speaker-lab.ts";

export interface Controllers {
  /** Removes the mutating webhook registration and stops both processes. */
  stop(): Promise<void>;
}

/** Webhook (+ reconciler unless told not to) running, the mutating webhook registered and answering. */
export async function startControllers(
  lab: SpeakerLab,
  opts: { reconciler?: boolean } = {},
): Promise<Controllers> {
  const quiet = { dir: lab.lan.dir, extraArgs: ["--log-level=warn"] };
  const [{ url, pid }, reconciler] = await Promise.all([
    startWebhookProcess(lab.lan, lab.cp, { ...quiet, name: "webhook" }),
    opts.reconciler === false
      ? Promise.resolve(undefined)
      : startReconcilerProcess(lab.lan, lab.cp, {
          name: "reconciler",
          dir: lab.lan.dir,
          extraArgs: ["--no-leader-elect", "--log-level=warn"],
        }),
  ]);
  const caBundle = (await readFile(lab.cp.caCert)).toString("base64");
  await lab.apply([mutatingWebhookConfiguration({ url, caBundle })]);
  await waitUntilAssignmentAnswers(lab.cp);
  return {
    stop: async () => {
      await lab.kubectl([
        "delete",
        "mutatingwebhookconfiguration",
        MUTATING_CONFIGURATION_NAME,
        "--ignore-not-found",
      ]);
      await lab.lan.processes.stop(pid);
      if (reconciler !== undefined) await lab.lan.processes.stop(reconciler.pid);
    },
  };
}
