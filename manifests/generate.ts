// `npm run generate`: writes the rendered manifests (manifests/render.ts).
// `npm run generate -- --check` only reports stale files and exits 1.
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { renderManifests } from "./render.ts";

const root = import.meta.dirname;
const check = process.argv.includes("--check");
let stale = 0;
for (const [file, text] of renderManifests()) {
  const path = join(root, file);
  const current = await readFile(path, "utf8").catch(() => undefined);
  if (current === text) continue;
  stale++;
  if (check) {
    console.error(`stale: manifests/${file}`);
  } else {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    console.error(`wrote manifests/${file}`);
  }
}
if (check && stale > 0) process.exitCode = 1;
