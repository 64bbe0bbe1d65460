// Fills the compile cache bin/metallb-ts.js uses, by importing every module
// a component loads, without starting any: the container image runs this at
// build time so no process in the cluster loads Node's TypeScript stripper
// (about 25 MB of RSS each). The cache is keyed by absolute path, content and
// Node version, so it must run where and with the Node the image runs.
//
//   node scripts/warm-compile-cache.js [DIR]   (default: .cache/node-compile-cache)
import { execFileSync } from "node:child_process";
import { constants, enableCompileCache, flushCompileCache } from "node:module";

const dir = process.argv[2] ?? new URL("../.cache/node-compile-cache", import.meta.url).pathname;
const { status, message } = enableCompileCache(dir);
if (
  status === constants.compileCacheStatus.FAILED ||
  status === constants.compileCacheStatus.DISABLED
) {
  throw new Error(`compile cache in ${dir}: ${message ?? "disabled"}`);
}

const entryPoints = [
  "../cli/main.ts",
  "../webhook/command.ts",
  "../webhook/run-webhook.ts",
  "../webhook/self-managed-tls.ts",
  "../reconciler/command.ts",
  "../reconciler/run.ts",
  "../speaker/command.ts",
  "../speaker/run-speaker.ts",
  "../cli/manifest-files.ts",
  "../core/validation/validate-manifests.ts",
];
for (const module of entryPoints) await import(module);
flushCompileCache();
// The executable itself, which has side effects, in a process of its own.
execFileSync(
  process.execPath,
  [new URL("../bin/metallb-ts.js", import.meta.url).pathname, "--help"],
  {
    env: { ...process.env, NODE_COMPILE_CACHE: dir },
    stdio: "ignore",
  },
);
console.log(`compile cache warmed in ${dir} (${String(entryPoints.length)} entry points)`);
