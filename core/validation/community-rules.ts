// Community objects: every alias parses, and an alias is defined once across
// all Community objects (MetalLB treats aliases as one global namespace).
import type { CommunitySpec } from "../api/community.ts";
import type { KubeObject } from "../api/schema-building-blocks.ts";
import { parseCommunity } from "./community-value.ts";
import { describeRef, refOf, type ObjectRef, type ProblemSink } from "./problem.ts";

export function checkCommunities(
  sink: ProblemSink,
  objects: readonly KubeObject<CommunitySpec>[],
): Set<string> {
  const defined = new Map<string, { ref: ObjectRef; index: number }>();
  const sorted = [...objects].sort((a, b) =>
    (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""),
  );
  for (const obj of sorted) {
    const ref = refOf(obj);
    (obj.spec?.communities ?? []).forEach((entry, index) => {
      const field = `spec.communities[${index}]`;
      const name = entry.name ?? "";
      const value = entry.value ?? "";
      const parsed = parseCommunity(value);
      if (!parsed.ok) {
        sink.error({
          object: ref,
          code: "COMMUNITY_INVALID",
          field: `${field}.value`,
          message:
            parsed.kind === "invalid"
              ? `parsing community "${name}": ${parsed.reason}`
              : `parsing community "${name}": invalid community format "${value}": use A:B or large:A:B:C`,
        });
      }
      const first = defined.get(name);
      if (first !== undefined) {
        const where =
          first.ref.name === ref.name
            ? `spec.communities[${first.index}] of the same object`
            : `${describeRef(first.ref)} spec.communities[${first.index}]`;
        sink.error({
          object: ref,
          code: "COMMUNITY_ALIAS_DUPLICATE",
          field: `${field}.name`,
          message: `duplicate definition of community "${name}": already defined by ${where}`,
          related: first.ref.name === ref.name ? undefined : first.ref,
        });
      } else defined.set(name, { ref, index });
    });
  }
  return new Set(defined.keys());
}
