// `npm run bench -- vs-metallb [--quick] [--scenario=ID] [--write-doc] [--keep-logs]`: metallb-ts side by
// side with MetalLB v0.16.1 (built from the Go module proxy), on one local
// control plane, the same pool, each scenario run A B A B. Prints a table per
// scenario and one JSON line; a full run (not --quick, or with --write-doc)
// rewrites the vs-metallb section of BENCHMARKS.md. BENCH_QUICK=1 = --quick.
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { API_GROUP } from "../core/api/kinds.ts";
import { allCrds } from "../core/api/crd-manifests.ts";
import { loadKubeConfig } from "../core/kube/kube-config.ts";
import { pinnedVersions } from "../test/control-plane/binaries.ts";
import { kubectlAt, startControlPlane, type ControlPlane } from "../test/control-plane/cluster.ts";
import { printJsonLine, round } from "./bench-stats.ts";
import { L2_POOL } from "./vs-metallb/l2-lab.ts";
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

const ROUNDS = 2; // A B A B
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

/** Our CRDs (a superset of MetalLB's kinds), the pool, and the Pod MetalLB looks itself up as. */
async function setUp(cp: ControlPlane): Promise<void> {
  await kubectlAt(
    cp,
    ["apply", "--server-side", "-f", "-"],
    allCrds()
      .map((c) => stringify(c))
      .join("---\n"),
  );
  await kubectlAt(cp, ["wait", "--for=condition=established", "--timeout=60s", "crd", "--all"]);
  await kubectlAt(cp, ["create", "namespace", METALLB_NAMESPACE]);
  const meta = (name: string) => ({ name, namespace: METALLB_NAMESPACE });
  await apply(cp, {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: meta("bench"),
    spec: { addresses: [POOL] },
  });
  // Only the pools scenarios 1–4 use: scenario 5's BGP pools must not be
  // announced over Layer 2 too (10,000 gratuitous ARPs from each speaker).
  await apply(cp, {
    apiVersion: "metallb.io/v1beta1",
    kind: "L2Advertisement",
    metadata: meta("bench"),
    spec: { ipAddressPools: ["bench", L2_POOL] },
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

/**
 * Deletes a run's Services (32 deletes in flight: the namespace controller
 * alone deletes them one at a time), then the namespace, waiting until it is
 * gone, and every IPAddressClaim: the next run starts from the same state.
 */
async function tearDownRun(cp: ControlPlane, namespace: string): Promise<number> {
  const t0 = performance.now();
  const core = loadKubeConfig(cp.kubeconfig).makeApiClient(CoreV1Api);
  const names = (await core.listNamespacedService({ namespace })).items.map(
    (s) => s.metadata?.name ?? "",
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = next++; i < names.length; i = next++) {
        // A timed-out delete is left to the namespace deletion below.
        await core
          .deleteNamespacedService({ name: names[i] ?? "", namespace })
          .catch(() => undefined);
      }
    }),
  );
  await kubectlAt(cp, ["delete", "namespace", namespace, "--wait=true", "--timeout=600s"]);
  const objects = loadKubeConfig(cp.kubeconfig).makeApiClient(CustomObjectsApi);
  await objects.deleteCollectionNamespacedCustomObject({
    group: API_GROUP,
    version: "v1beta1",
    namespace: METALLB_NAMESPACE,
    plural: "ipaddressclaims",
  });
  return (performance.now() - t0) / 1000;
}

interface BenchOptions {
  readonly quick: boolean;
  readonly writeDoc: boolean;
  readonly only: string | undefined;
  readonly keepLogs: boolean;
}

function parseArgs(args: readonly string[]): BenchOptions {
  const quick = args.includes("--quick") || process.env.BENCH_QUICK === "1";
  const only = args.find((a) => a.startsWith("--scenario="))?.slice("--scenario=".length);
  return {
    quick,
    writeDoc: args.includes("--write-doc") || (!quick && only === undefined),
    only,
    keepLogs: args.includes("--keep-logs"),
  };
}

interface RunOptions {
  cp: ControlPlane;
  scenario: Scenario;
  quick: boolean;
  ca: Buffer;
  dir: string;
  metallbController: string;
  metallbSpeaker: string;
}

/** The scenario's runs, between its own setUp and undo (if it has them). */
async function runScenario(opts: RunOptions): Promise<ScenarioResult> {
  const undo = await opts.scenario.setUp?.({
    cp: opts.cp,
    metallbSpeaker: opts.metallbSpeaker,
    log,
  });
  if (undo === undefined) return runRounds(opts);
  cleanups.push(undo);
  try {
    return await runRounds(opts);
  } finally {
    cleanups.pop();
    await undo();
  }
}

async function runRounds(opts: RunOptions): Promise<ScenarioResult> {
  const { cp, scenario } = opts;
  const kc = loadKubeConfig(cp.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const runs: Record<SystemName, Figures[]> = { "metallb-ts": [], MetalLB: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of SYSTEMS) {
      const tag = `${scenario.id}-${name === "MetalLB" ? "metallb" : "ts"}-${round + 1}`;
      const namespace = `vs-${tag}`;
      const lbClass = `bench.metallb.io/${tag}`;
      const logDir = join(opts.dir, "logs", tag);
      await mkdir(logDir, { recursive: true });
      await kubectlAt(cp, ["create", "namespace", namespace]);
      log(`${scenario.title}: ${name}, run ${round + 1} of ${ROUNDS} (namespace ${namespace})`);
      const system = await startSystem(name, {
        cp,
        ca: opts.ca,
        lbClass,
        logDir,
        metallbController: opts.metallbController,
      });
      cleanups.push(() => system.stop());
      try {
        const figures = await scenario.run(
          { kc, core, namespace, lbClass, quick: opts.quick, logDir, log },
          system,
        );
        runs[name].push(figures);
        log(
          `  ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round2(v)])))}`,
        );
      } finally {
        cleanups.pop();
        await system.stop();
      }
      const errors = await errorLines(logDir);
      if (errors.length > 0) {
        errorLog[tag] = { count: errors.length, kinds: errorKinds(errors) };
        log(`  ${errors.length} error lines logged: ${errorKinds(errors).join(" | ")}`);
      }
      const s = await tearDownRun(cp, namespace);
      log(`  torn down in ${round2(s)} s`);
    }
  }
  return { scenario, runs };
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
  const cp = await startControlPlane({ dir, log: () => undefined });
  cleanups.push(() => cp.stop());
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
  const results: ScenarioResult[] = [];
  try {
    await setUp(cp);
    const ca = await readFile(cp.caCert);
    const scenarios = SCENARIOS.filter((s) => opts.only === undefined || s.id === opts.only);
    for (const scenario of scenarios) {
      results.push(
        await runScenario({
          cp,
          scenario,
          quick: opts.quick,
          ca,
          dir,
          metallbController: bins.controller,
          metallbSpeaker: bins.speaker,
        }),
      );
    }
  } finally {
    await cp.stop();
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
    });
    log(`wrote ${await writeDocSection(section)}`);
  }
}
