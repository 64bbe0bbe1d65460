// Builds (once) the real control-plane binaries the cluster tests run against:
// kube-apiserver, kube-controller-manager, kubectl and etcd, from the Go module
// in ./go-build. Nothing in the Debian or npm world ships kube-apiserver, so Go
// is the only way to get it (see /work/shared/notes/test-infra.md §3).
//
// The output is cached under <repo>/.cache/control-plane/<key>/bin/, with the
// key taken from the versions pinned in go-build/go.mod, so changing a version
// there is the only thing that triggers a rebuild.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, constants, mkdir, readFile, rename, rm } from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";

export interface ControlPlaneBinaries {
  kubeApiserver: string;
  etcd: string;
  kubectl: string;
  kubeControllerManager: string;
}

export interface EnsureBinariesOptions {
  log?: (line: string) => void;
}

export const goBuildDir = join(import.meta.dirname, "go-build");
export const repoRoot = resolve(import.meta.dirname, "..", "..");

// Binary name -> Go package, relative to go-build/. etcd comes from the local
// main package because `go install` refuses etcd's module (replace directives).
const targets = {
  kubeApiserver: { file: "kube-apiserver", pkg: "k8s.io/kubernetes/cmd/kube-apiserver" },
  kubeControllerManager: {
    file: "kube-controller-manager",
    pkg: "k8s.io/kubernetes/cmd/kube-controller-manager",
  },
  kubectl: { file: "kubectl", pkg: "k8s.io/kubernetes/cmd/kubectl" },
  etcd: { file: "etcd", pkg: "./cmd/etcd" },
} as const satisfies Record<keyof ControlPlaneBinaries, { file: string; pkg: string }>;

export interface PinnedVersions {
  kubernetes: string;
  etcd: string;
}

/** Reads the k8s.io/kubernetes and etcd server versions that go.mod requires. */
export function parseGoModVersions(goMod: string): PinnedVersions {
  const find = (module: string): string => {
    // Matches both `require mod vX` and a line inside a `require ( … )` block.
    const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    const m = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v[0-9][^\\s]*)`, "m").exec(goMod);
    if (!m?.[1]) throw new Error(`go.mod in ${goBuildDir} does not require ${module}`);
    return m[1];
  };
  return { kubernetes: find("k8s.io/kubernetes"), etcd: find("go.etcd.io/etcd/server/v3") };
}

export async function pinnedVersions(): Promise<PinnedVersions> {
  return parseGoModVersions(await readFile(join(goBuildDir, "go.mod"), "utf8"));
}

export function cacheKey(v: PinnedVersions): string {
  return `k8s-${v.kubernetes}-etcd-${v.etcd}`;
}

/**
 * The -X flags Kubernetes' own build (hack/lib/version.sh) sets. Without them
 * a module build reports gitVersion "v0.0.0-master+$Format:%H$", which breaks
 * /version, kubectl's version-skew logic and anything reading the server version.
 */
function versionLdflags(kubernetes: string): string[] {
  const m = /^v(\d+)\.(\d+)\./.exec(kubernetes);
  if (!m?.[1] || !m[2]) throw new Error(`unexpected Kubernetes version ${kubernetes}`);
  const vars: Record<string, string> = {
    gitVersion: kubernetes,
    gitMajor: m[1],
    gitMinor: m[2],
    gitTreeState: "clean",
  };
  const flags: string[] = [];
  for (const pkg of ["k8s.io/client-go/pkg/version", "k8s.io/component-base/version"]) {
    for (const [k, v] of Object.entries(vars)) flags.push(`-X ${pkg}.${k}=${v}`);
  }
  return flags;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function binPaths(binDir: string): ControlPlaneBinaries {
  return {
    kubeApiserver: join(binDir, targets.kubeApiserver.file),
    etcd: join(binDir, targets.etcd.file),
    kubectl: join(binDir, targets.kubectl.file),
    kubeControllerManager: join(binDir, targets.kubeControllerManager.file),
  };
}

// Lines `go build -v` prints for each package it compiles: a bare import path.
const packageLine = /^[\w.~-]+(\/[\w.~+-]+)*$/;

/**
 * `$GO` if set, else `go` from PATH, else the official tarball's location:
 * npm scripts and CI shells often lack /usr/local/go/bin on PATH.
 */
async function findGo(): Promise<string> {
  const fromEnv = process.env["GO"];
  if (fromEnv) return fromEnv;
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir && (await isExecutable(join(dir, "go")))) return "go";
  }
  return (await isExecutable("/usr/local/go/bin/go")) ? "/usr/local/go/bin/go" : "go";
}

async function goBuild(outDir: string, pkgs: string[], ldflags: string, log: (l: string) => void) {
  const go = await findGo();
  const args = ["build", "-v", "-trimpath", `-ldflags=${ldflags}`, "-o", outDir + "/", ...pkgs];
  const shown = `cd ${goBuildDir} && CGO_ENABLED=0 ${go} ${args.map(quote).join(" ")}`;
  log(`building ${pkgs.join(", ")}`);
  log(`  ${shown}`);
  const started = Date.now();
  const errLines: string[] = [];
  let compiled = 0;
  let lastPkg = "";
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(go, args, {
      cwd: goBuildDir,
      env: { ...process.env, CGO_ENABLED: "0" },
      stdio: ["ignore", "inherit", "pipe"],
    });
    // A cold build takes minutes; a line every 15 s shows it is alive.
    const ticker = setInterval(() => {
      const s = Math.round((Date.now() - started) / 1000);
      log(`  … ${s}s, ${compiled} packages compiled${lastPkg ? `, last ${lastPkg}` : ""}`);
    }, 15_000);
    let partial = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (packageLine.test(line)) {
          compiled++;
          lastPkg = line;
        } else if (line.trim()) {
          errLines.push(line);
          if (errLines.length > 60) errLines.shift();
        }
      }
    });
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearInterval(ticker);
      const why =
        e.code === "ENOENT"
          ? `\`${go}\` was not found (Go >= 1.26 is needed: put it on PATH or set GO=/path/to/go)`
          : e.message;
      reject(new Error(`cannot run: ${shown}\n${why}`, { cause: e }));
    });
    child.on("close", (code, signal) => {
      clearInterval(ticker);
      if (partial && !packageLine.test(partial)) errLines.push(partial);
      if (code === 0) {
        resolvePromise();
        return;
      }
      const tail = errLines.slice(-40).join("\n");
      reject(
        new Error(
          `go build failed (${signal ?? `exit ${code}`}): ${shown}\n--- stderr (tail) ---\n${tail}`,
        ),
      );
    });
  });
  log(`  built in ${((Date.now() - started) / 1000).toFixed(1)}s (${compiled} packages compiled)`);
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * Returns absolute paths of the four binaries, building whatever is missing.
 * Safe to call from several processes at once: each builds into its own temp
 * directory and renames finished binaries into place, so a reader never sees a
 * half-written file.
 */
export async function ensureControlPlaneBinaries(
  opts: EnsureBinariesOptions = {},
): Promise<ControlPlaneBinaries> {
  const log = opts.log ?? (() => undefined);
  const versions = await pinnedVersions();
  const keyDir = join(repoRoot, ".cache", "control-plane", cacheKey(versions));
  const binDir = join(keyDir, "bin");
  const bins = binPaths(binDir);

  const names = Object.keys(targets) as (keyof ControlPlaneBinaries)[];
  const present = await Promise.all(names.map((k) => isExecutable(bins[k])));
  const toBuild = names.filter((_, i) => !present[i]);
  if (toBuild.length === 0) {
    log(`control-plane binaries: cached in ${binDir}`);
    return bins;
  }

  await mkdir(binDir, { recursive: true });
  const tmp = join(keyDir, `build-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(tmp);
  try {
    const ldflags = ["-s", "-w", ...versionLdflags(versions.kubernetes)].join(" ");
    await goBuild(
      tmp,
      toBuild.map((k) => targets[k].pkg),
      ldflags,
      log,
    );
    for (const k of toBuild) {
      // rename(2) within one filesystem is atomic.
      await rename(join(tmp, targets[k].file), bins[k]);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  log(`control-plane binaries (${cacheKey(versions)}) in ${binDir}`);
  return bins;
}
