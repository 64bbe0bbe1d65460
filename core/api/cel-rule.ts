// A CEL rule (x-kubernetes-validations) together with the same rule in
// TypeScript. The API server runs the CEL; `metallb-ts validate` runs `holds`
// offline, so both reject the same objects with the same message and code.
import type { ProblemCode } from "../validation/problem-codes.ts";

export interface CelRule<Self> {
  readonly code: ProblemCode;
  /** CEL over `self` (and `oldSelf` for transition rules). */
  readonly rule: string;
  readonly message: string;
  /** Field the rule is about, relative to the schema node it sits on (".holdTime"). */
  readonly fieldPath?: string;
  /** Transition rules (using oldSelf) only run on UPDATE; offline checks skip them. */
  readonly transition?: true;
  /** TypeScript twin of `rule`; undefined for transition rules. */
  readonly holds?: (self: Self) => boolean;
}

/** The CRD form of a rule list. */
export function celToCrd(
  rules: readonly CelRule<never>[],
): { rule: string; message: string; fieldPath?: string }[] {
  return rules.map(({ rule, message, fieldPath }) =>
    fieldPath === undefined ? { rule, message } : { rule, message, fieldPath },
  );
}
