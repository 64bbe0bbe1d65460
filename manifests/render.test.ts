// The committed manifests are the rendered ones: a schema change without
// `npm run generate` fails here, naming the stale file.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderManifests } from "./render.ts";

describe("committed manifests", () => {
  for (const [file, text] of renderManifests()) {
    it(`manifests/${file} is what npm run generate writes`, async () => {
      const committed = await readFile(join(import.meta.dirname, file), "utf8").catch(() => "");
      expect(committed, `manifests/${file} is stale: run npm run generate`).toBe(text);
    });
  }
});
