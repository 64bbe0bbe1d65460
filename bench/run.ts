// Bench dispatcher: `node --expose-gc bench/run.ts NAME [args…]` runs the
// default export of bench/NAME-bench.ts with the remaining arguments.
const [name, ...args] = process.argv.slice(2);

if (name === undefined || !/^[a-z0-9][a-z0-9-]*$/.test(name)) {
  console.error("usage: node --expose-gc bench/run.ts NAME [args…]   (runs bench/NAME-bench.ts)");
  process.exit(2);
}

const loaded = (await import(`./${name}-bench.ts`)) as { default?: unknown };
if (typeof loaded.default !== "function") {
  console.error(`bench/${name}-bench.ts has no default export to run`);
  process.exit(2);
}
await (loaded.default as (args: readonly string[]) => unknown)(args);
