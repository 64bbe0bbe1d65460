// CPU time of the processes a bench runs or starts, from /proc: where a
// machine's cores went during a phase.
import { readFile } from "node:fs/promises";
import type { ControlPlane } from "../test/control-plane/cluster.ts";

/** USER_HZ, the unit of /proc/PID/stat's times, is 100 on Linux (proc(5), "clock ticks"). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${String(pid)}/stat`, "utf8");
  // Fields after the ")" that ends comm (which may hold spaces): utime is the
  // 14th field of the line, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export const CONTROL_PLANE_PROCESSES = [
  "kube-apiserver",
  "etcd",
  "kube-controller-manager",
] as const;
export type ControlPlaneProcess = (typeof CONTROL_PLANE_PROCESSES)[number];

/** The PIDs of the control plane's processes, from the state file it recorded. */
export async function controlPlanePids(
  cp: Pick<ControlPlane, "statePath">,
): Promise<Record<ControlPlaneProcess, number>> {
  const state = JSON.parse(await readFile(cp.statePath, "utf8")) as {
    processes: { name: string; pid: number }[];
  };
  const pids = {} as Record<ControlPlaneProcess, number>;
  for (const name of CONTROL_PLANE_PROCESSES) {
    const pid = state.processes.find((p) => p.name === name)?.pid;
    if (pid === undefined) throw new Error(`${cp.statePath} records no ${name}`);
    pids[name] = pid;
  }
  return pids;
}

/** CPU seconds of each named process. */
export async function cpuSecondsOf<K extends string>(
  pids: Readonly<Record<K, number>>,
): Promise<Record<K, number>> {
  const out = {} as Record<K, number>;
  for (const name of Object.keys(pids) as K[]) out[name] = await cpuSeconds(pids[name]);
  return out;
}
