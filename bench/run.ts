// Bench dispatcher: `node --expose-gc bench/run.ts NAME [args…]` runs the
// default export of bench/NAME-bench.ts with the remaining arguments.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const [name, ...args] = process.argv.slice(2);

if (name === undefined || !/^[a-z0-9][a-z0-9-]*$/.test(name)) {
  console.error("usage: node --expose-gc bench/run.ts NAME [args…]   (runs bench/NAME-bench.ts)");
  process.exit(2);
}

// The compile cache warmed first, as the container image has it: a component
// started right after a source edit otherwise loads Node's TypeScript
// stripper (about 10 MB of RSS, found in a speaker's heap snapshot) and the
// memory figures measure that instead (ADR 0001, bin/metallb-ts.js).
execFileSync(
  process.execPath,
  [join(import.meta.dirname, "..", "scripts", "warm-compile-cache.js")],
  {
    stdio: "inherit",
  },
);

const loaded = (await import(`./${name}-bench.ts`)) as { default?: unknown };
if (typeof loaded.default !== "function") {
  console.error(`bench/${name}-bench.ts has no default export to run`);
  process.exit(2);
}
await (loaded.default as (args: readonly string[]) => unknown)(args);
