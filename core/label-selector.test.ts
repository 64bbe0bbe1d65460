import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LabelSelector } from "./api/schema-building-blocks.ts";
import {
  anySelectorMatches,
  selectorKey,
  selectorMatches,
  selectorProblems,
  type Labels,
} from "./label-selector.ts";

const web: Labels = { app: "web", tier: "front" };
const db: Labels = { app: "db" };
const none: Labels = {};

describe("selectorMatches", () => {
  it("an empty selector matches everything, even no labels", () => {
    expect(selectorMatches({}, web)).toBe(true);
    expect(selectorMatches({}, none)).toBe(true);
    expect(selectorMatches({ matchLabels: {}, matchExpressions: [] }, none)).toBe(true);
  });

  it("matchLabels needs every pair, exactly", () => {
    expect(selectorMatches({ matchLabels: { app: "web" } }, web)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: "web", tier: "front" } }, web)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: "web", tier: "back" } }, web)).toBe(false);
    expect(selectorMatches({ matchLabels: { app: "Web" } }, web)).toBe(false);
    expect(selectorMatches({ matchLabels: { zone: "" } }, web)).toBe(false);
    expect(selectorMatches({ matchLabels: { zone: "" } }, { zone: "" })).toBe(true);
  });

  it("matchLabels keys that are Object.prototype names are labels like any other", () => {
    expect(selectorMatches({ matchLabels: { constructor: "x" } }, none)).toBe(false);
    expect(selectorMatches({ matchLabels: { constructor: "x" } }, { constructor: "x" })).toBe(true);
  });

  const expr = (key: string, operator: string, values?: string[]): LabelSelector => ({
    matchExpressions: [values === undefined ? { key, operator } : { key, operator, values }],
  });

  it("In: the key is present with one of the values", () => {
    expect(selectorMatches(expr("app", "In", ["web", "api"]), web)).toBe(true);
    expect(selectorMatches(expr("app", "In", ["api"]), web)).toBe(false);
    expect(selectorMatches(expr("zone", "In", ["a"]), web)).toBe(false);
    expect(selectorMatches(expr("zone", "In", [""]), { zone: "" })).toBe(true);
    expect(selectorMatches(expr("toString", "In", ["x"]), none)).toBe(false);
  });

  it("NotIn: the key is absent, or present with none of the values", () => {
    expect(selectorMatches(expr("app", "NotIn", ["db"]), web)).toBe(true);
    expect(selectorMatches(expr("app", "NotIn", ["db"]), db)).toBe(false);
    expect(selectorMatches(expr("app", "NotIn", ["db"]), none)).toBe(true);
    expect(selectorMatches(expr("app", "NotIn", ["web", "db"]), web)).toBe(false);
  });

  it("Exists and DoesNotExist look at the key only", () => {
    expect(selectorMatches(expr("tier", "Exists"), web)).toBe(true);
    expect(selectorMatches(expr("tier", "Exists"), db)).toBe(false);
    expect(selectorMatches(expr("tier", "Exists"), { tier: "" })).toBe(true);
    expect(selectorMatches(expr("tier", "DoesNotExist"), web)).toBe(false);
    expect(selectorMatches(expr("tier", "DoesNotExist"), db)).toBe(true);
    expect(selectorMatches(expr("tier", "DoesNotExist"), { tier: "" })).toBe(false);
    // Inherited names are not labels.
    expect(selectorMatches(expr("constructor", "Exists"), none)).toBe(false);
    expect(selectorMatches(expr("constructor", "DoesNotExist"), none)).toBe(true);
  });

  it("an unknown operator matches nothing", () => {
    expect(selectorMatches(expr("app", "Equals", ["web"]), web)).toBe(false);
    expect(selectorMatches(expr("app", "in", ["web"]), web)).toBe(false);
  });

  it("all requirements must hold (AND), labels and expressions together", () => {
    const s: LabelSelector = {
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["front"] },
        { key: "canary", operator: "DoesNotExist" },
      ],
    };
    expect(selectorMatches(s, web)).toBe(true);
    expect(selectorMatches(s, { ...web, canary: "yes" })).toBe(false);
    expect(selectorMatches(s, { ...web, tier: "back" })).toBe(false);
    expect(selectorMatches(s, { tier: "front" })).toBe(false);
  });

  it("agrees with a direct reading of the Kubernetes semantics on random labels", () => {
    const keys = fc.constantFrom("a", "b", "c");
    const vals = fc.constantFrom("x", "y", "");
    const labelsArb = fc.dictionary(keys, vals, { maxKeys: 3 });
    const reqArb = fc.record({
      key: keys,
      operator: fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist"),
      values: fc.uniqueArray(vals, { minLength: 1, maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.dictionary(keys, vals, { maxKeys: 2 }),
        fc.array(reqArb, { maxLength: 3 }),
        labelsArb,
        (matchLabels, reqs, labels) => {
          const expressions = reqs.map((r) =>
            r.operator === "In" || r.operator === "NotIn"
              ? r
              : { key: r.key, operator: r.operator },
          );
          const expected =
            Object.entries(matchLabels).every(([k, v]) => k in labels && labels[k] === v) &&
            reqs.every((r) => {
              const present = Object.keys(labels).includes(r.key);
              const value = labels[r.key];
              switch (r.operator) {
                case "In":
                  return present && r.values.some((v) => v === value);
                case "NotIn":
                  return !present || !r.values.some((v) => v === value);
                case "Exists":
                  return present;
                case "DoesNotExist":
                  return !present;
                default:
                  return false;
              }
            });
          expect(selectorMatches({ matchLabels, matchExpressions: expressions }, labels)).toBe(
            expected,
          );
        },
      ),
    );
  });
});

describe("anySelectorMatches", () => {
  it("no list, or an empty list, matches everything", () => {
    expect(anySelectorMatches(undefined, none)).toBe(true);
    expect(anySelectorMatches([], web)).toBe(true);
  });

  it("a list is an OR", () => {
    const list: LabelSelector[] = [{ matchLabels: { app: "db" } }, { matchLabels: { app: "web" } }];
    expect(anySelectorMatches(list, web)).toBe(true);
    expect(anySelectorMatches(list, db)).toBe(true);
    expect(anySelectorMatches(list, { app: "cache" })).toBe(false);
  });
});

describe("selectorProblems", () => {
  it("a valid selector has none", () => {
    expect(
      selectorProblems({
        matchLabels: { "example.com/app": "web", tier: "front-1.a_b" },
        matchExpressions: [
          { key: "zone", operator: "In", values: ["a", "b"] },
          { key: "zone2", operator: "NotIn", values: ["c"] },
          { key: "gpu", operator: "Exists" },
          { key: "spot", operator: "DoesNotExist", values: [] },
        ],
      }),
    ).toEqual([]);
  });

  it("an unknown operator, naming it and the valid ones", () => {
    const [p, ...rest] = selectorProblems({
      matchExpressions: [{ key: "a", operator: "Equals", values: ["x"] }],
    });
    expect(rest).toEqual([]);
    expect(p?.field).toBe("matchExpressions[0].operator");
    expect(p?.message).toContain('"Equals"');
    expect(p?.message).toContain("In, NotIn, Exists, DoesNotExist");
  });

  it("In and NotIn need values; Exists and DoesNotExist must have none", () => {
    const problems = selectorProblems({
      matchExpressions: [
        { key: "a", operator: "In" },
        { key: "a", operator: "NotIn", values: [] },
        { key: "a", operator: "Exists", values: ["x"] },
        { key: "a", operator: "DoesNotExist", values: ["x"] },
      ],
    });
    expect(problems.map((p) => p.field)).toEqual([
      "matchExpressions[0].values",
      "matchExpressions[1].values",
      "matchExpressions[2].values",
      "matchExpressions[3].values",
    ]);
    expect(problems[0]?.message).toMatch(/non-empty.*In/);
    expect(problems[1]?.message).toMatch(/non-empty.*NotIn/);
    expect(problems[2]?.message).toMatch(/must be empty.*Exists/);
    expect(problems[3]?.message).toMatch(/must be empty.*DoesNotExist/);
  });

  it("duplicate values inside one expression", () => {
    const problems = selectorProblems({
      matchExpressions: [{ key: "a", operator: "In", values: ["x", "y", "x"] }],
    });
    expect(problems).toEqual([
      {
        field: "matchExpressions[0].values",
        message: "duplicate definition of match expression value in label selector",
      },
    ]);
  });

  it.each([
    ["", "matchExpressions[0].key"],
    ["-a", "matchExpressions[0].key"],
    ["a-", "matchExpressions[0].key"],
    ["a b", "matchExpressions[0].key"],
    ["a".repeat(64), "matchExpressions[0].key"],
    ["Example.com/a", "matchExpressions[0].key"],
    ["/a", "matchExpressions[0].key"],
    ["example.com/", "matchExpressions[0].key"],
    [`${"a".repeat(254)}/b`, "matchExpressions[0].key"],
  ])("invalid key %j", (key, field) => {
    const problems = selectorProblems({ matchExpressions: [{ key, operator: "Exists" }] });
    expect(problems.map((p) => p.field)).toEqual([field]);
    expect(problems[0]?.message).toContain(key);
  });

  it.each(["a".repeat(63), "example.com/a", "a.b-c_d", "A1", `${"a".repeat(253)}/b`])(
    "valid key %j",
    (key) => {
      expect(selectorProblems({ matchExpressions: [{ key, operator: "Exists" }] })).toEqual([]);
    },
  );

  it("invalid label values, in matchLabels and in expression values", () => {
    const problems = selectorProblems({
      matchLabels: { app: "-web" },
      matchExpressions: [{ key: "a", operator: "In", values: ["ok", "not ok", "x".repeat(64)] }],
    });
    expect(problems.map((p) => p.field)).toEqual([
      "matchLabels.app",
      "matchExpressions[0].values[1]",
      "matchExpressions[0].values[2]",
    ]);
    expect(problems[0]?.message).toContain('"-web"');
    expect(problems[1]?.message).toContain('"not ok"');
  });

  it("an invalid matchLabels key", () => {
    const problems = selectorProblems({ matchLabels: { "bad key": "v" } });
    expect(problems.map((p) => p.field)).toEqual(["matchLabels"]);
    expect(problems[0]?.message).toContain('"bad key"');
  });
});

describe("selectorKey", () => {
  const a: LabelSelector = {
    matchLabels: { app: "web", tier: "front" },
    matchExpressions: [
      { key: "zone", operator: "In", values: ["a", "b"] },
      { key: "gpu", operator: "Exists" },
    ],
  };
  const shuffled: LabelSelector = {
    matchExpressions: [
      { key: "gpu", operator: "Exists" },
      { key: "zone", operator: "In", values: ["b", "a"] },
    ],
    matchLabels: { tier: "front", app: "web" },
  };

  it("ignores the order of labels, expressions and values", () => {
    expect(selectorKey(shuffled)).toBe(selectorKey(a));
  });

  it("treats absent and empty lists alike", () => {
    expect(selectorKey({})).toBe(selectorKey({ matchLabels: {}, matchExpressions: [] }));
    expect(selectorKey({ matchExpressions: [{ key: "k", operator: "Exists" }] })).toBe(
      selectorKey({ matchExpressions: [{ key: "k", operator: "Exists", values: [] }] }),
    );
  });

  it.each([
    [{ matchLabels: { app: "web", tier: "back" } }],
    [{ matchLabels: { app: "web" } }],
    [{ matchLabels: { app: "web", tier: "front" } }],
    [{ ...a, matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a", "b"] }] }],
    [{ ...a, matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }],
    [{ matchLabels: { app: "web,tier" } }],
    [{ matchExpressions: [{ key: "app", operator: "In", values: ["web"] }] }],
  ] as [LabelSelector][])("tells different selectors apart: %j", (other) => {
    expect(selectorKey(other)).not.toBe(selectorKey(a));
  });

  it("is the same for any permutation of a selector's parts", () => {
    const key = fc.constantFrom("a", "b", "c", "d");
    const val = fc.constantFrom("x", "y", "z");
    const selectorArb = fc.record({
      matchLabels: fc.dictionary(key, val, { maxKeys: 4 }),
      matchExpressions: fc.array(
        fc.record({
          key,
          operator: fc.constantFrom("In", "NotIn"),
          values: fc.uniqueArray(val, { minLength: 1, maxLength: 3 }),
        }),
        { maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(selectorArb, fc.infiniteStream(fc.nat()), (s, seeds) => {
        const it = seeds[Symbol.iterator]();
        const shuffle = <T>(xs: readonly T[]): T[] => {
          const out = [...xs];
          for (let i = out.length - 1; i > 0; i--) {
            const j = (it.next().value ?? 0) % (i + 1);
            [out[i], out[j]] = [out[j] as T, out[i] as T];
          }
          return out;
        };
        const permuted: LabelSelector = {
          matchLabels: Object.fromEntries(shuffle(Object.entries(s.matchLabels))),
          matchExpressions: shuffle(s.matchExpressions).map((e) => ({
            ...e,
            values: shuffle(e.values),
          })),
        };
        expect(selectorKey(permuted)).toBe(selectorKey(s));
      }),
    );
  });
});
