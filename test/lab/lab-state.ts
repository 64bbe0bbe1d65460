// What `npm run lab -- up` made, written to <dir>/lab.json before it makes
// anything, so that `down` (another process, maybe after `up` crashed or was
// interrupted) removes exactly that: the processes recorded by PID and start
// time in the LAN's lab-state.json, the namespaces recorded there, and the
// control plane recorded in <dir>/control-plane/state.json.
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  readState,
  runningProcesses,
  stopControlPlaneFromState,
} from "../control-plane/cluster.ts";
import { run } from "./exec.ts";
import { isRunning, stopProcesses } from "./processes.ts";
import type { LanState } from "./topology.ts";

export interface LabState {
  /** LAN name: namespaces are `<name>-lan`, `<name>-n1`, … */
  readonly name: string;
  readonly dir: string;
  readonly nodes: number;
  readonly cpDir: string;
  readonly startedAt: string;
  /** Set once the control plane runs. */
  kubeconfig?: string;
  kubectl?: string;
  /** https://127.0.0.1:PORT of the proxy in front of the webhooks. */
  webhookUrl?: string;
}

export const labStatePath = (dir: string): string => join(dir, "lab.json");
/** The LAN keeps its own state here (topology.ts). */
export const lanStatePath = (dir: string): string => join(dir, "lab-state.json");

export async function writeLabState(state: LabState): Promise<void> {
  await writeFile(labStatePath(state.dir), JSON.stringify(state, null, 2) + "\n");
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

export function readLabState(dir: string): Promise<LabState | undefined> {
  return readJson<LabState>(labStatePath(dir));
}

export function readLanState(dir: string): Promise<LanState | undefined> {
  return readJson<LanState>(lanStatePath(dir));
}

export interface ProcessStatus {
  readonly name: string;
  readonly pid: number;
  readonly alive: boolean;
  readonly log: string;
}

/** Every process the lab recorded (LAN side, then control plane), and whether it still runs. */
export async function labProcesses(state: LabState): Promise<ProcessStatus[]> {
  const lan = await readLanState(state.dir);
  const out: ProcessStatus[] = (lan?.processes ?? []).map((p) => ({
    name: p.name,
    pid: p.pid,
    alive: isRunning(p),
    log: p.log,
  }));
  const cp = await readState(state.cpDir);
  if (cp) {
    for (const { process: p, alive } of await runningProcesses(cp)) {
      out.push({ name: p.name, pid: p.pid, alive, log: p.log });
    }
  }
  return out;
}

async function existingNamespaces(): Promise<Set<string>> {
  const out = await run(["ip", "netns", "list"]);
  return new Set(out.split("\n").map((l) => l.split(" ")[0] ?? ""));
}

/**
 * Stops the lab in `dir`: its processes, then its namespaces (hosts before
 * the bridge), then the control plane; removes `dir` unless keepLogs.
 * Idempotent; returns one line per thing it removed.
 */
export async function teardownLab(
  dir: string,
  opts: { keepLogs?: boolean } = {},
): Promise<string[]> {
  const report: string[] = [];
  const lab = await readLabState(dir);
  const lan = await readLanState(dir);
  if (lan) {
    const stopped = await stopProcesses([...lan.processes].reverse());
    for (const p of stopped) report.push(`stopped ${p.name} (pid ${String(p.pid)})`);
    const existing = await existingNamespaces();
    for (const ns of [...lan.namespaces].reverse()) {
      if (!existing.has(ns)) continue;
      await run(["ip", "netns", "del", ns]);
      report.push(`deleted namespace ${ns}`);
    }
  }
  const cpDir = lab?.cpDir ?? join(dir, "control-plane");
  if (existsSync(cpDir)) {
    for (const line of (await stopControlPlaneFromState(cpDir)) ?? []) {
      report.push(`control plane: ${line}`);
    }
  }
  if (opts.keepLogs !== true && existsSync(dir)) {
    await rm(dir, { recursive: true, force: true });
    report.push(`removed ${dir}`);
  }
  return report;
}
