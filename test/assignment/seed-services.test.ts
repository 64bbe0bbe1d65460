// Every Service example in the seed documents, created with `kubectl create`
// against two webhook replicas, returns an object that already carries the IP
// the document leads its reader to expect: the requested one, the first of the
// named pool, or the first address of the first pool by name.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { IPAddressPoolSpec } from "../../core/api/ip-address-pool.ts";
import { readAnnotation } from "../../core/allocator/service-request.ts";
import { parseAddressBlock } from "../../core/net/ip-blocks.ts";
import { formatIp } from "../../core/net/ip-address-text.ts";
import { startAssignmentWebhooks, type AssignmentWebhooks } from "../assignment-harness.ts";
import { kubectl, withNamespace } from "../kube.ts";
import {
  blockLabel,
  metallbDocuments,
  readSeed,
  seedFiles,
  serviceDocuments,
  type SeedBlock,
  type SeedManifest,
} from "../seed-documents.ts";
import { clearMetallbNamespace } from "../webhook-harness.ts";

interface SeedService extends SeedManifest {
  metadata: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: { loadBalancerIP?: string; ports?: unknown[]; healthCheckNodePort?: number };
}

/**
 * The seeds abbreviate (`# ...` where the ports go) and one sets
 * spec.healthCheckNodePort without externalTrafficPolicy Local, which
 * Kubernetes itself refuses. Complete them to what the API server accepts,
 * changing nothing MetalLB reads; the namespace is the test's.
 */
function completed(svc: SeedService): object {
  const { namespace: _ignored, ...metadata } = svc.metadata;
  const { healthCheckNodePort: _refused, ...spec } = svc.spec ?? {};
  return {
    ...svc,
    metadata,
    spec: { ...spec, ports: spec.ports ?? [{ port: 80 }] },
  };
}
type SeedPool = SeedManifest & { spec: IPAddressPoolSpec };

let hooks: AssignmentWebhooks;
const ns = withNamespace("seed-services");
beforeAll(async () => {
  hooks = await startAssignmentWebhooks(2);
});
afterAll(async () => {
  await hooks.stop();
});
afterEach(async () => {
  await kubectl(["delete", "services", "--all", "-n", ns.name]);
  await clearMetallbNamespace();
});

function poolsOf(block: SeedBlock): SeedPool[] {
  return block.documents.filter((d): d is SeedPool => d.kind === "IPAddressPool");
}

function firstAddress(pool: SeedPool): string {
  const parsed = parseAddressBlock(pool.spec.addresses[0] ?? "");
  if (!parsed.ok) throw new Error(`seed pool ${String(pool.metadata.name)} does not parse`);
  return formatIp({ family: parsed.block.family, value: parsed.block.first });
}

function contains(pool: SeedPool, ip: string): boolean {
  return pool.spec.addresses.some((a) => {
    const parsed = parseAddressBlock(a);
    const wanted = parseAddressBlock(`${ip}/32`);
    return (
      parsed.ok &&
      wanted.ok &&
      parsed.block.first <= wanted.block.first &&
      wanted.block.first <= parsed.block.last
    );
  });
}

/** The seed's pool block a Service is written against, and the IP it should get. */
function expectation(svc: SeedService, configs: SeedBlock[]): { config: SeedBlock; ip: string } {
  const requested =
    readAnnotation(svc.metadata.annotations, "loadBalancerIPs")?.value ?? svc.spec?.loadBalancerIP;
  const named = readAnnotation(svc.metadata.annotations, "address-pool")?.value;
  const fits = (b: SeedBlock) =>
    requested !== undefined
      ? poolsOf(b).some((p) => contains(p, requested))
      : named !== undefined
        ? poolsOf(b).some((p) => p.metadata.name === named)
        : poolsOf(b).length > 0;
  const config = configs.find(fits);
  if (config === undefined)
    throw new Error(`no pool in the seed fits ${String(svc.metadata.name)}`);
  if (requested !== undefined) return { config, ip: requested };
  const pools = poolsOf(config).filter((p) =>
    named !== undefined ? p.metadata.name === named : p.spec.autoAssign !== false,
  );
  const first = [...pools].sort((a, b) =>
    String(a.metadata.name).localeCompare(String(b.metadata.name)),
  )[0];
  if (first === undefined) throw new Error("no usable pool");
  return { config, ip: firstAddress(first) };
}

for (const file of seedFiles()) {
  const blocks = readSeed(file);
  const configs = metallbDocuments(blocks);
  for (const block of serviceDocuments(blocks)) {
    describe(blockLabel(block), () => {
      it("gets its IP in the create response", async () => {
        const services = block.documents as SeedService[];
        const first = services[0];
        if (first === undefined) throw new Error("empty block");
        const { config } = expectation(first, configs);
        await kubectl(["apply", "-f", "-"], {
          input: config.documents.map((d) => JSON.stringify(d)).join("\n"),
        });
        for (const svc of services) {
          const { ip } = expectation(svc, configs);
          const r = await kubectl(["create", "-n", ns.name, "-o", "json", "-f", "-"], {
            input: JSON.stringify(completed(svc)),
          });
          const created = JSON.parse(r.stdout) as SeedService;
          expect(
            created.metadata.annotations?.["metallb.io/allocated-ips"],
            String(svc.metadata.name),
          ).toBe(ip);
        }
      });
    });
  }
}
