// The lab's own processes, by PID. Each one is recorded with its start time
// (/proc/<pid>/stat field 22) so that stopping — in this process or, from a
// saved state, in another one (`npm run lab -- down`) — signals exactly the
// processes the lab started and never a later process that reused a PID.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";

export interface ProcessRecord {
  name: string;
  pid: number;
  /** Clock ticks since boot at which the process started. */
  startTicks: number;
  log: string;
}

export interface SpawnOptions {
  /** File that receives the process's stdout and stderr (appended). */
  log: string;
  /** Own session, not killed with the parent's group (a lab left running). */
  detached?: boolean;
  env?: NodeJS.ProcessEnv;
}

function startTicks(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Field 2 (comm) may hold spaces and ')'; the fields after the last ')' are plain.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  if (rest[0] === "Z" || rest[0] === "X") return undefined;
  return Number(rest[19]);
}

/** Whether the recorded process still runs (and is the same process, not a reused PID). */
export function isRunning(p: ProcessRecord): boolean {
  return startTicks(p.pid) === p.startTicks;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

async function waitGone(p: ProcessRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isRunning(p)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isRunning(p);
}

/**
 * SIGTERM to every recorded process that still runs, SIGKILL to those still
 * there after `graceMs`. Returns the records that were running.
 */
export async function stopProcesses(
  records: readonly ProcessRecord[],
  graceMs = 3_000,
): Promise<ProcessRecord[]> {
  const alive = records.filter(isRunning);
  for (const p of alive) signal(p.pid, "SIGTERM");
  const gone = await Promise.all(alive.map((p) => waitGone(p, graceMs)));
  const stubborn = alive.filter((_, i) => gone[i] !== true);
  for (const p of stubborn) signal(p.pid, "SIGKILL");
  const dead = await Promise.all(stubborn.map((p) => waitGone(p, 5_000)));
  const left = stubborn.filter((_, i) => dead[i] !== true);
  if (left.length > 0) {
    throw new Error(
      `still running after SIGKILL: ${left.map((p) => `${p.name} ${p.pid}`).join(", ")}`,
    );
  }
  return alive;
}

/** Starts processes and remembers them; `stopAll` stops exactly those. */
export class ProcessTracker {
  readonly records: ProcessRecord[] = [];
  readonly #children = new Map<number, ChildProcess>();
  readonly #onChange: () => void;

  constructor(onChange: () => void = () => undefined) {
    this.#onChange = onChange;
  }

  /** Spawns argv (no shell) with output to `opts.log`; the record is kept until stopAll. */
  spawn(name: string, argv: readonly string[], opts: SpawnOptions): ChildProcess {
    const [file, ...args] = argv;
    if (file === undefined) throw new Error(`spawn ${name}: empty argv`);
    const fd = openSync(opts.log, "a");
    let child: ChildProcess;
    try {
      writeSync(fd, `# ${new Date().toISOString()} ${argv.join(" ")}\n`);
      child = spawn(file, args, {
        stdio: ["ignore", fd, fd],
        detached: opts.detached ?? false,
        env: opts.env ?? process.env,
      });
    } finally {
      closeSync(fd);
    }
    // A failed exec (ENOENT) is reported on 'error'; without a listener it would throw.
    child.on("error", () => undefined);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`cannot start ${name}: ${argv.join(" ")}`);
    if (opts.detached === true) child.unref();
    const ticks = startTicks(pid);
    if (ticks === undefined) {
      throw new Error(`${name} (${argv.join(" ")}) exited at once; see ${opts.log}`);
    }
    this.records.push({ name, pid, startTicks: ticks, log: opts.log });
    this.#children.set(pid, child);
    this.#onChange();
    return child;
  }

  /** Stops one process started here (SIGTERM, then SIGKILL). */
  async stop(pid: number, graceMs = 3_000): Promise<void> {
    const rec = this.records.find((r) => r.pid === pid);
    if (!rec) throw new Error(`pid ${pid} was not started by this lab`);
    await stopProcesses([rec], graceMs);
  }

  /** Stops every process started here. Idempotent. */
  async stopAll(graceMs = 3_000): Promise<void> {
    await stopProcesses([...this.records].reverse(), graceMs);
  }
}
