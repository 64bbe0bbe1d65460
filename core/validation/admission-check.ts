// What the validating webhook decides for one request, as a pure function of
// the request and the objects already in the API (MetalLB's webhooks do the
// same: list the existing objects, swap in the new one, parse the whole set).
import { convertBGPPeer } from "../api/bgp-peer-conversion.ts";
import type { BGPPeerSpecV1beta2 } from "../api/bgp-peer.ts";
import { isMetallbKind, type ConfigKind } from "../api/kinds.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import { CONFIG_SET_FIELD, type ConfigSet } from "./config-set.ts";
import { describeRef, refOf, sameRef, type ObjectRef, type Problem } from "./problem.ts";
import { validateConfigSet } from "./validate-config-set.ts";

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface AdmissionInput {
  readonly operation: Operation;
  readonly object?: KubeObject | undefined;
  readonly oldObject?: KubeObject | undefined;
  /** The configuration as the API holds it now (BGPPeers in v1beta2 form). */
  readonly existing: ConfigSet;
  readonly metallbNamespace: string;
}

export interface AdmissionVerdict {
  readonly errors: readonly Problem[];
  readonly warnings: readonly Problem[];
}

const ALLOW: AdmissionVerdict = { errors: [], warnings: [] };

export function asV1beta2Peer(obj: KubeObject): KubeObject<BGPPeerSpecV1beta2> {
  return (
    obj.apiVersion.endsWith("/v1beta1") ? convertBGPPeer(obj as never, "metallb.io/v1beta2") : obj
  ) as KubeObject<BGPPeerSpecV1beta2>;
}

export function checkAdmission(input: AdmissionInput): AdmissionVerdict {
  const subject = input.object ?? input.oldObject;
  if (subject === undefined || !isMetallbKind(subject.kind)) return ALLOW;
  const ref = refOf(subject);
  if (input.operation === "DELETE") return checkDelete(ref, input.existing);
  if (input.object === undefined) return ALLOW;
  const errors = namespaceErrors(input, input.object, ref);
  if (!(subject.kind in CONFIG_SET_FIELD)) return { errors, warnings: [] };
  const related = problemsAbout(input.existing, input.object, ref);
  return {
    errors: [...errors, ...related.filter((p) => p.severity === "error")],
    warnings: related.filter((p) => p.severity === "warning"),
  };
}

/** Objects are created in the MetalLB namespace; an update cannot move them. */
function namespaceErrors(input: AdmissionInput, object: KubeObject, ref: ObjectRef): Problem[] {
  if (input.operation !== "CREATE" || object.metadata.namespace === input.metallbNamespace) {
    return [];
  }
  return [
    {
      severity: "error",
      code: "WRONG_NAMESPACE",
      object: ref,
      field: "metadata.namespace",
      message: `resource must be created in ${input.metallbNamespace} namespace, not "${object.metadata.namespace ?? ""}"`,
    },
  ];
}

/** Every problem of the set with `object` admitted that names `object` (as subject or as related). */
function problemsAbout(existing: ConfigSet, object: KubeObject, ref: ObjectRef): Problem[] {
  const kind = object.kind as ConfigKind;
  const candidate = kind === "BGPPeer" ? asV1beta2Peer(object) : object;
  const set = withObject(existing, kind, candidate);
  return validateConfigSet(set).filter(
    (p) => sameRef(p.object, ref) || (p.related !== undefined && sameRef(p.related, ref)),
  );
}

/** The set with `obj` in place of its namesake (UPDATE) or added (CREATE). */
export function withObject(set: ConfigSet, kind: ConfigKind, obj: KubeObject): ConfigSet {
  const field = CONFIG_SET_FIELD[kind];
  const others = (set[field] as readonly KubeObject[]).filter(
    (o) => o.metadata.name !== obj.metadata.name,
  );
  return { ...set, [field]: [...others, obj] };
}

function checkDelete(ref: ObjectRef, existing: ConfigSet): AdmissionVerdict {
  if (ref.kind !== "BFDProfile") return ALLOW;
  const users = existing.peers.filter((p) => p.spec?.bfdProfile === ref.name);
  return {
    errors: users.map((peer) => ({
      severity: "error",
      code: "BFD_PROFILE_IN_USE",
      object: ref,
      field: "metadata.name",
      message: `failed to delete BFDProfile "${ref.name}", used by ${describeRef(refOf(peer))} (spec.bfdProfile)`,
      related: refOf(peer),
    })),
    warnings: [],
  };
}
