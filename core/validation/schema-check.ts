// Offline schema check: what the API server would refuse before any webhook
// runs (types, required fields, ranges, unknown fields under kubectl's strict
// field validation, and the CRD's CEL rules through their TypeScript twins).
import type { TSchema } from "typebox";
import { Compile } from "typebox/compile";
import { API_GROUP, isMetallbKind, KINDS, type VersionDefinition } from "../api/kinds.ts";
import { CEL_RULES, type KubeObject } from "../api/schema-building-blocks.ts";
import type { CelRule } from "../api/cel-rule.ts";
import { refOf, type Problem } from "./problem.ts";

/** Deep copy with additionalProperties: false on every plain object schema. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = strict(v);
  if (
    out.type === "object" &&
    out.properties !== undefined &&
    out.patternProperties === undefined
  ) {
    out.additionalProperties = false;
  }
  return out;
}

type Checker = ReturnType<typeof Compile>;
const checkers = new Map<TSchema, Checker>();

function checkerFor(schema: TSchema): Checker {
  let checker = checkers.get(schema);
  if (checker === undefined) {
    checker = Compile(strict(schema) as TSchema);
    checkers.set(schema, checker);
  }
  return checker;
}

/** "/spec/addresses/0" → "spec.addresses[0]" */
function fieldOf(pointer: string): string {
  return pointer
    .split("/")
    .filter((p) => p !== "")
    .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc === "" ? p : `${acc}.${p}`), "");
}

export function versionOf(obj: {
  apiVersion: string;
  kind: string;
}): VersionDefinition | undefined {
  const [group, version] = obj.apiVersion.split("/");
  if (group !== API_GROUP || !isMetallbKind(obj.kind)) return undefined;
  return KINDS[obj.kind].versions.find((v) => v.name === version);
}

type SchemaError = ReturnType<Checker["Errors"]>[number];
type ReportError = (code: Problem["code"], field: string, message: string) => void;

export function checkSchema(obj: KubeObject): Problem[] {
  const ref = refOf(obj);
  const version = versionOf(obj);
  const problems: Problem[] = [];
  const error: ReportError = (code, field, message) => {
    problems.push({ severity: "error", code, object: ref, field, message });
  };
  if (version === undefined) {
    error("SCHEMA", "apiVersion", `"${obj.apiVersion}" does not serve kind ${obj.kind}`);
    return problems;
  }
  checkRequired(obj, version, error);
  if (obj.spec === undefined) return problems;
  for (const e of checkerFor(version.spec).Errors(obj.spec)) reportSchemaError(e, obj.spec, error);
  // The rules' TypeScript twins assume a spec of the schema's shape.
  if (problems.length > 0) return problems;
  checkCelRules(version, obj.spec, error);
  return problems;
}

function checkRequired(obj: KubeObject, version: VersionDefinition, error: ReportError): void {
  const unnamed = obj.metadata.name === undefined || obj.metadata.name === "";
  if (unnamed && obj.metadata.generateName === undefined) {
    error("SCHEMA", "metadata.name", "is required");
  }
  if (obj.spec === undefined && version.specRequired) error("SCHEMA", "spec", "is required");
}

function reportSchemaError(e: SchemaError, spec: unknown, error: ReportError): void {
  // TypeBox also reports each unknown field as "schema is false"; the additionalProperties error names it.
  if (e.keyword === "boolean" && e.schemaPath.endsWith("/additionalProperties")) return;
  const base = fieldOf(`/spec${e.instancePath}`);
  if (e.keyword === "additionalProperties") {
    const names = (e.params as { additionalProperties?: string[] }).additionalProperties ?? [];
    for (const name of names) {
      error("UNKNOWN_FIELD", `${base}.${name}`, `unknown field "${name}"`);
    }
  } else if (e.keyword === "required") {
    const names = (e.params as { requiredProperties?: string[] }).requiredProperties ?? [];
    for (const name of names) error("SCHEMA", `${base}.${name}`, "Required value");
  } else {
    error("SCHEMA", base, `${e.message}, got ${JSON.stringify(valueAt(spec, e.instancePath))}`);
  }
}

function checkCelRules(version: VersionDefinition, spec: unknown, error: ReportError): void {
  const rules = (version.spec as { [CEL_RULES]?: readonly CelRule<unknown>[] })[CEL_RULES] ?? [];
  for (const rule of rules) {
    if (rule.holds !== undefined && !rule.holds(spec)) {
      error(rule.code, `spec${rule.fieldPath ?? ""}`, rule.message);
    }
  }
}

function valueAt(root: unknown, pointer: string): unknown {
  let at: unknown = root;
  for (const part of pointer.split("/").filter((p) => p !== "")) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[part.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return at;
}
