// The install manifests against the real API server: every object of both
// rendered files passes `kubectl apply --dry-run=server` (schemas, CEL rules,
// RBAC, cert-manager's CRDs), and `kubectl kustomize` of each overlay yields
// exactly the rendered file.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { DEFAULT_NAMESPACE } from "../../core/api/kinds.ts";
import { repoRoot } from "../control-plane/binaries.ts";
import { kubectl } from "../kube.ts";
import { applyCrds } from "../webhook-harness.ts";
import { certManagerCrds } from "./cert-manager-crds.ts";

const manifests = join(repoRoot, "manifests");

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
}

function byKey(text: string): Map<string, Obj> {
  const objects = parseAllDocuments(text).map((d) => d.toJS() as Obj);
  return new Map(
    objects.map((o) => [`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, o]),
  );
}

beforeAll(async () => {
  // Other suites point BGPPeer conversion at their own webhook by URL; the
  // install manifests use a Service reference, and an apply merging the two
  // would hold both. Start from our CRDs as a fresh cluster has them.
  await applyCrds();
  const crds = await certManagerCrds();
  await kubectl(["apply", "--server-side", "--force-conflicts", "-f", crds]);
  await kubectl(["wait", "--for=condition=Established", "--timeout=60s", "-f", crds]);
  // Server-side dry-run does not create the Namespace, and namespaced objects need it.
  await kubectl(["create", "namespace", DEFAULT_NAMESPACE], { allowFailure: true });
}, 600_000);

describe.each([
  ["metallb-ts.yaml", "overlays/cert-manager"],
  ["metallb-ts-self-managed.yaml", "overlays/self-managed"],
])("manifests/%s", (file, overlay) => {
  it("passes kubectl apply --dry-run=server, every object", async () => {
    const path = join(manifests, file);
    const count = byKey(await readFile(path, "utf8")).size;
    const r = await kubectl(["apply", "--dry-run=server", "-f", path], { allowFailure: true });
    // The Namespace exists already (created above, or by another suite) without
    // kubectl's last-applied annotation; any other warning is a finding.
    const warnings = r.stderr
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.includes("last-applied-configuration annotation"));
    expect(warnings).toEqual([]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(count);
    for (const line of lines) expect(line).toMatch(/\(server dry run\)$/);
  });

  it(`is what kubectl kustomize manifests/${overlay} builds`, async () => {
    const rendered = byKey(await readFile(join(manifests, file), "utf8"));
    const built = byKey((await kubectl(["kustomize", join(manifests, overlay)])).stdout);
    expect([...built.keys()].sort()).toEqual([...rendered.keys()].sort());
    for (const [key, object] of rendered) {
      expect(isDeepStrictEqual(built.get(key), object), `${key} differs`).toBe(true);
    }
  });
});

it("the dry run really validates against cert-manager's schema (a misspelt field is refused)", async () => {
  const text = await readFile(join(manifests, "overlays/cert-manager/certificates.yaml"), "utf8");
  const broken = text.replace("dnsNames:", "dnsName:");
  expect(broken).not.toBe(text);
  const r = await kubectl(["apply", "--dry-run=server", "-f", "-"], {
    input: broken,
    allowFailure: true,
  });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/unknown field "spec.dnsName"/);
});

describe("RBAC as the API server enforces it", () => {
  const rbacKinds = new Set([
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
  ]);
  let rbac = "";

  beforeAll(async () => {
    const text = await readFile(join(manifests, "metallb-ts-self-managed.yaml"), "utf8");
    rbac = [...byKey(text).values()]
      .filter((o) => rbacKinds.has(o.kind))
      .map((o) => JSON.stringify(o))
      .join("\n");
    await kubectl(["apply", "-f", "-"], { input: rbac });
  });

  afterAll(async () => {
    await kubectl(["delete", "-f", "-", "--ignore-not-found", "--wait=false"], { input: rbac });
  });

  /**
   * A SubjectAccessReview rather than `kubectl auth can-i --as`: can-i maps
   * "ipaddressclaims.metallb.io" to a group only through discovery, and the
   * metallb.io CRDs need not be installed in this run (this suite only dry-runs them).
   * `args` reads like can-i's: "verb resource[.group][/name] [-n ns] [--subresource=s]".
   */
  async function can(sa: string, args: string): Promise<boolean> {
    const [verb = "", target = "", ...rest] = args.split(" ");
    const [qualified = "", name] = target.split("/");
    const [resource = "", ...group] = qualified.split(".");
    const flag = (f: string): string | undefined =>
      rest.find((x) => x.startsWith(`${f}=`))?.slice(f.length + 1) ??
      (rest.includes(f) ? rest[rest.indexOf(f) + 1] : undefined);
    const review = {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: `system:serviceaccount:${DEFAULT_NAMESPACE}:${sa}`,
        groups: ["system:serviceaccounts", `system:serviceaccounts:${DEFAULT_NAMESPACE}`],
        resourceAttributes: {
          verb,
          group: group.join("."),
          resource,
          ...(name === undefined ? {} : { name }),
          ...(flag("-n") === undefined ? {} : { namespace: flag("-n") }),
          ...(flag("--subresource") === undefined ? {} : { subresource: flag("--subresource") }),
        },
      },
    };
    const r = await kubectl(["create", "-o", "json", "-f", "-"], { input: JSON.stringify(review) });
    return (JSON.parse(r.stdout) as { status: { allowed?: boolean } }).status.allowed === true;
  }

  it.each([
    ["metallb-webhook", "create ipaddressclaims.metallb.io -n metallb-system", true],
    ["metallb-webhook", "list bgppeers.metallb.io -n metallb-system", true],
    ["metallb-webhook", "create deployments.apps -n metallb-system", false],
    ["metallb-webhook", "update services -n default", false],
    ["metallb-webhook", "list secrets -n metallb-system", false],
    ["metallb-webhook", "update secrets/metallb-webhook-cert -n metallb-system", true],
    ["metallb-webhook", "update secrets/memberlist -n metallb-system", false],
    [
      "metallb-webhook",
      "patch validatingwebhookconfigurations.admissionregistration.k8s.io/metallb-webhook-configuration",
      true,
    ],
    [
      "metallb-webhook",
      "patch validatingwebhookconfigurations.admissionregistration.k8s.io/someone-elses",
      false,
    ],
    [
      "metallb-webhook",
      "patch customresourcedefinitions.apiextensions.k8s.io/bgppeers.metallb.io",
      true,
    ],
    [
      "metallb-webhook",
      "patch customresourcedefinitions.apiextensions.k8s.io/ipaddresspools.metallb.io",
      false,
    ],
    ["controller", "patch services -n default --subresource=status", true],
    ["controller", "patch services -n default", false],
    [
      "controller",
      "update leases.coordination.k8s.io/metallb-ts-controller -n metallb-system",
      true,
    ],
    ["controller", "update leases.coordination.k8s.io/other -n metallb-system", false],
    ["controller", "get secrets/memberlist -n metallb-system", true],
    ["controller", "get secrets/other -n metallb-system", false],
    ["speaker", "list services -n default", true],
    ["speaker", "patch services -n default", false],
    ["speaker", "update services -n default --subresource=status", false],
    ["speaker", "get secrets -n metallb-system", true],
    ["speaker", "get secrets -n default", false],
    ["speaker", "create servicel2statuses.metallb.io -n metallb-system", true],
    ["speaker", "list endpointslices.discovery.k8s.io -n default", true],
    ["speaker", "create ipaddressclaims.metallb.io -n metallb-system", false],
  ] as const)("%s: can-i %s → %s", async (sa, args, expected) => {
    expect(await can(sa, args)).toBe(expected);
  });
});
