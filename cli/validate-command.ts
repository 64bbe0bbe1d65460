// `metallb-ts validate -f FILE|DIR …`: the webhook's rules, offline.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { DEFAULT_NAMESPACE } from "../core/api/kinds.ts";
import type { KubeObject } from "../core/api/schema-building-blocks.ts";
import { errorText } from "../core/errors.ts";
import {
  isMetallbObject,
  validateManifests,
  type SourcedObject,
  type SourcedProblem,
} from "../core/validation/validate-manifests.ts";

const MANIFEST = /\.(ya?ml|json)$/;

async function expand(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && MANIFEST.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function objectsIn(value: unknown): KubeObject[] {
  if (value === null || typeof value !== "object") return [];
  const o = value as Partial<KubeObject> & { items?: unknown[] };
  if (typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray(o.items)) {
    return o.items.flatMap(objectsIn);
  }
  return isMetallbObject(o) && typeof o.kind === "string"
    ? [{ ...o, metadata: o.metadata ?? {} } as KubeObject]
    : [];
}

export interface FileLoad {
  readonly docs: SourcedObject[];
  readonly unreadable: { file: string; message: string }[];
}

export async function loadManifests(paths: readonly string[]): Promise<FileLoad> {
  const load: FileLoad = { docs: [], unreadable: [] };
  for (const path of paths) await loadPath(path, load);
  return load;
}

/** A file, or every manifest under a directory; what cannot be read goes to `unreadable`. */
async function loadPath(path: string, load: FileLoad): Promise<void> {
  let files: string[];
  try {
    files = await expand(path);
  } catch (e: unknown) {
    load.unreadable.push({ file: path, message: errorText(e) });
    return;
  }
  for (const file of files) {
    try {
      await loadFile(file, load.docs);
    } catch (e: unknown) {
      load.unreadable.push({ file, message: errorText(e) });
    }
  }
}

/** Pushes as it parses, so the documents before a broken one in a file still count. */
async function loadFile(file: string, docs: SourcedObject[]): Promise<void> {
  for (const doc of parseAllDocuments(await readFile(file, "utf8"))) {
    if (doc.errors.length > 0) throw doc.errors[0] ?? new Error("invalid YAML");
    for (const object of objectsIn(doc.toJS())) docs.push({ source: file, object });
  }
}

export function formatSourced(p: SourcedProblem): string {
  const severity = p.severity === "warning" ? "warning: " : "";
  return `${p.source}: ${p.object.kind}/${p.object.name}: ${p.field}: ${severity}${p.message} [${p.code}]`;
}

interface ValidateFlags {
  filename: string[];
  namespace: string;
}

export function validateCommand(): Command {
  return new Command("validate")
    .description(
      "Check metallb.io manifests offline with the webhook's rules (schema, CEL, overlaps, references). Prints one line per problem as 'file: kind/name: field: message [CODE]'; exits 1 if any is an error. Warnings go to stderr.",
    )
    .requiredOption(
      "-f, --filename <path...>",
      "YAML/JSON files or directories (searched recursively); other kinds in them are ignored",
    )
    .option("--namespace <name>", "the MetalLB namespace objects must be in", DEFAULT_NAMESPACE)
    .action(async (flags: ValidateFlags) => {
      const { docs, unreadable } = await loadManifests(flags.filename);
      let failed = unreadable.length > 0;
      for (const u of unreadable)
        console.log(`${u.file}: ${u.message.replace(/:?\n[\s\S]*$/, "")} [MANIFEST_UNREADABLE]`);
      for (const p of validateManifests(docs, flags.namespace)) {
        if (p.severity === "error") {
          failed = true;
          console.log(formatSourced(p));
        } else console.error(formatSourced(p));
      }
      process.exitCode = failed ? 1 : 0;
    });
}
