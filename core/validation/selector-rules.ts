// Checks shared by every kind with label selectors and name lists.
import type { LabelSelector } from "../api/schema-building-blocks.ts";
import { selectorKey, selectorProblems } from "../label-selector.ts";
import type { ObjectRef, ProblemSink } from "./problem.ts";

export function checkSelectors(
  sink: ProblemSink,
  object: ObjectRef,
  field: string,
  selectors: readonly LabelSelector[] | undefined,
): void {
  const seen = new Map<string, number>();
  (selectors ?? []).forEach((selector, i) => {
    for (const p of selectorProblems(selector)) {
      sink.error({
        object,
        code: "SELECTOR_INVALID",
        field: `${field}[${i}].${p.field}`,
        message: p.message,
      });
    }
    const key = selectorKey(selector);
    const first = seen.get(key);
    if (first !== undefined) {
      sink.error({
        object,
        code: "DUPLICATE_ENTRY",
        field: `${field}[${i}]`,
        message: `duplicate definition of ${field.split(".").pop() ?? field}: same selector as ${field}[${first}]`,
      });
    } else seen.set(key, i);
  });
}

export function checkNoDuplicates(
  sink: ProblemSink,
  object: ObjectRef,
  field: string,
  values: readonly string[] | undefined,
): void {
  const seen = new Map<string, number>();
  (values ?? []).forEach((v, i) => {
    const first = seen.get(v);
    if (first !== undefined) {
      sink.error({
        object,
        code: "DUPLICATE_ENTRY",
        field: `${field}[${i}]`,
        message: `duplicate definition of ${field.split(".").pop() ?? field} "${v}" (also ${field}[${first}])`,
      });
    } else seen.set(v, i);
  });
}
