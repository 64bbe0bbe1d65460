#!/usr/bin/env node
// The one executable. Node 24 runs the TypeScript sources directly.
//
// Node strips types with amaro, a WebAssembly build of swc that costs about
// 25 MB of RSS and 200 ms per process. The compile cache keeps the stripped
// and compiled code, so once it is warm amaro is never loaded (issue 5: the
// speaker's memory target). Its directory is NODE_COMPILE_CACHE when set,
// else .cache/ in the checkout; the container image ships one warmed at
// build time (scripts/warm-compile-cache.js). A cache that cannot be written
// (read-only filesystem) only costs the saving.
import { enableCompileCache } from "node:module";

enableCompileCache(
  process.env.NODE_COMPILE_CACHE ??
    new URL("../.cache/node-compile-cache", import.meta.url).pathname,
);
// A dynamic import: a static one would be loaded before the cache is enabled.
const { main } = await import("../cli/main.ts");
await main(process.argv);
