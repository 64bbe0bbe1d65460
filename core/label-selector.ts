// Kubernetes label selectors (metav1.LabelSelector): matching and checking.
// Pure; used by validation (pool selectors), the allocator (namespace and
// Service selectors) and the speakers (node selectors).
import type { LabelSelector } from "./api/schema-building-blocks.ts";

export type Labels = Readonly<Record<string, string>>;

type Requirement = NonNullable<LabelSelector["matchExpressions"]>[number];

/** What a requirement sees of the labels: whether its key is set, and to what. */
interface KeyState {
  readonly has: boolean;
  readonly value: string | undefined;
  readonly values: readonly string[];
}

const isIn = ({ has, value, values }: KeyState): boolean =>
  has && value !== undefined && values.includes(value);

/** metav1.LabelSelectorOperator semantics; an operator not listed here never matches. */
const OPERATOR_HOLDS: ReadonlyMap<string, (key: KeyState) => boolean> = new Map([
  ["In", isIn],
  ["NotIn", (key: KeyState) => !isIn(key)],
  ["Exists", (key: KeyState) => key.has],
  ["DoesNotExist", (key: KeyState) => !key.has],
]);

const OPERATORS = [...OPERATOR_HOLDS.keys()];

function requirementHolds(req: Requirement, labels: Labels): boolean {
  const holds = OPERATOR_HOLDS.get(req.operator);
  if (holds === undefined) return false;
  return holds({
    has: Object.hasOwn(labels, req.key),
    value: labels[req.key],
    values: req.values ?? [],
  });
}

/** True when every requirement holds; an empty selector matches everything. */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  return (selector.matchExpressions ?? []).every((req) => requirementHolds(req, labels));
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

type FieldProblem = { field: string; message: string };

/** What is wrong with a selector, as field-relative messages ("matchExpressions[0].operator: …"). */
export function selectorProblems(selector: LabelSelector): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    const keyProblem = labelKeyProblem(k);
    if (keyProblem !== undefined) out.push({ field: `matchLabels`, message: keyProblem });
    const valueProblem = labelValueProblem(v);
    if (valueProblem !== undefined) out.push({ field: `matchLabels.${k}`, message: valueProblem });
  }
  (selector.matchExpressions ?? []).forEach((req, i) => {
    out.push(...requirementProblems(req, `matchExpressions[${i}]`));
  });
  return out;
}

function requirementProblems(req: Requirement, at: string): FieldProblem[] {
  const out: FieldProblem[] = [];
  const keyProblem = labelKeyProblem(req.key);
  if (keyProblem !== undefined) out.push({ field: `${at}.key`, message: keyProblem });
  const values = req.values ?? [];
  const operatorProblem = operatorValuesProblem(req.operator, values, at);
  if (operatorProblem !== undefined) out.push(operatorProblem);
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
  return out;
}

/** An unknown operator, or values where the operator wants none (or none where it wants some). */
function operatorValuesProblem(
  operator: string,
  values: readonly string[],
  at: string,
): FieldProblem | undefined {
  if (!OPERATORS.includes(operator)) {
    return {
      field: `${at}.operator`,
      message: `"${operator}" is not a valid selector operator (In, NotIn, Exists, DoesNotExist)`,
    };
  }
  if ((operator === "In" || operator === "NotIn") && values.length === 0) {
    return { field: `${at}.values`, message: `must be non-empty when operator is ${operator}` };
  }
  if ((operator === "Exists" || operator === "DoesNotExist") && values.length) {
    return { field: `${at}.values`, message: `must be empty when operator is ${operator}` };
  }
  return undefined;
}

/** Canonical text of a selector, to find duplicates regardless of order (as MetalLB does). */
export function selectorKey(selector: LabelSelector): string {
  const labels = Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const exprs = (selector.matchExpressions ?? [])
    .map((e) => `${e.key} ${e.operator} ${[...(e.values ?? [])].sort().join(",")}`)
    .sort();
  return JSON.stringify([labels, exprs]);
}
