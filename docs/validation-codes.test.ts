// docs/validation.md lists every problem code users can meet.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { PROBLEM_CODES } from "../core/validation/problem-codes.ts";

it("docs/validation.md lists every problem code", async () => {
  const doc = await readFile(join(import.meta.dirname, "validation.md"), "utf8");
  const missing = Object.keys(PROBLEM_CODES).filter((code) => !doc.includes(`\`${code}\``));
  expect(missing).toEqual([]);
});
