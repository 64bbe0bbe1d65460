// The MetalLB configuration quoted in the seed guides (/work/shared/seeds) is
// valid MetalLB configuration, so our webhook and `metallb-ts validate` must
// accept all of it (warnings allowed).
//
// Each fenced block is one example, applied to an empty metallb-system: the
// guides show alternatives side by side (e.g. one pool 10.10.20.200-220, then
// "multiple pools" production 200-210 + development 211-220), which overlap
// and would be refused together, by MetalLB too. A block that names a pool
// (ipAddressPools) defined only in an earlier block of the same guide, such as
// an L2Advertisement shown on its own, gets that pool applied first.
import { runMetallbTs } from "../run-metallb-ts.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { kubectl } from "../kube.ts";
import {
  blockLabel,
  metallbDocuments,
  placeholders,
  readSeed,
  seedFiles,
  type SeedBlock,
  type SeedManifest,
} from "../seed-documents.ts";
import { clearMetallbNamespace, startTestWebhook, type TestWebhook } from "../webhook-harness.ts";

interface SeedCase {
  readonly label: string;
  readonly block: SeedBlock;
  /** Pools from earlier blocks of the same guide that this block names but does not define. */
  readonly prerequisites: readonly SeedManifest[];
}

function namedPools(doc: SeedManifest): string[] {
  const spec = doc.spec as { ipAddressPools?: unknown } | undefined;
  return Array.isArray(spec?.ipAddressPools)
    ? spec.ipAddressPools.filter((p): p is string => typeof p === "string")
    : [];
}

function casesOf(blocks: readonly SeedBlock[]): SeedCase[] {
  const latestPool = new Map<string, SeedManifest>();
  return blocks.map((block) => {
    const own = new Set(
      block.documents.filter((d) => d.kind === "IPAddressPool").map((d) => d.metadata.name),
    );
    const wanted = new Set(block.documents.flatMap(namedPools).filter((n) => !own.has(n)));
    const prerequisites = [...wanted].flatMap((n) => {
      const pool = latestPool.get(n);
      return pool === undefined ? [] : [pool];
    });
    for (const d of block.documents) {
      if (d.kind === "IPAddressPool" && d.metadata.name !== undefined) {
        latestPool.set(d.metadata.name, d);
      }
    }
    return { label: blockLabel(block), block, prerequisites };
  });
}

const SEEDS = seedFiles().map((file) => ({ file, blocks: metallbDocuments(readSeed(file)) }));

let hook: TestWebhook;
let scratch: string;
beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "metallb-ts-seeds-"));
  hook = await startTestWebhook();
});
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await clearMetallbNamespace();
  await hook.stop();
});

describe("seed guides", () => {
  it("hold MetalLB examples, all parseable, without placeholders", () => {
    expect(SEEDS.length).toBeGreaterThan(0);
    const blocks = SEEDS.flatMap((s) => s.blocks);
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) {
      expect(b.errors, blockLabel(b)).toEqual([]);
      expect(placeholders(b.documents), blockLabel(b)).toEqual([]);
      for (const d of b.documents) expect(d.apiVersion).toMatch(/^metallb\.io\/v1beta[12]$/);
    }
  });
});

for (const seed of SEEDS) {
  describe(seed.file.split("/").pop() ?? seed.file, () => {
    beforeEach(async () => {
      await clearMetallbNamespace();
    });

    it.each(casesOf(seed.blocks).map((c) => [c.label, c] as const))(
      "%s is accepted by the webhook and by metallb-ts validate",
      async (_label, c) => {
        const docs = [...c.prerequisites, ...c.block.documents];
        const file = join(scratch, `${c.label.replace(/[^A-Za-z0-9_.-]/g, "_")}.yaml`);
        writeFileSync(file, docs.map((d) => stringify(d)).join("---\n"));
        const validation = runMetallbTs(["validate", "-f", file]);

        const r = await kubectl(["apply", "-f", "-"], {
          input: JSON.stringify({ apiVersion: "v1", kind: "List", items: docs }),
          allowFailure: true,
        });
        expect(r.code, `${c.label} refused:\n${r.stderr}`).toBe(0);
        for (const d of c.block.documents) {
          expect(r.stdout).toContain(`/${d.metadata.name ?? ""} `);
        }

        const v = await validation;
        expect(v.code, `validate ${c.label}:\n${v.stdout}${v.stderr}`).toBe(0);
        expect(v.stdout).toBe("");
      },
    );
  });
}
