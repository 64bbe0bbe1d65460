// Helpers for cluster test files (vitest project `cluster`): access to the
// control plane that test/control-plane/vitest-global-setup.ts started, a
// kubectl of the same version, and per-test namespaces.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";
import { loadKubeConfig } from "../core/kube/kube-config.ts";
import { afterAll, beforeAll, inject } from "vitest";
import type { ProvidedControlPlane } from "./control-plane/provided-context.ts";

export function controlPlane(): ProvidedControlPlane {
  return inject("controlPlane");
}

/** A @kubernetes/client-node KubeConfig for the test cluster's admin user. */
export function kubeConfig(): KubeConfig {
  return loadKubeConfig(controlPlane().kubeconfig);
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (e.g. a manifest for `apply -f -`). */
  input?: string;
  /** Return a non-zero exit instead of throwing. */
  allowFailure?: boolean;
}

/**
 * Runs the kubectl built alongside the server against the test cluster.
 * The kubeconfig is passed explicitly so a developer's KUBECONFIG can never
 * point a test at a real cluster.
 */
export function kubectl(args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  const cp = controlPlane();
  const fullArgs = [`--kubeconfig=${cp.kubeconfig}`, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(cp.kubectl, fullArgs, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const result = { code: code ?? -1, stdout, stderr };
      if (result.code === 0 || opts.allowFailure) {
        resolve(result);
      } else {
        reject(
          new Error(
            `kubectl ${args.join(" ")} failed (${signal ?? `exit ${result.code}`}):\n${stderr.trim()}`,
          ),
        );
      }
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** A DNS-1123 label: `<prefix>-<random>`, at most 63 characters. */
export function uniqueName(prefix: string): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 50) || "t";
  return `${clean}-${randomBytes(4).toString("hex")}`;
}

export interface TestNamespace {
  name: string;
  /** Deletes the namespace without waiting: kube-controller-manager finishes it. */
  cleanup: () => Promise<void>;
}

export async function createTestNamespace(prefix = "test"): Promise<TestNamespace> {
  const name = uniqueName(prefix);
  await kubectl(["create", "namespace", name]);
  return {
    name,
    cleanup: async () => {
      await kubectl(["delete", "namespace", name, "--wait=false", "--ignore-not-found"]);
    },
  };
}

/**
 * Registers beforeAll/afterAll in the calling file or describe block and
 * returns the namespace's name through a getter (it exists only once
 * beforeAll has run).
 */
export function withNamespace(prefix = "test"): { readonly name: string } {
  let ns: TestNamespace | undefined;
  beforeAll(async () => {
    ns = await createTestNamespace(prefix);
  });
  afterAll(async () => {
    await ns?.cleanup();
  });
  return {
    get name(): string {
      if (!ns) throw new Error("withNamespace(): the namespace exists only inside tests/hooks");
      return ns.name;
    },
  };
}
