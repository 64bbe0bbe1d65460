// Offline validation of a whole set of manifests (GitOps pipelines): what the
// API server's schema and CEL would refuse, then every webhook rule, over the
// set as if it were applied to an empty MetalLB namespace.
import { API_GROUP, isMetallbKind, type ConfigKind } from "../api/kinds.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import { asV1beta2Peer, withObject } from "./admission-check.ts";
import { CONFIG_SET_FIELD, EMPTY_CONFIG_SET, type ConfigSet } from "./config-set.ts";
import { refOf, type ObjectRef, type Problem } from "./problem.ts";
import { checkSchema } from "./schema-check.ts";
import { validateConfigSet } from "./validate-config-set.ts";

export interface SourcedObject {
  /** Where the object came from (a file name), for messages. */
  readonly source: string;
  readonly object: KubeObject;
}

export interface SourcedProblem extends Problem {
  readonly source: string;
}

export function isMetallbObject(o: { apiVersion?: unknown }): boolean {
  return typeof o.apiVersion === "string" && o.apiVersion.startsWith(`${API_GROUP}/`);
}

export function validateManifests(
  docs: readonly SourcedObject[],
  metallbNamespace: string,
): SourcedProblem[] {
  const out: SourcedProblem[] = [];
  const sourceOf = new Map<string, string>();
  let set: ConfigSet = EMPTY_CONFIG_SET;
  for (const { source, object } of docs) {
    const ref = refOf(object);
    const key = `${object.kind}/${ref.name}`;
    const add = (p: Problem) => out.push({ ...p, source });
    const schemaProblems = checkSchema(object);
    schemaProblems.forEach(add);
    const nsProblem = namespaceProblem(ref, object.metadata.namespace, metallbNamespace);
    if (nsProblem !== undefined) add(nsProblem);
    const earlier = sourceOf.get(key);
    if (earlier !== undefined) {
      add({
        severity: "error",
        code: "DUPLICATE_NAME",
        object: ref,
        field: "metadata.name",
        message: `${object.kind} "${ref.name}" is also defined in ${earlier}`,
      });
      continue;
    }
    sourceOf.set(key, source);
    if (schemaProblems.length > 0 || !isMetallbKind(object.kind)) continue;
    if (!(object.kind in CONFIG_SET_FIELD)) continue;
    const kind = object.kind as ConfigKind;
    set = withObject(set, kind, kind === "BGPPeer" ? asV1beta2Peer(object) : object);
  }
  for (const p of validateConfigSet(set)) {
    out.push({ ...p, source: sourceOf.get(`${p.object.kind}/${p.object.name}`) ?? "" });
  }
  return out;
}

/** Offline, an unset namespace is only a warning: `kubectl apply -n` may still set it right. */
function namespaceProblem(
  ref: ObjectRef,
  ns: string | undefined,
  metallbNamespace: string,
): Problem | undefined {
  if (ns === undefined) {
    return {
      severity: "warning",
      code: "NAMESPACE_UNSET",
      object: ref,
      field: "metadata.namespace",
      message: `not set; apply it with -n ${metallbNamespace}`,
    };
  }
  if (ns === metallbNamespace) return undefined;
  return {
    severity: "error",
    code: "WRONG_NAMESPACE",
    object: ref,
    field: "metadata.namespace",
    message: `resource must be created in ${metallbNamespace} namespace, not "${ns}"`,
  };
}
