// bin/metallb-ts.js runs on Node's compile cache, so a warm process never
// loads the TypeScript stripper (issue 5's memory target); the image warms it
// at build time with scripts/warm-compile-cache.js.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const REPO = join(import.meta.dirname, "..");
const dirs: string[] = [];

async function cacheDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "compile-cache-"));
  dirs.push(dir);
  return dir;
}

/** Cache entries, over Node's per-version subdirectories. */
async function entries(dir: string): Promise<string[]> {
  const files = await readdir(dir, { recursive: true, withFileTypes: true });
  return files.filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name));
}

function help(dir: string) {
  return run(process.execPath, [join(REPO, "bin/metallb-ts.js"), "--help"], {
    env: { ...process.env, NODE_COMPILE_CACHE: dir },
  });
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe("compile cache", () => {
  it("is filled by the executable's first run", async () => {
    const dir = await cacheDir();
    const { stdout } = await help(dir);
    expect(stdout).toContain("speaker");
    expect((await entries(dir)).length).toBeGreaterThan(10);
  });

  it("once warmed by the script, covers every module the executable loads", async () => {
    const dir = await cacheDir();
    await run(process.execPath, [join(REPO, "scripts/warm-compile-cache.js"), dir]);
    const warmed = (await entries(dir)).sort();
    await help(dir);
    expect((await entries(dir)).sort()).toEqual(warmed);
  });
});
