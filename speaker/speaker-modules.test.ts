// What a speaker process loads: the executable's command line and the
// speaker's run module, nothing of the other components. Each package kept
// out here cost the speaker megabytes of RSS (docs/adr/0009-speaker-memory.md):
// typebox and every CRD schema (kinds.ts), the YAML parser, the validators,
// client-node's generated API, and Node's own bundled undici (which an ES
// import of node:http loads).
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const REPO = join(import.meta.dirname, "..");

interface Loaded {
  /** Our modules and packages, relative to the repository. */
  readonly files: string[];
  /** Node's own modules (process.moduleLoadList). */
  readonly builtins: string[];
}

/** What a fresh process loads while importing `entries`. */
async function modulesLoadedBy(entries: readonly string[]): Promise<Loaded> {
  const script = `
    import { registerHooks } from "node:module";
    const seen = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const result = next(specifier, context);
        seen.add(result.url);
        return result;
      },
    });
    for (const entry of ${JSON.stringify(entries)}) await import(entry);
    console.log(JSON.stringify({ urls: [...seen], builtins: process.moduleLoadList }));
  `;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script]);
  const { urls, builtins } = JSON.parse(stdout) as { urls: string[]; builtins: string[] };
  const prefix = `file://${REPO}/`;
  const files = urls.filter((url) => url.startsWith(prefix)).map((url) => url.slice(prefix.length));
  return { files, builtins };
}

describe("the speaker's modules", () => {
  it("include no schema library, YAML parser, validator, client-node or undici", async () => {
    const { files: loaded, builtins } = await modulesLoadedBy([
      join(REPO, "cli/main.ts"),
      join(REPO, "speaker/run-speaker.ts"),
    ]);
    // The probe sees the speaker's own modules, so an empty list cannot pass.
    expect(loaded).toContain("speaker/layer2/arp-codec.ts");
    const unwanted = loaded.filter((m) =>
      /node_modules\/(typebox|yaml|@kubernetes\/client-node)\/|core\/api\/kinds\.ts|core\/validation\/validate-manifests\.ts/.test(
        m,
      ),
    );
    expect(unwanted).toEqual([]);
    expect(builtins).toContain("NativeModule net");
    expect(builtins.filter((m) => m.includes("undici"))).toEqual([]);
  });
});
