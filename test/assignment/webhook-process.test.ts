// `metallb-ts webhook` as users run it: a process with flags, serving
// assignment and validation, and leaving on SIGTERM.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { controlPlane, kubectl, withNamespace } from "../kube.ts";
import {
  applyCrds,
  clearMetallbNamespace,
  registerWebhooks,
  unregisterWebhooks,
} from "../webhook-harness.ts";
import { startWebhookChild } from "../webhook-child.ts";

const repo = join(import.meta.dirname, "..", "..");
let child: ChildProcess;
let port = 0;
const ns = withNamespace("cli-webhook");

beforeAll(async () => {
  const cp = controlPlane();
  await applyCrds();
  ({ child, port } = await startWebhookChild(cp, await readFile(cp.caCert)));
  const url = `https://127.0.0.1:${String(port)}`;
  await applyCrds(url);
  await registerWebhooks(url);
});

afterAll(async () => {
  await unregisterWebhooks();
  await kubectl(["delete", "services", "--all", "-n", ns.name]);
  await clearMetallbNamespace();
  if (child.exitCode === null) child.kill("SIGKILL");
});

it("assigns an IP in the create response and validates pools, as a process", async () => {
  await kubectl(["apply", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: "cli", namespace: "metallb-system" },
      spec: { addresses: ["203.0.113.64/30"] },
    }),
  });
  const svc = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web" },
    spec: { type: "LoadBalancer", selector: { app: "web" }, ports: [{ port: 80 }] },
  };
  let ips: string | undefined;
  // Registration reaches the API server's webhook cache asynchronously.
  for (let i = 0; ips === undefined && i < 50; i++) {
    const r = await kubectl(
      ["create", "-n", ns.name, "--dry-run=server", "-o", "json", "-f", "-"],
      {
        input: JSON.stringify(svc),
      },
    );
    ips = (JSON.parse(r.stdout) as { metadata: { annotations?: Record<string, string> } }).metadata
      .annotations?.["metallb.io/allocated-ips"];
    if (ips === undefined) await sleep(200);
  }
  expect(ips).toBe("203.0.113.64");
  const created = await kubectl(["create", "-n", ns.name, "-o", "json", "-f", "-"], {
    input: JSON.stringify(svc),
  });
  expect(created.stdout).toContain('"metallb.io/allocated-ips": "203.0.113.64"');
  const overlap = await kubectl(["apply", "-f", "-"], {
    allowFailure: true,
    input: JSON.stringify({
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: "cli-overlap", namespace: "metallb-system" },
      spec: { addresses: ["203.0.113.65/32"] },
    }),
  });
  expect(overlap.stderr).toContain("[POOL_OVERLAP]");
});

it("stops on SIGTERM", async () => {
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  expect(await Promise.race([exited, sleep(10_000).then(() => "timeout")])).toBe(0);
});

it("explains every flag in --help", async () => {
  const help = await new Promise<string>((resolve) => {
    const p = spawn(process.execPath, [join(repo, "bin/metallb-ts.js"), "webhook", "--help"]);
    let out = "";
    p.stdout.on("data", (c: Buffer) => (out += c.toString()));
    p.on("close", () => {
      resolve(out);
    });
  });
  for (const flag of [
    "--port",
    "--tls-cert",
    "--namespace",
    "--no-assign",
    "--lb-class",
    "--service-ip-families",
  ]) {
    expect(help).toContain(flag);
  }
});
