// Reading manifest files for `metallb-ts validate`: YAML and JSON files or
// directories, every metallb.io object in them, and the problems the
// webhook's rules find, one line each. Loaded only when the command runs
// (validate-command.ts): the schemas and the YAML parser are not the other
// components' business (issue 5: the speaker's memory).
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../core/api/schema-building-blocks.ts";
import { errorText } from "../core/errors.ts";
import {
  isMetallbObject,
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
