// `npm run cluster -- up|down|status|build`: the test control plane by hand,
// for debugging a suite or poking at the API with kubectl. `up` leaves the
// processes running after this CLI exits; `down` stops exactly those (by the
// PIDs recorded in state.json).
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureControlPlaneBinaries, repoRoot } from "./binaries.ts";
import {
  readState,
  readyz,
  runningProcesses,
  startControlPlane,
  stopControlPlaneFromState,
} from "./cluster.ts";

const defaultDir = join(repoRoot, ".cache", "cluster");
const defaultPort = 6443;

const help = `usage: npm run cluster -- <command> [options]

commands:
  up       build/find the binaries, start etcd, kube-apiserver and
           kube-controller-manager on 127.0.0.1, and print
           'export KUBECONFIG=…' on stdout (progress goes to stderr).
           The processes keep running after this command returns.
  down     stop exactly the processes 'up' started (PIDs from state.json)
           and delete the etcd data.
  status   show the recorded processes and the apiserver's /readyz.
  build    only build (or find cached) binaries and print their paths.

options:
  --dir DIR    working directory for certificates, logs and state.json
               (default ${defaultDir})
  --port PORT  kube-apiserver port on 127.0.0.1 for 'up' (default ${defaultPort})
  -h, --help   this text
`;

const err = (line: string): void => {
  process.stderr.write(line + "\n");
};

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      dir: { type: "string", default: defaultDir },
      port: { type: "string", default: String(defaultPort) },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [command, ...extra] = positionals;
  if (values.help || !command) {
    process.stdout.write(help);
    return values.help ? 0 : 2;
  }
  if (extra.length > 0) {
    err(`unexpected arguments: ${extra.join(" ")}\n\n${help}`);
    return 2;
  }
  const dir = values.dir;

  switch (command) {
    case "build": {
      const bins = await ensureControlPlaneBinaries({ log: err });
      for (const [name, path] of Object.entries(bins)) process.stdout.write(`${name}\t${path}\n`);
      return 0;
    }
    case "up": {
      const port = Number(values.port);
      if (!Number.isInteger(port) || port <= 0 || port > 65535) {
        err(`--port must be a TCP port number, got ${values.port}`);
        return 2;
      }
      const existing = await readState(dir);
      if (existing) {
        const procs = await runningProcesses(existing);
        if (
          procs.every((p) => p.alive) &&
          (await readyz(existing).catch(() => undefined))?.status === 200
        ) {
          err(`already running from ${dir} (${existing.server})`);
          process.stdout.write(`export KUBECONFIG=${existing.kubeconfig}\n`);
          return 0;
        }
        // Part of it died: starting again would fail on the live rest, so say what to do.
        if (procs.some((p) => p.alive)) {
          err(
            `a partly running control plane is recorded in ${dir}; run 'npm run cluster -- down' first`,
          );
          return 1;
        }
      }
      const started = Date.now();
      const cp = await startControlPlane({ dir, apiserverPort: port, detached: true, log: err });
      err(`control plane up in ${((Date.now() - started) / 1000).toFixed(1)}s; logs in ${dir}`);
      err(`stop it with: npm run cluster -- down${dir === defaultDir ? "" : ` --dir ${dir}`}`);
      process.stdout.write(`export KUBECONFIG=${cp.kubeconfig}\n`);
      return 0;
    }
    case "down": {
      const report = await stopControlPlaneFromState(dir);
      if (!report) {
        err(`nothing recorded in ${dir} (no state.json): nothing to stop`);
        return 0;
      }
      for (const line of report) err(line);
      return 0;
    }
    case "status": {
      const state = await readState(dir);
      if (!state) {
        err(`not running (no state.json in ${dir})`);
        return 1;
      }
      for (const { process: p, alive } of await runningProcesses(state)) {
        err(
          `${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${alive ? "running" : "NOT running"}  log ${p.log}`,
        );
      }
      try {
        const res = await readyz(state);
        err(`${state.server}/readyz: HTTP ${res.status}`);
        process.stdout.write(res.body.endsWith("\n") ? res.body : res.body + "\n");
        return res.status === 200 ? 0 : 1;
      } catch (e) {
        err(`${state.server}/readyz: ${(e as Error).message}`);
        return 1;
      }
    }
    default:
      err(`unknown command '${command}'\n\n${help}`);
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    err(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  },
);
