// `npm run lab -- up|status|report|down`: the whole system on one machine
// (README's first command). Needs root (network namespaces). Progress goes
// to stderr, the report and instructions to stdout.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { formatReport, kubectlFor, waitForReport } from "./lab-report.ts";
import { labProcesses, readLabState, teardownLab, type LabState } from "./lab-state.ts";
import { labUp } from "./lab-up.ts";
import { Lan, planHosts } from "./topology.ts";

const defaultDir = "/tmp/metallb-ts-lab";
const defaultName = "mlab";
const command = "npm run lab --";

const help = `usage: ${command} [up|status|report|down] [options]

  up (default)  build/find the control-plane binaries, start the control plane,
                a LAN of network namespaces (nodes n1 n2 n3, client, FRR router
                rtr), the webhook (2 replicas), the reconciler and one speaker
                per node; apply an example configuration (L2 and BGP), create
                three demo Services, and report who announces each address and
                what curl from the client gets. Everything keeps running.
  status        the recorded processes (running or not), then the report
  report        probe again and print the report
  down          stop every process the lab started, delete its namespaces,
                stop the control plane and remove the lab directory

options:
  --dir DIR     lab directory: state, configs, logs (default ${defaultDir})
  --name NAME   namespace prefix, [a-z][a-z0-9]{0,11} (default ${defaultName}: ${defaultName}-n1, ${defaultName}-client, …)
  -h, --help    this text

Needs root (ip netns), iproute2, FRR, arping, ndisc6 and curl (see .ci/run).
`;

const progress = (line: string): void => {
  process.stderr.write(line + "\n");
};
const out = (text: string): void => {
  process.stdout.write(text);
};

function lanOf(state: LabState): Lan {
  const hosts = planHosts(state.name, { nodes: state.nodes, client: true, router: true });
  return new Lan(state.name, state.dir, hosts, true);
}

async function report(state: LabState, waitMs: number): Promise<number> {
  if (state.kubeconfig === undefined || state.kubectl === undefined) {
    progress(`the lab in ${state.dir} never got as far as a control plane`);
    return 1;
  }
  const r = await waitForReport(
    lanOf(state),
    kubectlFor(state.kubectl, state.kubeconfig),
    join(state.dir, "frr-rtr"),
    waitMs,
  );
  out(formatReport(r));
  return r.ok ? 0 : 1;
}

async function status(state: LabState): Promise<number> {
  const procs = await labProcesses(state);
  for (const p of procs) {
    progress(
      `${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${p.alive ? "running    " : "NOT running"} ${p.log}`,
    );
  }
  const code = await report(state, 0);
  return procs.every((p) => p.alive) ? code : 1;
}

/** `up` where a lab is recorded already: report on a running one, clean a dead one. */
async function existing(dir: string): Promise<number | undefined> {
  const state = await readLabState(dir);
  if (!state) return undefined;
  const procs = await labProcesses(state);
  if (procs.length > 0 && procs.every((p) => p.alive)) {
    progress(`a lab is already running in ${dir}; its report:`);
    return report(state, 10_000);
  }
  if (procs.some((p) => p.alive)) {
    progress(`a partly running lab is recorded in ${dir}; run '${command} down' first`);
    return 1;
  }
  progress(`removing the remains of a stopped lab in ${dir}`);
  for (const line of await teardownLab(dir)) progress(`  ${line}`);
  return undefined;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      dir: { type: "string", default: defaultDir },
      name: { type: "string", default: defaultName },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    out(help);
    return 0;
  }
  const [cmd = "up", ...extra] = positionals;
  if (extra.length > 0) {
    progress(`unexpected arguments: ${extra.join(" ")}\n\n${help}`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    progress("the lab needs root: it creates network namespaces (run it as root, e.g. with sudo)");
    return 1;
  }
  const dir = values.dir;
  switch (cmd) {
    case "up": {
      const code = await existing(dir);
      if (code !== undefined) return code;
      return labUp({ dir, name: values.name, progress, out, command });
    }
    case "down": {
      const lines = await teardownLab(dir);
      if (lines.length === 0) progress(`nothing recorded in ${dir}: nothing to stop`);
      for (const line of lines) progress(line);
      return 0;
    }
    case "status":
    case "report": {
      const state = await readLabState(dir);
      if (!state) {
        progress(`no lab in ${dir} (start one with: ${command} up)`);
        return 1;
      }
      return cmd === "status" ? status(state) : report(state, 0);
    }
    default:
      progress(`unknown command '${cmd}'\n\n${help}`);
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    progress(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  },
);
