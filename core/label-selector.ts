// Kubernetes label selectors (metav1.LabelSelector): matching and checking.
// Pure; used by validation (pool selectors), the allocator (namespace and
// Service selectors) and the speakers (node selectors).
import type { LabelSelector } from "./api/schema-building-blocks.ts";

export type Labels = Readonly<Record<string, string>>;

const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

/** True when every requirement holds; an empty selector matches everything. */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case "NotIn":
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A list of selectors is an OR; an empty list matches everything. */
export function anySelectorMatches(
  selectors: readonly LabelSelector[] | undefined,
  labels: Labels,
): boolean {
  if (selectors === undefined || selectors.length === 0) return true;
  return selectors.some((s) => selectorMatches(s, labels));
}

// RFC 1123 label-ish rules the API server applies to label keys and values
// (apimachinery validation.IsQualifiedName / IsValidLabelValue).
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key "${key}" has an invalid prefix`;
  }
  if (name.length > 63 || !NAME_PART.test(name)) return `"${key}" is not a valid label key`;
  return undefined;
}

function labelValueProblem(value: string): string | undefined {
  return value === "" || (value.length <= 63 && NAME_PART.test(value))
    ? undefined
    : `"${value}" is not a valid label value`;
}

/** What is wrong with a selector, as field-relative messages ("matchExpressions[0].operator: …"). */
export function selectorProblems(selector: LabelSelector): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    const keyProblem = labelKeyProblem(k);
    if (keyProblem !== undefined) out.push({ field: `matchLabels`, message: keyProblem });
    const valueProblem = labelValueProblem(v);
    if (valueProblem !== undefined) out.push({ field: `matchLabels.${k}`, message: valueProblem });
  }
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const at = `matchExpressions[${i}]`;
    const keyProblem = labelKeyProblem(req.key);
    if (keyProblem !== undefined) out.push({ field: `${at}.key`, message: keyProblem });
    const values = req.values ?? [];
    if (!(OPERATORS as readonly string[]).includes(req.operator)) {
      out.push({
        field: `${at}.operator`,
        message: `"${req.operator}" is not a valid selector operator (In, NotIn, Exists, DoesNotExist)`,
      });
    } else if ((req.operator === "In" || req.operator === "NotIn") && values.length === 0) {
      out.push({
        field: `${at}.values`,
        message: `must be non-empty when operator is ${req.operator}`,
      });
    } else if ((req.operator === "Exists" || req.operator === "DoesNotExist") && values.length) {
      out.push({
        field: `${at}.values`,
        message: `must be empty when operator is ${req.operator}`,
      });
    }
    values.forEach((v, j) => {
      const p = labelValueProblem(v);
      if (p !== undefined) out.push({ field: `${at}.values[${j}]`, message: p });
    });
    if (new Set(values).size !== values.length) {
      out.push({
        field: `${at}.values`,
        message: `duplicate definition of match expression value in label selector`,
      });
    }
  });
  return out;
}

/** Canonical text of a selector, to find duplicates regardless of order (as MetalLB does). */
export function selectorKey(selector: LabelSelector): string {
  const labels = Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const exprs = (selector.matchExpressions ?? [])
    .map((e) => `${e.key} ${e.operator} ${[...(e.values ?? [])].sort().join(",")}`)
    .sort();
  return JSON.stringify([labels, exprs]);
}
