// A process's memory from /proc/PID/status, as the BGP benches report it for
// a speaker: VmRSS (resident now) and VmHWM (the peak resident size).
import { readFile } from "node:fs/promises";
import { round } from "../bench-stats.ts";

export interface ProcessMemory {
  readonly rssMb: number;
  readonly hwmMb: number;
}

/** VmRSS and VmHWM of a /proc/PID/status text, in MB to 0.1 (NaN when absent). Pure. */
export function memoryFromStatus(status: string): ProcessMemory {
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? "NaN");
  return { rssMb: round(kb("VmRSS") / 1024, 1), hwmMb: round(kb("VmHWM") / 1024, 1) };
}

export async function processMemory(pid: number): Promise<ProcessMemory> {
  return memoryFromStatus(await readFile(`/proc/${String(pid)}/status`, "utf8"));
}
