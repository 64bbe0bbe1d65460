import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withSlice } from "./cluster-view.ts";

const summary = (...nodes: string[]) => ({ anyServing: nodes.length > 0, nodes });

describe("withSlice", () => {
  it("keeps one slice without a Map, more in a Map, none as undefined", () => {
    const one = withSlice(undefined, "a", summary("n1"));
    expect(one).toEqual({ name: "a", summary: summary("n1") });
    const two = withSlice(one, "b", summary("n2"));
    expect(two).toBeInstanceOf(Map);
    const back = withSlice(two, "a", undefined);
    expect(back).toEqual({ name: "b", summary: summary("n2") });
    expect(withSlice(back, "b", undefined)).toBeUndefined();
  });

  it("holds what a Map of slice name → summary would, over any edits", () => {
    const edit = fc.record({
      name: fc.constantFrom("a", "b", "c"),
      nodes: fc.option(fc.array(fc.constantFrom("n1", "n2", "n3"), { maxLength: 2 })),
    });
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 20 }), (edits) => {
        const model = new Map<string, ReturnType<typeof summary>>();
        let slices: Parameters<typeof withSlice>[0];
        for (const e of edits) {
          const s = e.nodes === null ? undefined : summary(...e.nodes);
          if (s === undefined) model.delete(e.name);
          else model.set(e.name, s);
          slices = withSlice(slices, e.name, s);
        }
        const held =
          slices === undefined
            ? new Map()
            : slices instanceof Map
              ? slices
              : new Map([[slices.name, slices.summary]]);
        expect(held).toEqual(model);
      }),
    );
  });
});
