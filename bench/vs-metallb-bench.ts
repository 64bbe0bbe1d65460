// `npm run bench -- vs-metallb [--quick] [--rounds=N] [--scenario=ID] [--write-doc] [--keep-logs]`:
// metallb-ts side by side with MetalLB v0.16.1 (built from the Go module
// proxy), the same local control plane and pool: each scenario runs once with
// each system (A B), scenario after scenario, so the whole run alternates
// A B A B; --rounds=N repeats each pair N times and reports medians. Every run
// starts on a fresh control plane (the same binaries and flags): deleting a
// run's 10,000 Services took 126 s, longer than a new control plane (~10 s),
// and no run inherits another's etcd history. Prints a table per scenario and
// one JSON line; a full run (not --quick, or with --write-doc) rewrites the
// vs-metallb section of BENCHMARKS.md. BENCH_QUICK=1 = --quick.
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api } from "@kubernetes/client-node";
import { loadKubeConfig } from "../core/kube/kube-config.ts";
import { pinnedVersions } from "../test/control-plane/binaries.ts";
import { kubectlAt, startControlPlane, type ControlPlane } from "../test/control-plane/cluster.ts";
import { printJsonLine, round } from "./bench-stats.ts";
import { installCrds } from "./install-crds.ts";
import { ensureMetallbBinaries, METALLB_VERSION } from "./vs-metallb/metallb-binaries.ts";
import {
  docSection,
  machine,
  markdownTable,
  rows,
  writeDocSection,
  type ScenarioResult,
} from "./vs-metallb/report.ts";
import { SCENARIOS, type Figures, type Scenario } from "./vs-metallb/scenarios.ts";
import {
  METALLB_NAMESPACE,
  METALLB_POD,
  startSystem,
  SYSTEMS,
  type SystemName,
} from "./vs-metallb/systems.ts";

const POOL = "10.200.0.0/16";

/** What to undo if the bench is interrupted (Ctrl-C, SIGTERM): newest first. */
const cleanups: (() => Promise<void>)[] = [];

function onSignal(signal: NodeJS.Signals): void {
  log(`${signal}: stopping what this bench started`);
  void (async () => {
    for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
    process.exit(signal === "SIGINT" ? 130 : 143);
  })();
}

function log(line: string): void {
  process.stderr.write(`[vs-metallb ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function apply(cp: ControlPlane, obj: unknown): Promise<void> {
  await kubectlAt(cp, ["apply", "-f", "-"], JSON.stringify(obj));
}

/** Our CRDs, the pool, and the Pod MetalLB looks itself up as. */
async function setUp(cp: ControlPlane): Promise<void> {
  await installCrds(cp);
  await kubectlAt(cp, ["create", "namespace", METALLB_NAMESPACE]);
  const meta = (name: string) => ({ name, namespace: METALLB_NAMESPACE });
  await apply(cp, {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: meta("bench"),
    spec: { addresses: [POOL] },
  });
  // The bench pool is announced by BGP only (scenario 5's speaker announces
  // the scale Services; Layer 2 too would be 10,000 gratuitous ARPs); the
  // advertisement also keeps metallb-ts from warning that nothing announces it.
  await apply(cp, {
    apiVersion: "metallb.io/v1beta1",
    kind: "BGPAdvertisement",
    metadata: meta("bench"),
    spec: { ipAddressPools: ["bench"] },
  });
  // No scheduler or kubelet: the Pod stays Pending, which is all MetalLB needs
  // (it owns the controller's ConfigurationState). The ServiceAccount
  // admission needs the namespace's default ServiceAccount first.
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta(METALLB_POD),
    spec: {
      automountServiceAccountToken: false,
      containers: [{ name: "controller", image: `quay.io/metallb/controller:${METALLB_VERSION}` }],
    },
  };
  for (let i = 0; ; i++) {
    try {
      await apply(cp, pod);
      return;
    } catch (e: unknown) {
      if (i > 100) throw e;
      await sleep(200);
    }
  }
}

interface BenchOptions {
  readonly quick: boolean;
  readonly rounds: number;
  readonly writeDoc: boolean;
  readonly only: string | undefined;
  readonly keepLogs: boolean;
}

function parseArgs(args: readonly string[]): BenchOptions {
  const quick = args.includes("--quick") || process.env.BENCH_QUICK === "1";
  const only = args.find((a) => a.startsWith("--scenario="))?.slice("--scenario=".length);
  const rounds = Number(
    args.find((a) => a.startsWith("--rounds="))?.slice("--rounds=".length) ?? "1",
  );
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`--rounds must be a whole number ≥ 1; got ${String(rounds)}`);
  }
  return {
    quick,
    rounds,
    writeDoc: args.includes("--write-doc") || (!quick && only === undefined),
    only,
    keepLogs: args.includes("--keep-logs"),
  };
}

interface RunOptions {
  scenario: Scenario;
  quick: boolean;
  rounds: number;
  dir: string;
  metallbController: string;
  metallbSpeaker: string;
}

/** A fresh control plane with the CRDs, the pool and MetalLB's Pod; stopped by the returned undo. */
async function freshControlPlane(dir: string): Promise<ControlPlane> {
  const cp = await startControlPlane({ dir, log: () => undefined });
  try {
    await setUp(cp);
  } catch (e: unknown) {
    await cp.stop();
    throw e;
  }
  return cp;
}

/** Newest first: what `undo` registers runs in reverse on a signal, and here once the run ends. */
async function withCleanup<T>(undo: () => Promise<void>, body: () => Promise<T>): Promise<T> {
  cleanups.push(undo);
  try {
    return await body();
  } finally {
    cleanups.pop();
    await undo();
  }
}

async function runScenario(opts: RunOptions): Promise<ScenarioResult> {
  const { scenario } = opts;
  const runs: Record<SystemName, Figures[]> = { "metallb-ts": [], MetalLB: [] };
  for (let round = 0; round < opts.rounds; round++) {
    for (const name of SYSTEMS) {
      const tag = `${scenario.id}-${name === "MetalLB" ? "metallb" : "ts"}-${String(round + 1)}`;
      const logDir = join(opts.dir, "logs", tag);
      await mkdir(logDir, { recursive: true });
      log(`${scenario.title}: ${name}, run ${String(round + 1)} of ${String(opts.rounds)}`);
      const t0 = performance.now();
      const cp = await freshControlPlane(join(opts.dir, `cp-${tag}`));
      log(`  fresh control plane in ${String(round2((performance.now() - t0) / 1000))} s`);
      const figures = await withCleanup(
        () => cp.stop(),
        () => oneRun({ ...opts, cp, name, tag, logDir }),
      );
      runs[name].push(figures);
      log(
        `  ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round2(v)])))}`,
      );
      const errors = await errorLines(logDir);
      if (errors.length > 0) {
        errorLog[tag] = { count: errors.length, kinds: errorKinds(errors) };
        log(`  ${String(errors.length)} error lines logged: ${errorKinds(errors).join(" | ")}`);
      }
    }
  }
  const pooled = scenario.pooled?.();
  return pooled === undefined ? { scenario, runs } : { scenario, runs, pooled };
}

/** One system's run of a scenario on `cp`: the scenario's own setUp (its LAN), the system, the measurement. */
async function oneRun(
  opts: RunOptions & { cp: ControlPlane; name: SystemName; tag: string; logDir: string },
): Promise<Figures> {
  const { cp, scenario } = opts;
  const namespace = `vs-${opts.tag}`;
  const lbClass = `bench.metallb.io/${opts.tag}`;
  await kubectlAt(cp, ["create", "namespace", namespace]);
  const undoSetUp =
    (await scenario.setUp?.({ cp, metallbSpeaker: opts.metallbSpeaker, log })) ??
    (() => Promise.resolve());
  return withCleanup(undoSetUp, async () => {
    const system = await startSystem(opts.name, {
      cp,
      ca: await readFile(cp.caCert),
      lbClass,
      logDir: opts.logDir,
      metallbController: opts.metallbController,
    });
    return withCleanup(
      () => system.stop(),
      () => {
        const kc = loadKubeConfig(cp.kubeconfig);
        const core = kc.makeApiClient(CoreV1Api);
        return scenario.run(
          { kc, core, namespace, lbClass, quick: opts.quick, logDir: opts.logDir, log },
          system,
        );
      },
    );
  });
}

/** Error-level lines the run's processes logged (MetalLB: go-kit JSON; metallb-ts: pino level ≥ 50). */
async function errorLines(logDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const f of await readdir(logDir)) {
    const text = await readFile(join(logDir, f), "utf8");
    for (const line of text.split("\n")) {
      if (/"level":"error"|"level":(5|6)\d/.test(line)) found.push(`${f}: ${line}`);
    }
  }
  return found;
}

const errorLog: Record<string, { count: number; kinds: string[] }> = {};

/** Distinct error messages (the go-kit/zap "error" field, else pino's "msg"), shortened. */
function errorKinds(lines: readonly string[]): string[] {
  const kinds = new Set<string>();
  for (const line of lines) {
    const m =
      /"error":"((?:[^"\\]|\\.){0,120})/.exec(line) ?? /"msg":"((?:[^"\\]|\\.){0,120})/.exec(line);
    kinds.add((m?.[1] ?? line.slice(0, 120)).replace(/\\"/g, '"'));
  }
  return [...kinds].slice(0, 5);
}

function round2(v: number): number {
  return round(v, 2);
}

function zeroViolations(results: readonly ScenarioResult[]): string[] {
  return results.flatMap((res) =>
    rows(res).flatMap((r) =>
      (res.scenario.mustBeZero ?? []).includes(r.figure) && (r.ours !== 0 || r.theirs !== 0)
        ? [
            `${res.scenario.title} ${r.figure}: metallb-ts ${r.ours}, MetalLB ${r.theirs} (must be 0)`,
          ]
        : [],
    ),
  );
}

export default async function vsMetallbBench(args: readonly string[]): Promise<void> {
  const opts = parseArgs(args);
  const started = performance.now();
  const load = loadavg()[0] ?? Number.NaN;
  const bins = await ensureMetallbBinaries(log);
  log(`MetalLB ${bins.version}: ${bins.controller}, ${bins.speaker}`);
  const dir = await mkdtemp(join(tmpdir(), "metallb-ts-vs-metallb-"));
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
  const results: ScenarioResult[] = [];
  try {
    const scenarios = SCENARIOS.filter((s) => opts.only === undefined || s.id === opts.only);
    for (const scenario of scenarios) {
      results.push(
        await runScenario({
          scenario,
          quick: opts.quick,
          rounds: opts.rounds,
          dir,
          metallbController: bins.controller,
          metallbSpeaker: bins.speaker,
        }),
      );
    }
  } finally {
    if (opts.keepLogs) {
      const kept = join(tmpdir(), `vs-metallb-logs-${process.pid}`);
      await rename(join(dir, "logs"), kept).catch(() => undefined);
      log(`process logs kept in ${kept}`);
    }
    await rm(dir, { recursive: true, force: true });
  }
  const totalMinutes = (performance.now() - started) / 60_000;
  const versions = await pinnedVersions();
  const metallbAssignedAll = results.every((res) =>
    res.runs.MetalLB.every(
      (f) => (f.without_status ?? 0) === 0 && (f.restart_without_status ?? 0) === 0,
    ),
  );
  const errorNote = Object.entries(errorLog)
    .map(([tag, e]) => `${tag}: ${e.count} (${e.kinds.map((k) => `"${k}"`).join("; ")})`)
    .join(", ");
  const crdNote = `Both run against metallb-ts's CRDs (a superset of MetalLB's kinds), applied unchanged: ${
    metallbAssignedAll
      ? "MetalLB's controller read the IPAddressPool and gave every Service an IP with them, which is the compatibility check."
      : "**MetalLB's controller left Services without an IP with them** (see without_status)."
  } Error-level log lines per run: ${errorNote === "" ? "none" : errorNote}.`;
  for (const res of results) {
    console.log(`\n${res.scenario.title}${opts.quick ? " (quick)" : ""}\n${markdownTable(res)}`);
  }
  const violations = zeroViolations(results);
  for (const v of violations) console.log(`NOT ZERO: ${v}`);
  printJsonLine("vs-metallb", {
    quick: opts.quick,
    rounds: opts.rounds,
    metallb: METALLB_VERSION,
    kubernetes: versions.kubernetes,
    minutes: round2(totalMinutes),
    machine: await machine(load),
    violations,
    error_logs: errorLog,
    scenarios: Object.fromEntries(
      results.map((res) => [
        res.scenario.id,
        Object.fromEntries(
          rows(res).map((r) => [
            r.figure,
            { metallb_ts: round2(r.ours), metallb: round2(r.theirs), ratio: round2(r.ratio) },
          ]),
        ),
      ]),
    ),
  });
  if (opts.writeDoc) {
    const section = docSection({
      results,
      machine: await machine(load),
      date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
      versions: `${METALLB_VERSION} (controller and speaker built from the Go module proxy), Kubernetes ${versions.kubernetes}`,
      crdNote,
      totalMinutes,
      quick: opts.quick,
      rounds: opts.rounds,
    });
    log(`wrote ${await writeDocSection(section)}`);
  }
}
