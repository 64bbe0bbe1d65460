// The worker side of bench/l2/worker-costs.ts: runs the speaker's planner on
// the snapshot it is sent, or sends ARP frames straight back (the cost of
// the round trip alone), and answers each message with its id.
import { parentPort } from "node:worker_threads";
import type { SpeakerSnapshot } from "../../speaker/cluster-view.ts";
import { planLayer2 } from "../../speaker/layer2/l2-plan.ts";

export type WorkerTask =
  | {
      readonly id: number;
      readonly kind: "plan";
      readonly snapshot: SpeakerSnapshot;
      readonly liveSpeakers: ReadonlySet<string>;
      readonly self: string;
    }
  | { readonly id: number; readonly kind: "echo"; readonly frames: Uint8Array[] };

parentPort?.on("message", (task: WorkerTask) => {
  const result =
    task.kind === "plan" ? planLayer2(task.snapshot, task.liveSpeakers, task.self) : task.frames;
  parentPort?.postMessage({ id: task.id, result });
});
