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

/** What a rule reports: a Problem without its severity, which the sink's method sets. */
export type Finding = Omit<Problem, "severity">;

/** Collects problems for one object, so rules read as one call each. */
export class ProblemSink {
  readonly problems: Problem[] = [];

  error(finding: Finding): void {
    this.add("error", finding);
  }

  warning(finding: Finding): void {
    this.add("warning", finding);
  }

  // Every field spelled out (related too, even when undefined), so a Problem
  // keeps one shape and key order whichever rule reported it.
  private add(severity: Problem["severity"], f: Finding): void {
    const { code, object, field, message, related } = f;
    this.problems.push({ severity, code, object, field, message, related });
  }
}
