// cert-manager's CRDs at a pinned version, for `kubectl apply --dry-run=server`
// of the cert-manager overlay. Taken from the cert-manager Go module through
// the Go module proxy (the only registry that carries them), from
// deploy/crds/crd-*.yaml. Those files are Helm templates whose template
// directives sit in YAML comments, except the labels: those are dropped.
// Cached in .cache/cert-manager/<version>/crds.yaml.
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments, stringify } from "yaml";
import { repoRoot } from "../control-plane/binaries.ts";

export const CERT_MANAGER_VERSION = "v1.18.2";
const MODULE = "github.com/cert-manager/cert-manager";

const run = promisify(execFile);

async function moduleDir(): Promise<string> {
  const { stdout } = await run(
    "go",
    ["mod", "download", "-json", `${MODULE}@${CERT_MANAGER_VERSION}`],
    {
      // Outside any module: `go mod download` of a module path needs no go.mod.
      cwd: repoRoot,
      env: { ...process.env, GOFLAGS: "-mod=mod", GO111MODULE: "on" },
      maxBuffer: 1 << 20,
    },
  );
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (info.Dir === undefined) {
    throw new Error(`go mod download ${MODULE}@${CERT_MANAGER_VERSION}: ${info.Error ?? stdout}`);
  }
  return info.Dir;
}

/** The CRDs as one YAML stream, plain (no Helm labels). */
export function plainCrds(templated: readonly string[]): string {
  return templated
    .flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as unknown))
    .filter(
      (o): o is { kind: string; metadata: Record<string, unknown> } =>
        typeof o === "object" &&
        o !== null &&
        (o as { kind?: unknown }).kind === "CustomResourceDefinition",
    )
    .map((crd) => {
      const { labels: _helm, ...metadata } = crd.metadata;
      return stringify({ ...crd, metadata }, { lineWidth: 0 });
    })
    .join("---\n");
}

/** Path of the cached crds.yaml, downloading once. */
export async function certManagerCrds(): Promise<string> {
  const dir = join(repoRoot, ".cache", "cert-manager", CERT_MANAGER_VERSION);
  const file = join(dir, "crds.yaml");
  const cached = await readFile(file, "utf8").catch(() => undefined);
  if (cached !== undefined && cached.length > 0) return file;
  const crdDir = join(await moduleDir(), "deploy", "crds");
  const names = (await readdir(crdDir)).filter((n) => /^crd-.*\.yaml$/.test(n)).sort();
  const texts = await Promise.all(names.map((n) => readFile(join(crdDir, n), "utf8")));
  await mkdir(dir, { recursive: true });
  await writeFile(`${file}.tmp`, plainCrds(texts));
  await rename(`${file}.tmp`, file);
  return file;
}
