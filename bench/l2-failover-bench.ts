// `npm run bench -- l2-failover [--trials N]`: how long a client is without
// its Service when the owner goes away (issue 5). Three speakers in node
// namespaces, the VIP on every node's lo with an HTTP listener, a client
// sending a request every 10 ms; per trial, the time from the event to the
// first request answered by another node. Two events: the owner's link cut
// (its veth down: node and speaker gone for the LAN), and only the owner's
// speaker SIGKILLed (the node still serves; what is timed is the client's
// traffic moving to the new owner once it announces).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "../test/lab/exec.ts";
import { addVip, curl, startHttpListener } from "../test/lab/l2.ts";
import { createSpeakerLab, l2Pool, type SpeakerLab } from "../test/lab/speaker-lab.ts";
import { printJsonLine, round } from "./bench-stats.ts";
import type { Answer } from "./l2/answer-log.ts";
import { AnswerProbe } from "./l2/answer-probe.ts";
import { summarizeFailover } from "./l2/failover-stats.ts";
import { failoverTrial } from "./l2/failover-trial.ts";

const VIP = "192.0.2.100";
const PORT = 8080;
const PROBE = join(dirname(fileURLToPath(import.meta.url)), "l2", "failover-probe.ts");
const DEADLINE_MS = 30_000;

/** The HTTP probe prints {"at": ms since the epoch, "node": who served} per answered request. */
function httpProbe(lab: SpeakerLab): AnswerProbe {
  return new AnswerProbe(
    lab.lan.nsOf("client"),
    [process.execPath, PROBE, `http://${VIP}:${PORT}/`],
    (line) => JSON.parse(line) as Answer,
  );
}

async function trial(lab: SpeakerLab, probe: AnswerProbe, mode: "link" | "kill"): Promise<number> {
  const { owner, ms } = await failoverTrial({
    answers: probe.log,
    event: mode,
    cut: (node) => (mode === "link" ? lab.lan.linkDown(node) : lab.stopSpeaker(node, "SIGKILL")),
    restore: async (node) => {
      if (mode === "link") await lab.lan.linkUp(node);
      else await lab.startSpeaker(node);
    },
    // The node comes back through its hold-down (ADR 0006) and may take the IP
    // back; let that settle before the next trial.
    settle: () => sleep(3_500),
    deadlineMs: DEADLINE_MS,
  });
  if (ms === undefined) {
    throw new Error(`timed out waiting for another node answers after ${owner}'s ${mode}`);
  }
  return ms;
}

function flag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a positive integer`);
  return value;
}

export default async function l2FailoverBench(args: readonly string[]): Promise<void> {
  const trials = flag(args, "--trials", 20);
  console.log(`l2-failover: 3 speakers, ${String(trials)} trials per event, a request every 10 ms`);
  const lab = await createSpeakerLab({ prefix: "blf", nodes: 3, client: true });
  try {
    await lab.apply(l2Pool("lan", ["192.0.2.100-192.0.2.119"]));
    await lab.createService({ name: "web", ips: [VIP], pool: "lan" });
    for (const n of lab.lan.nodes) {
      await addVip(lab.lan, n.name, VIP);
      await startHttpListener(lab.lan, n.name, PORT);
      await lab.startSpeaker(n.name);
    }
    await waitFor(
      "curl reaches the VIP",
      async () => (await curl(lab.lan, VIP, PORT)) !== undefined,
    );
    const probe = httpProbe(lab);
    const results: Record<string, number[]> = { link: [], kill: [] };
    try {
      for (const mode of ["link", "kill"] as const) {
        for (let i = 0; i < trials; i++) {
          const ms = await trial(lab, probe, mode);
          results[mode]?.push(ms);
          console.log(`  ${mode} trial ${String(i + 1)}: ${String(ms)} ms`);
        }
      }
    } finally {
      await probe.stop();
    }
    const figures: Record<string, number> = { trials };
    for (const [mode, samples] of Object.entries(results)) {
      const summary = summarizeFailover(samples);
      figures[`${mode}_p50_ms`] = round(summary.p50Ms, 0);
      figures[`${mode}_p99_ms`] = round(summary.p99Ms, 0);
      figures[`${mode}_max_ms`] = round(summary.maxMs, 0);
      console.log(
        `${mode === "link" ? "owner's link cut" : "owner's speaker SIGKILLed"}: p50 ${String(figures[`${mode}_p50_ms`])} ms, p99 ${String(figures[`${mode}_p99_ms`])} ms (targets: p50 < 1000, p99 < 2000)`,
      );
    }
    printJsonLine("l2-failover", figures);
  } finally {
    await lab.destroy();
  }
}
