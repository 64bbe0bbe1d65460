// Which ServiceL2Status / ServiceBGPStatus objects to create, patch and delete
// so that they say what this node announces — MetalLB's rules (§1.7, §1.8,
// §4.5): one object per (Service, announcing node), named by generateName,
// labelled with node and Service; a node that stops announcing deletes its
// own; for Layer 2, the announcing node also deletes other nodes' objects for
// the Service (there is one owner). Pure: objects in, writes out.
export const NODE_LABEL = "metallb.io/node";
export const SERVICE_NAME_LABEL = "metallb.io/service-name";
export const SERVICE_NAMESPACE_LABEL = "metallb.io/service-namespace";

/** The status body for one Service, without node/service fields (the plan adds them). */
export type StatusExtra = Readonly<Record<string, unknown>>;

export interface StatusObject {
  readonly name: string;
  readonly node: string;
  readonly serviceKey: string;
  /** status minus node/serviceName/serviceNamespace, as last seen. */
  readonly extra: StatusExtra;
  /** Has the status subresource been written at all (a fresh create has none). */
  readonly hasStatus: boolean;
}

export interface StatusWrites {
  readonly create: { serviceKey: string; extra: StatusExtra }[];
  readonly patch: { name: string; serviceKey: string; extra: StatusExtra }[];
  readonly delete: { name: string; serviceKey: string }[];
}

export interface StatusPlanInput {
  readonly node: string;
  /** serviceKey → extra status, for every Service this node announces. */
  readonly desired: ReadonlyMap<string, StatusExtra>;
  readonly existing: readonly StatusObject[];
  /** Layer 2: one owner per Service, so the owner removes other nodes' objects. */
  readonly exclusive: boolean;
}

function sameExtra(a: StatusExtra, b: StatusExtra): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

type Verdict = "delete" | "keep" | "patch" | "other";

function verdict(input: StatusPlanInput, object: StatusObject, kept: ReadonlySet<string>): Verdict {
  const wanted = input.desired.get(object.serviceKey);
  if (object.node !== input.node) {
    // Another node's object: ours to remove only when we are the single owner now.
    return input.exclusive && wanted !== undefined ? "delete" : "other";
  }
  // Not announced any more, or a duplicate of ours.
  if (wanted === undefined || kept.has(object.serviceKey)) return "delete";
  return object.hasStatus && sameExtra(object.extra, wanted) ? "keep" : "patch";
}

export function planStatusWrites(input: StatusPlanInput): StatusWrites {
  const writes: StatusWrites = { create: [], patch: [], delete: [] };
  const kept = new Set<string>();
  for (const object of input.existing) {
    const v = verdict(input, object, kept);
    if (v === "delete") writes.delete.push(object);
    if (v === "keep" || v === "patch") kept.add(object.serviceKey);
    const extra = input.desired.get(object.serviceKey);
    if (v === "patch" && extra !== undefined) {
      writes.patch.push({ name: object.name, serviceKey: object.serviceKey, extra });
    }
  }
  for (const [serviceKey, extra] of input.desired) {
    if (!kept.has(serviceKey)) writes.create.push({ serviceKey, extra });
  }
  return writes;
}
