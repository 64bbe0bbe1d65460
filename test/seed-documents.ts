// Kubernetes manifests quoted in the seed documents (/work/shared/seeds:
// read-only markdown/text guides about MetalLB). Each fenced code block is a
// separate example: ```yaml blocks as they are (indented fences dedented), and
// the here-documents of shell blocks (`kubectl apply -f - <<'EOF' … EOF`).
// Blocks often mix MetalLB objects with Services, Deployments and other kinds;
// callers pick what they need (metallbDocuments(), serviceDocuments()).
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

/** The seeds live beside the repository: /work/shared/seeds for /work/main. */
export const SEEDS_DIR = fileURLToPath(new URL("../../shared/seeds/", import.meta.url));

export interface SeedManifest {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface SeedBlock {
  /** Absolute path of the seed document. */
  readonly file: string;
  /** 1-based line of the opening fence (or of the here-document's first line). */
  readonly line: number;
  /** The fence's info string: "yaml", "bash", "" … */
  readonly language: string;
  /** The YAML text of the block (dedented; only the here-document for shell blocks). */
  readonly text: string;
  /** Every document of the block that is a Kubernetes object (apiVersion and kind). */
  readonly documents: readonly SeedManifest[];
  /** YAML errors; a block with errors has no documents. */
  readonly errors: readonly string[];
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const SHELL = new Set(["bash", "sh", "shell", "console", "zsh", "shell-session"]);
const YAMLISH = new Set(["yaml", "yml", "json", ""]);
// `<<EOF`, `<<'EOF'`, `<< "EOF"`, `<<-EOF`
const HEREDOC = /<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/;

interface RawBlock {
  line: number;
  language: string;
  text: string;
}

function dedent(lines: readonly string[], indent: number): string {
  return lines.map((l) => (l.slice(0, indent).trim() === "" ? l.slice(indent) : l)).join("\n");
}

/** A closing fence: the opening fence's character, at least as many times, nothing else. */
function closes(line: string, fence: string): boolean {
  const t = line.trim();
  return t.length >= fence.length && t === (fence[0] ?? "`").repeat(t.length);
}

/** Fenced blocks, with shell blocks replaced by their here-documents. */
function rawBlocks(markdown: string): RawBlock[] {
  const lines = markdown.split(/\r?\n/);
  const out: RawBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? "");
    if (open === null) continue;
    const indent = open[1]?.length ?? 0;
    const fence = open[2] ?? "```";
    const language = (open[3] ?? "").toLowerCase();
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? "";
      if (closes(l, fence)) break;
      body.push(l);
    }
    const text = dedent(body, indent);
    if (SHELL.has(language)) out.push(...hereDocuments(text, i + 2));
    else if (YAMLISH.has(language)) out.push({ line: i + 1, language, text });
    i = j;
  }
  return out;
}

function hereDocuments(script: string, firstLine: number): RawBlock[] {
  const lines = script.split("\n");
  const out: RawBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = HEREDOC.exec(lines[i] ?? "");
    if (m === null) continue;
    const stripTabs = m[1] === "-";
    const delimiter = m[3] ?? "EOF";
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? "";
      if ((stripTabs ? l.replace(/^\t+/, "") : l).trim() === delimiter) break;
      body.push(stripTabs ? l.replace(/^\t+/, "") : l);
    }
    out.push({ line: firstLine + i + 1, language: "heredoc", text: body.join("\n") });
    i = j;
  }
  return out;
}

function isManifest(value: unknown): value is SeedManifest {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  return typeof o.apiVersion === "string" && typeof o.kind === "string";
}

/** The code blocks of one seed document that hold at least one Kubernetes object. */
export function extractBlocks(markdown: string, file: string): SeedBlock[] {
  const blocks: SeedBlock[] = [];
  for (const raw of rawBlocks(markdown)) {
    if (!/^\s*apiVersion\s*:/m.test(raw.text) && !/"apiVersion"\s*:/.test(raw.text)) continue;
    const parsed = parseAllDocuments(raw.text);
    const errors = parsed.flatMap((d) => d.errors.map((e) => e.message));
    const documents = errors.length > 0 ? [] : parsed.map((d) => d.toJS() as unknown);
    blocks.push({
      file,
      line: raw.line,
      language: raw.language,
      text: raw.text,
      documents: documents
        .filter(isManifest)
        .map((m) => ({ ...m, metadata: (m as Partial<SeedManifest>).metadata ?? {} })),
      errors,
    });
  }
  return blocks;
}

/** The seed documents, sorted by name. */
export function seedFiles(dir: string = SEEDS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(txt|md|markdown)$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export function readSeed(file: string): SeedBlock[] {
  return extractBlocks(readFileSync(file, "utf8"), file);
}

/** `000_114aa320109266e5.txt:163` */
export function blockLabel(block: Pick<SeedBlock, "file" | "line">): string {
  return `${basename(block.file)}:${block.line}`;
}

export function isMetallbDocument(doc: { apiVersion: string }): boolean {
  return doc.apiVersion.startsWith("metallb.io/");
}

/** The blocks that hold MetalLB configuration, each narrowed to its metallb.io documents. */
export function metallbDocuments(blocks: readonly SeedBlock[]): SeedBlock[] {
  return blocks
    .map((b) => ({ ...b, documents: b.documents.filter(isMetallbDocument) }))
    .filter((b) => b.documents.length > 0);
}

/** The blocks that hold core/v1 Services, each narrowed to them. */
export function serviceDocuments(blocks: readonly SeedBlock[]): SeedBlock[] {
  return blocks
    .map((b) => ({
      ...b,
      documents: b.documents.filter((d) => d.apiVersion === "v1" && d.kind === "Service"),
    }))
    .filter((b) => b.documents.length > 0);
}

// Values a guide leaves for the reader to fill in: <your-ip>, ${POOL}, 10.0.x.x,
// CHANGE_ME, REPLACE…
const PLACEHOLDER =
  /<[^<>\s][^<>]*>|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*\b|\b\d{1,3}(\.(\d{1,3}|x|X|\*)){0,2}\.(x|X|\*)\b|CHANGE[_-]?ME|REPLACE[_-]?ME|\bTODO\b/;

/** Every string value in a document that looks like a placeholder, with its path. */
export function placeholders(value: unknown, path = ""): { path: string; value: string }[] {
  if (typeof value === "string") return PLACEHOLDER.test(value) ? [{ path, value }] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => placeholders(v, `${path}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) =>
      placeholders(v, path === "" ? k : `${path}.${k}`),
    );
  }
  return [];
}
