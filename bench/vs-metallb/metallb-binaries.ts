// Builds (once) MetalLB's own controller and speaker from the Go module proxy,
// for the side-by-side bench. `go install module/pkg@version` builds exactly
// what the module's go.mod pins (v0.16.1 has no replace directives, so no
// wrapper module is needed), at `nice -n 19` because the machine is shared.
//
// Cached under <repo>/.cache/metallb/<version>/bin/, with MetalLB's CRDs from
// the same module version copied to <repo>/.cache/metallb/<version>/crds/.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, constants, copyFile, mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "../../test/control-plane/binaries.ts";

export const METALLB_MODULE = "go.universe.tf/metallb";
export const METALLB_VERSION = "v0.16.1";

export interface MetallbBinaries {
  readonly version: string;
  readonly controller: string;
  readonly speaker: string;
  /** MetalLB's CRD manifests (config/crd/bases of the same module version). */
  readonly crdFiles: readonly string[];
}

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

async function findGo(): Promise<string> {
  if (process.env.GO) return process.env.GO;
  return (await exists("/usr/local/go/bin/go", constants.X_OK)) ? "/usr/local/go/bin/go" : "go";
}

function run(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  log: (l: string) => void,
): Promise<string> {
  const shown = `${cmd} ${args.join(" ")}`;
  log(`  ${shown}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      err = (err + c).slice(-8000);
    });
    child.on("error", (e) => {
      reject(new Error(`cannot run ${shown}: ${e.message}`, { cause: e }));
    });
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${shown} failed (exit ${code}):\n${err}`));
    });
  });
}

/** `go mod download -json` of MetalLB: its source directory and the tag's commit. */
async function downloadModule(
  go: string,
  env: NodeJS.ProcessEnv,
  log: (l: string) => void,
): Promise<{ dir: string; commit: string }> {
  const json = await run(
    go,
    ["mod", "download", "-json", `${METALLB_MODULE}@${METALLB_VERSION}`],
    env,
    log,
  );
  const info = JSON.parse(json) as { Dir?: string; Error?: string; Origin?: { Hash?: string } };
  if (info.Dir === undefined) {
    throw new Error(`go mod download ${METALLB_MODULE}@${METALLB_VERSION}: ${info.Error ?? json}`);
  }
  return { dir: info.Dir, commit: info.Origin?.Hash ?? "unknown" };
}

async function copyCrds(moduleDir: string, crdDir: string): Promise<void> {
  const src = join(moduleDir, "config", "crd", "bases");
  await mkdir(crdDir, { recursive: true });
  for (const f of (await readdir(src)).filter((n) => n.endsWith(".yaml"))) {
    await copyFile(join(src, f), join(crdDir, f));
  }
}

/** Paths of MetalLB's controller and speaker binaries and CRDs, building what is missing. */
export async function ensureMetallbBinaries(
  log: (l: string) => void = () => undefined,
): Promise<MetallbBinaries> {
  const root = join(repoRoot, ".cache", "metallb", METALLB_VERSION);
  const binDir = join(root, "bin");
  const crdDir = join(root, "crds");
  const controller = join(binDir, "controller");
  const speaker = join(binDir, "speaker");
  const ready =
    (await exists(controller, constants.X_OK)) &&
    (await exists(speaker, constants.X_OK)) &&
    (await exists(crdDir));
  if (!ready) {
    const go = await findGo();
    // -mod=mod: GOFLAGS from the environment must not force vendoring.
    const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod" };
    log(`building MetalLB ${METALLB_VERSION} controller and speaker from the Go module proxy`);
    const mod = await downloadModule(go, env, log);
    await mkdir(binDir, { recursive: true });
    const tmp = join(root, `build-${process.pid}-${randomBytes(4).toString("hex")}`);
    await mkdir(tmp);
    try {
      const v = `${METALLB_MODULE}/internal/version`;
      const ldflags = `-s -w -X ${v}.version=${METALLB_VERSION} -X ${v}.gitCommit=${mod.commit} -X ${v}.gitBranch=${METALLB_VERSION}`;
      const started = Date.now();
      await run(
        "nice",
        [
          "-n",
          "19",
          go,
          "install",
          "-trimpath",
          `-ldflags=${ldflags}`,
          `${METALLB_MODULE}/controller@${METALLB_VERSION}`,
          `${METALLB_MODULE}/speaker@${METALLB_VERSION}`,
        ],
        { ...env, GOBIN: tmp, GOFLAGS: "" },
        log,
      );
      log(`  built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await rename(join(tmp, "controller"), controller);
      await rename(join(tmp, "speaker"), speaker);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    await copyCrds(mod.dir, crdDir);
  }
  const crdFiles = (await readdir(crdDir))
    .filter((n) => n.endsWith(".yaml"))
    .map((n) => join(crdDir, n));
  return { version: METALLB_VERSION, controller, speaker, crdFiles };
}
