// A probe process in a lab namespace (the client) that prints one line per
// answer it gets; each line is parsed into an Answer as it arrives. The probe
// scripts (failover-probe.ts: HTTP, arp-probe.ts: ARP) stop when their stdin
// closes.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { AnswerLog, type Answer } from "./answer-log.ts";

/** Turns one output line into an answer (or nothing); `receivedAt` is Date.now() on arrival. */
export type AnswerParser = (line: string, receivedAt: number) => Answer | undefined;

export class AnswerProbe {
  readonly log = new AnswerLog();
  readonly #child: ChildProcess;

  /** Starts `argv` inside network namespace `ns`. */
  constructor(ns: string, argv: readonly string[], parse: AnswerParser) {
    const child = spawn("ip", ["netns", "exec", ns, ...argv], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let buffer = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const receivedAt = Date.now();
      buffer += chunk;
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const answer = parse(buffer.slice(0, newline), receivedAt);
        if (answer !== undefined) this.log.add(answer);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
      }
    });
    this.#child = child;
  }

  /** Closes the probe's stdin and waits for it to exit (SIGKILL after 5 s). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.stdin?.end();
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  }
}
