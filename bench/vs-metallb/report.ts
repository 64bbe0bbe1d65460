// Per figure: each system's value (the median of its runs with --rounds) and
// the ratio metallb-ts / MetalLB; the printed table and the BENCHMARKS.md section (between marker comments,
// replaced whole by each full run).
import { readFile, writeFile } from "node:fs/promises";
import { format, resolveConfig } from "prettier";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../test/control-plane/binaries.ts";
import { round } from "../bench-stats.ts";
import type { Figures, Scenario } from "./scenarios.ts";
import type { SystemName } from "./systems.ts";

export const DOC_START = "<!-- vs-metallb:start -->";
export const DOC_END = "<!-- vs-metallb:end -->";

export interface ScenarioResult {
  readonly scenario: Scenario;
  /** Per system, one Figures per run, in run order. */
  readonly runs: Record<SystemName, Figures[]>;
  /**
   * Per system, figures computed over the samples of all its runs together
   * (scenario 4's percentiles over every trial); they replace the median of
   * the runs' own figures of the same name.
   */
  readonly pooled?: Record<SystemName, Figures>;
}

export interface Row {
  readonly figure: string;
  readonly ours: number;
  readonly theirs: number;
  /** metallb-ts / MetalLB; NaN where MetalLB's figure is 0. */
  readonly ratio: number;
}

function median(values: readonly number[]): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export function rows(result: ScenarioResult): Row[] {
  const names = new Set([
    ...result.runs["metallb-ts"].flatMap((f) => Object.keys(f)),
    ...result.runs.MetalLB.flatMap((f) => Object.keys(f)),
  ]);
  return [...names].map((figure) => {
    const ours =
      result.pooled?.["metallb-ts"][figure] ??
      median(result.runs["metallb-ts"].map((f) => f[figure] ?? Number.NaN));
    const theirs =
      result.pooled?.MetalLB[figure] ??
      median(result.runs.MetalLB.map((f) => f[figure] ?? Number.NaN));
    return { figure, ours, theirs, ratio: theirs === 0 ? Number.NaN : ours / theirs };
  });
}

function fmt(figure: string, v: number): string {
  if (Number.isNaN(v)) return "—";
  const unit = /_ms$/.test(figure)
    ? " ms"
    : /_s$/.test(figure)
      ? " s"
      : /_mb$/.test(figure)
        ? " MB"
        : "";
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${round(v, digits).toLocaleString("en-US")}${unit}`;
}

/** Lower is better for every figure; counts that should be 0 name the winner only when they differ. */
function verdict(r: Row): string {
  if (Number.isNaN(r.ours) || Number.isNaN(r.theirs)) return "—";
  if (r.ours === r.theirs) return "same";
  if (/ip_in_create_response/.test(r.figure))
    return r.ours > r.theirs ? "metallb-ts" : "**MetalLB**";
  return r.ours < r.theirs ? "metallb-ts" : "**MetalLB**";
}

export function markdownTable(result: ScenarioResult): string {
  const lines = [
    "| figure | metallb-ts | MetalLB | ratio metallb-ts / MetalLB | better |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const r of rows(result)) {
    const ratio = Number.isNaN(r.ratio) ? "—" : `${round(r.ratio, 2)}×`;
    lines.push(
      `| ${r.figure} | ${fmt(r.figure, r.ours)} | ${fmt(r.figure, r.theirs)} | ${ratio} | ${verdict(r)} |`,
    );
  }
  return lines.join("\n");
}

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly loadAverageAtStart: number;
}

export async function machine(load: number): Promise<Machine> {
  const info = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  const cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? cpus()[0]?.model ?? "unknown";
  return {
    nproc: cpus().length,
    cpu,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    loadAverageAtStart: round(load, 2),
  };
}

/** Where MetalLB has the lower figure, one plain sentence each. */
export function metallbWins(results: readonly ScenarioResult[]): string[] {
  return results.flatMap((res) =>
    rows(res)
      .filter((r) => verdict(r) === "**MetalLB**")
      .map(
        (r) =>
          `- ${res.scenario.title}, ${r.figure}: MetalLB ${fmt(r.figure, r.theirs)} against metallb-ts ${fmt(r.figure, r.ours)}.`,
      ),
  );
}

export function docSection(opts: {
  results: readonly ScenarioResult[];
  machine: Machine;
  date: string;
  versions: string;
  crdNote: string;
  totalMinutes: number;
  quick: boolean;
  rounds: number;
}): string {
  const m = opts.machine;
  const parts = [
    DOC_START,
    "## vs-metallb — `npm run bench -- vs-metallb`",
    "",
    "_This section is written by the command; do not edit it by hand._",
    "",
    `metallb-ts against MetalLB ${opts.versions}, the same local control plane, the same IPAddressPool. Each scenario runs ${opts.rounds === 1 ? "once with each system, metallb-ts first, so the whole run alternates A B A B" : `${String(opts.rounds)} times with each system, alternated A B A B; each figure is the median of a system's runs`}. Every run starts on a fresh control plane (the same binaries, flags and configuration; a new one takes about 10 s, deleting 10,000 Services took 126 s) and uses its own spec.loadBalancerClass (both systems run with --lb-class). Both systems log at their default level (info). ${opts.crdNote}`,
    "",
    `Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB RAM, Node ${m.node}, load average ${m.loadAverageAtStart} at the start; ${opts.date}; whole run ${round(opts.totalMinutes, 1)} min. Lower is better for every figure except ip_in_create_response.`,
  ];
  for (const res of opts.results) {
    parts.push(
      "",
      `### ${res.scenario.title}`,
      "",
      res.scenario.description(opts.quick),
      "",
      markdownTable(res),
    );
  }
  const wins = metallbWins(opts.results);
  parts.push("", "### Where MetalLB wins", "");
  parts.push(...(wins.length === 0 ? ["Nowhere in this run."] : wins));
  parts.push(
    "",
    opts.quick
      ? "This was a `--quick` run (the smaller sizes named in each description); a full run, `npm run bench -- vs-metallb`, replaces it."
      : "This was a full run.",
    DOC_END,
  );
  return parts.join("\n");
}

/** `doc` with the marked section replaced by `section`, or `section` appended. */
export function replaceSection(doc: string, section: string): string {
  const start = doc.indexOf(DOC_START);
  const end = doc.indexOf(DOC_END);
  return start >= 0 && end > start
    ? doc.slice(0, start) + section + doc.slice(end + DOC_END.length)
    : `${doc.trimEnd()}\n\n${section}\n`;
}

/** Replaces the marked section of BENCHMARKS.md, or appends it. */
export async function writeDocSection(section: string): Promise<string> {
  const path = join(repoRoot, "BENCHMARKS.md");
  const next = replaceSection(await readFile(path, "utf8"), section);
  // Formatted as `npm run check` (prettier --check) expects.
  const config = (await resolveConfig(path)) ?? {};
  await writeFile(path, await format(next, { ...config, filepath: path }));
  return path;
}
