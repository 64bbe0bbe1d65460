// What the install manifests promise, checked on the objects themselves:
// labels MetalLB users select on, least privilege per component, the
// speaker's privileges and flags, TLS wiring per overlay.
import { describe, expect, it } from "vitest";
import { validatePath } from "../../core/api/webhook-configurations.ts";
import { SELF_MANAGED_SECRET_NAME, WEBHOOK_SERVICE_NAME } from "../../webhook/self-managed-tls.ts";
import { NAMES, type Json } from "./common.ts";
import {
  baseFiles,
  certManagerOverlay,
  renderOverlay,
  selfManagedOverlay,
  strategicMerge,
} from "./layout.ts";
import { RBAC, SELF_MANAGED_RBAC, type Rule } from "./rbac.ts";

interface Obj extends Json {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

const certManager = renderOverlay(certManagerOverlay()).map((m) => m.object as Obj);
const selfManaged = renderOverlay(selfManagedOverlay()).map((m) => m.object as Obj);
const find = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`no ${kind}/${name}`);
  return o;
};
const podSpec = (o: Obj): Json => (o.spec as { template: { spec: Json } }).template.spec;
const container = (o: Obj): Json => (podSpec(o).containers as Json[])[0] ?? {};

function grants(rules: readonly Rule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
  );
}

describe("labels", () => {
  it("every object carries app=metallb and the app.kubernetes.io set", () => {
    for (const o of [...certManager, ...selfManaged]) {
      expect(o.metadata.labels, `${o.kind}/${o.metadata.name}`).toMatchObject({
        app: "metallb",
        "app.kubernetes.io/name": "metallb-ts",
        "app.kubernetes.io/part-of": "metallb-ts",
        "app.kubernetes.io/version": "0.1.0",
      });
    }
  });

  it("pods are selectable as MetalLB's: app=metallb,component=controller|speaker", () => {
    for (const [kind, name, component] of [
      ["Deployment", "controller", "controller"],
      ["DaemonSet", "speaker", "speaker"],
      ["Deployment", "metallb-webhook", "webhook"],
    ] as const) {
      const o = find(certManager, kind, name);
      const template = (o.spec as { template: { metadata: { labels: Record<string, string> } } })
        .template;
      expect(template.metadata.labels).toMatchObject({
        app: "metallb",
        component,
        "app.kubernetes.io/component": component,
      });
    }
  });
});

describe("RBAC", () => {
  it("every rule says why it is there", () => {
    for (const files of [baseFiles(), selfManagedOverlay().resources]) {
      for (const [, manifests] of files) {
        for (const m of manifests) {
          const rules = (m.object.rules ?? []) as unknown[];
          expect(m.why ?? []).toHaveLength(rules.length);
          for (const why of m.why ?? []) expect(why.length).toBeGreaterThan(20);
        }
      }
    }
  });

  it("the speaker cannot write Services nor read Secrets outside metallb-system", () => {
    const { cluster, namespaced } = RBAC.speaker;
    for (const verb of ["create", "update", "patch", "delete"]) {
      expect(grants([...cluster, ...namespaced], "", "services", verb)).toBe(false);
      expect(grants([...cluster, ...namespaced], "", "services/status", verb)).toBe(false);
    }
    expect(grants(cluster, "", "secrets", "get")).toBe(false);
    expect(grants(namespaced, "", "secrets", "get")).toBe(true);
  });

  it("the webhook can create claims but not Deployments, Secrets or Services", () => {
    const all = [...RBAC.webhook.cluster, ...RBAC.webhook.namespaced];
    expect(grants(all, "metallb.io", "ipaddressclaims", "create")).toBe(true);
    for (const verb of ["create", "update", "patch"]) {
      expect(grants(all, "apps", "deployments", verb)).toBe(false);
      expect(grants(all, "", "services", verb)).toBe(false);
    }
    expect(all.some((r) => r.resources.includes("secrets"))).toBe(false);
  });

  it("no rule anywhere uses a wildcard", () => {
    for (const r of Object.values(RBAC).flatMap((c) => [...c.cluster, ...c.namespaced])) {
      expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain("*");
    }
  });

  it("only the self-managed overlay lets the webhook touch its Secret and the caBundles, by name", () => {
    const names = (o: Obj): string[] =>
      ((o.rules ?? []) as { resourceNames?: string[] }[]).flatMap((r) => r.resourceNames ?? []);
    expect(certManager.some((o) => o.metadata.name.includes("self-managed"))).toBe(false);
    const cluster = find(selfManaged, "ClusterRole", "metallb-system:webhook-self-managed-tls");
    expect(names(cluster).sort()).toEqual([
      "bgppeers.metallb.io",
      "metallb-ts-service-assignment",
      "metallb-webhook-configuration",
    ]);
    for (const r of SELF_MANAGED_RBAC.cluster) expect(r.resourceNames?.length).toBeGreaterThan(0);
  });
});

describe("workloads", () => {
  it("the speaker runs the agreed command line with NET_RAW only, on the host network", () => {
    const ds = find(certManager, "DaemonSet", "speaker");
    const c = container(ds);
    expect(c.args).toEqual([
      "speaker",
      "--node-name=$(NODE_NAME)",
      "--namespace=metallb-system",
      "--metrics-port=7472",
      "--memberlist-port=7946",
      "--log-level=info",
    ]);
    expect(c.env).toEqual([
      { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
      // The heap sizing BENCHMARKS.md "l2" measured (runtime.ts).
      { name: "NODE_OPTIONS", value: "--max-semi-space-size=1 --max-old-space-size=128" },
      { name: "MALLOC_ARENA_MAX", value: "2" },
    ]);
    // The heartbeat key is mounted where --memberlist-key-file looks by default.
    expect(c.volumeMounts).toEqual([
      { name: "memberlist", mountPath: "/etc/ml_secret_key", readOnly: true },
    ]);
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"], add: ["NET_RAW"] },
    });
    expect(podSpec(ds).hostNetwork).toBe(true);
    const tolerated = (podSpec(ds).tolerations as { key: string }[]).map((t) => t.key);
    expect(tolerated).toContain("node-role.kubernetes.io/control-plane");
  });

  it("the controller runs with the heap sizing and malloc arenas the reconciler bench measured", () => {
    const c = container(find(certManager, "Deployment", "controller"));
    expect(c.env).toEqual([
      { name: "NODE_OPTIONS", value: "--max-old-space-size=160 --max-semi-space-size=8" },
      { name: "MALLOC_ARENA_MAX", value: "2" },
    ]);
  });

  it("the webhook: two replicas, a PodDisruptionBudget, readiness on /readyz over HTTPS, non-root", () => {
    const d = find(certManager, "Deployment", "metallb-webhook");
    expect((d.spec as { replicas: number }).replicas).toBe(2);
    expect(find(certManager, "PodDisruptionBudget", "metallb-webhook").spec).toMatchObject({
      minAvailable: 1,
    });
    expect(container(d).readinessProbe).toMatchObject({
      httpGet: { path: "/readyz", port: 9443, scheme: "HTTPS" },
    });
    expect(podSpec(d).securityContext).toMatchObject({ runAsNonRoot: true });
    const svc = find(certManager, "Service", NAMES.webhookService);
    expect(svc.spec).toMatchObject({ ports: [{ port: 443, targetPort: "webhook" }] });
  });
});

describe("TLS wiring", () => {
  it("cert-manager: the serving Secret is mounted and the CA injected into all three objects", () => {
    const d = find(certManager, "Deployment", "metallb-webhook");
    expect(podSpec(d).volumes).toEqual([
      { name: "cert", secret: { secretName: NAMES.webhookSecret } },
    ]);
    const inject = `metallb-system/${NAMES.webhookSecret}`;
    for (const [kind, name] of [
      ["ValidatingWebhookConfiguration", "metallb-webhook-configuration"],
      ["MutatingWebhookConfiguration", "metallb-ts-service-assignment"],
      ["CustomResourceDefinition", "bgppeers.metallb.io"],
    ] as const) {
      expect(find(certManager, kind, name).metadata.annotations).toEqual({
        "cert-manager.io/inject-ca-from": inject,
      });
    }
    const cert = find(certManager, "Certificate", NAMES.webhookSecret);
    expect((cert.spec as { dnsNames: string[] }).dnsNames).toContain(
      "metallb-webhook-service.metallb-system.svc",
    );
  });

  it("self-managed: no cert-manager object, the webhook runs with --self-managed-tls", () => {
    expect(selfManaged.some((o) => o.apiVersion === "cert-manager.io/v1")).toBe(false);
    expect(selfManaged.some((o) => o.metadata.annotations !== undefined)).toBe(false);
    const d = find(selfManaged, "Deployment", "metallb-webhook");
    expect(container(d).args).toContain("--self-managed-tls");
    expect(container(d).args).toContain(`--tls-secret=${SELF_MANAGED_SECRET_NAME}`);
    expect(NAMES.webhookSecret).toBe(SELF_MANAGED_SECRET_NAME);
    expect(NAMES.webhookService).toBe(WEBHOOK_SERVICE_NAME);
  });

  it("the webhook configurations are core/api's, pointing at the webhook Service", () => {
    const v = find(certManager, "ValidatingWebhookConfiguration", "metallb-webhook-configuration");
    const first = (v.webhooks as { clientConfig: Json }[])[0];
    expect(first?.clientConfig).toEqual({
      service: {
        name: NAMES.webhookService,
        namespace: "metallb-system",
        port: 443,
        path: validatePath("IPAddressPool"),
      },
    });
  });
});

describe("strategicMerge", () => {
  it("merges maps, named lists by name, and replaces other lists", () => {
    expect(
      strategicMerge(
        { a: 1, c: [{ name: "x", v: 1, args: ["p"] }, { name: "y" }], l: [1, 2] },
        { b: 2, c: [{ name: "x", args: ["q"] }, { name: "z" }], l: [3] },
      ),
    ).toEqual({
      a: 1,
      b: 2,
      c: [{ name: "x", v: 1, args: ["q"] }, { name: "y" }, { name: "z" }],
      l: [3],
    });
  });
});
