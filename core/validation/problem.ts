// A validation finding: which object, which field, what value, what it
// conflicts with, and a stable code. Webhooks deny on errors and pass
// warnings to kubectl; `metallb-ts validate` prints one line per problem.
import type { ProblemCode } from "./problem-codes.ts";

export interface ObjectRef {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string | undefined;
}

export interface Problem {
  readonly severity: "error" | "warning";
  readonly code: ProblemCode;
  readonly object: ObjectRef;
  /** Path of the field, e.g. "spec.addresses[1]". */
  readonly field: string;
  /** Human text naming the value and, where there is one, the conflicting object. */
  readonly message: string;
  readonly related?: ObjectRef | undefined;
}

export function refOf(obj: {
  kind: string;
  metadata: { name?: string | undefined; namespace?: string | undefined };
}): ObjectRef {
  return { kind: obj.kind, name: obj.metadata.name ?? "", namespace: obj.metadata.namespace };
}

export function sameRef(a: ObjectRef, b: ObjectRef): boolean {
  return a.kind === b.kind && a.name === b.name;
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} "${ref.name}"`;
}

/** `IPAddressPool/pool-a: spec.addresses[1]: … [POOL_OVERLAP]` */
export function formatProblem(p: Problem): string {
  const prefix = p.severity === "warning" ? "warning: " : "";
  return `${prefix}${p.object.kind}/${p.object.name}: ${p.field}: ${p.message} [${p.code}]`;
}

/** Collects problems for one object, so rules read as one line each. */
export class ProblemSink {
  readonly problems: Problem[] = [];

  error(object: ObjectRef, code: ProblemCode, field: string, message: string, related?: ObjectRef) {
    this.problems.push({ severity: "error", code, object, field, message, related });
  }

  warning(
    object: ObjectRef,
    code: ProblemCode,
    field: string,
    message: string,
    related?: ObjectRef,
  ) {
    this.problems.push({ severity: "warning", code, object, field, message, related });
  }
}
