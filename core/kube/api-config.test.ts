import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { stringify } from "yaml";
import { loadApiConfig, parseKubeconfig } from "./api-config.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A temporary directory removed when the test ends. */
function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "api-config-"));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "here",
    contexts: [
      { name: "elsewhere", context: { cluster: "other", user: "nobody" } },
      { name: "here", context: { cluster: "local", user: "admin" } },
    ],
    clusters: [
      { name: "other", cluster: { server: "https://10.0.0.1:6443" } },
      {
        name: "local",
        cluster: {
          server: "https://127.0.0.1:6443/",
          "certificate-authority-data": b64("CA"),
          ...cluster,
        },
      },
    ],
    users: [{ name: "admin", user }],
  });
}

describe("parseKubeconfig", () => {
  it("follows current-context to its cluster and user, with inline certificates", () => {
    const c = parseKubeconfig(
      kubeconfig({ "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") }),
      "/x/kubeconfig",
    );
    expect(c.server).toBe("https://127.0.0.1:6443");
    expect(c.ca?.toString()).toBe("CA");
    expect(c.cert?.toString()).toBe("CERT");
    expect(c.key?.toString()).toBe("KEY");
    expect(c.token()).toBeUndefined();
    expect(c.insecureSkipTlsVerify).toBe(false);
  });

  it("reads certificate files relative to the kubeconfig, and a token file", () => {
    const dir = scratchDir();
    writeFileSync(join(dir, "ca.crt"), "FILE-CA");
    writeFileSync(join(dir, "token"), "tok\n");
    const c = parseKubeconfig(
      kubeconfig(
        { tokenFile: join(dir, "token") },
        { "certificate-authority-data": undefined, "certificate-authority": "ca.crt" },
      ),
      join(dir, "kubeconfig"),
    );
    expect(c.ca?.toString()).toBe("FILE-CA");
    expect(c.token()).toBe("tok");
  });

  it("reads YAML as it reads JSON, and says what is wrong with text that is neither", () => {
    const json = kubeconfig({ token: "abc" });
    const yaml = stringify(JSON.parse(json));
    expect(yaml.trimStart().startsWith("{")).toBe(false);
    const fromYaml = parseKubeconfig(yaml, "/k");
    const fromJson = parseKubeconfig(json, "/k");
    expect({ ...fromYaml, token: fromYaml.token() }).toEqual({ ...fromJson, token: "abc" });
    expect(() => parseKubeconfig('{"current-context": "here"', "/k")).toThrow(
      "/k: neither YAML nor JSON",
    );
  });

  it("names the field and the file when the configuration cannot work", () => {
    expect(() => parseKubeconfig(kubeconfig({ exec: { command: "aws" } }), "/k")).toThrow(
      "/k: users[].user: exec and auth-provider plugins are not supported",
    );
    expect(() => parseKubeconfig('{"current-context": "nowhere", "contexts": []}', "/k")).toThrow(
      '/k: contexts: no entry named "nowhere"',
    );
  });
});

describe("loadApiConfig", () => {
  it("prefers --kubeconfig, then $KUBECONFIG, then the in-cluster ServiceAccount", () => {
    const dir = scratchDir();
    const file = join(dir, "kubeconfig");
    writeFileSync(file, kubeconfig({ token: "inline" }));
    expect(loadApiConfig(file, {}).token()).toBe("inline");
    expect(loadApiConfig(undefined, { KUBECONFIG: `${file}:/elsewhere` }).source).toBe(file);
    // In-cluster without the ServiceAccount files: the error names what is missing.
    expect(() => loadApiConfig(undefined, { KUBERNETES_SERVICE_HOST: "10.96.0.1" })).toThrow(
      /serviceaccount\/ca\.crt/,
    );
  });
});
