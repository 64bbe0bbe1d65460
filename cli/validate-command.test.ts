// `metallb-ts validate -f FILE|DIR`, run as the executable: exit codes, the
// one-line-per-problem format, what is read and what is skipped.
import { runMetallbTs } from "../test/run-metallb-ts.ts";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** A path inside a RegExp. */
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const lines = (text: string) => text.split("\n").filter((l) => l !== "");

// `<file>: <Kind>/<name>: <field>: <message> [<CODE>]`
const PROBLEM_LINE = /^(.+?): ([A-Za-z0-9]+)\/([^:]*): (\S+): (.*) \[([A-Z0-9_]+)\]$/;

const pool = (name: string, addresses: string[], namespace = "metallb-system") => `
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  addresses:
${addresses.map((a) => `    - ${a}`).join("\n")}
`;

const l2 = (name: string, pools: string[]) => `
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: ${name}
  namespace: metallb-system
spec:
  ipAddressPools: [${pools.join(", ")}]
`;

const service = `
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: LoadBalancer
  ports:
    - port: 80
`;

let root: string;
function write(path: string, text: string): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "metallb-ts-validate-"));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe.concurrent("metallb-ts validate", () => {
  it("exits 0 without output for a valid directory, other kinds and non-manifest files included", async () => {
    write("good/pool.yaml", `${pool("good-a", ["192.0.2.0/28"])}---${l2("good-l2", ["good-a"])}`);
    write("good/nested/deeper/pool-b.yml", pool("good-b", ["198.51.100.0/28", "2001:db8::/120"]));
    write(
      "good/app.yaml",
      `${service}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n`,
    );
    write("good/README.md", "not: [a manifest\n");
    const r = await runMetallbTs(["validate", "-f", join(root, "good")]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("exits 1 for a bad directory, one line per problem, each naming file, object, field and code", async () => {
    const a = write("bad/a.yaml", pool("bad-a", ["192.0.2.0/24"]));
    const b = write("bad/sub/b.yaml", pool("bad-b", ["192.0.2.128-192.0.2.140", "192.0.2.300/32"]));
    const r = await runMetallbTs(["validate", "-f", join(root, "bad")]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out).toHaveLength(2);
    for (const line of out) expect(line).toMatch(PROBLEM_LINE);
    expect(out).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^${esc(b)}: IPAddressPool/bad-b: spec\\.addresses\\[0\\]: .*overlaps.*bad-a.* \\[POOL_OVERLAP\\]$`,
        ),
      ),
    );
    expect(out).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^${esc(b)}: IPAddressPool/bad-b: spec\\.addresses\\[1\\]: invalid CIDR .* \\[POOL_INVALID_CIDR\\]$`,
        ),
      ),
    );
    expect(r.stdout).not.toContain(a);
  });

  it("recurses into directories (a problem three levels down is found)", async () => {
    const deep = write("deep/x/y/z/pool.yaml", pool("deep", ["192.0.2.20-192.0.2.10"]));
    write("deep/ok.yaml", pool("shallow", ["198.51.100.0/28"]));
    const r = await runMetallbTs(["validate", "-f", join(root, "deep")]);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${esc(deep)}: IPAddressPool/deep: spec\\.addresses\\[0\\]: .*\\[POOL_RANGE_REVERSED\\]$`,
        ),
      ),
    ]);
  });

  it("ignores documents that are not metallb.io, even ones that look wrong", async () => {
    const file = write(
      "others/mixed.yaml",
      `${service}---
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: frr
  namespace: elsewhere
spec:
  bgp: {routers: [{asn: 0}]}
---
apiVersion: example.com/v1
kind: IPAddressPool
metadata:
  name: not-ours
spec:
  addresses: [not-a-cidr]
`,
    );
    expect(await runMetallbTs(["validate", "-f", file])).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
  });

  it("reports unreadable YAML and missing paths as MANIFEST_UNREADABLE and still checks the rest", async () => {
    const broken = write(
      "broken/broken.yaml",
      "apiVersion: metallb.io/v1beta1\nkind: [IPAddressPool\n",
    );
    const checked = write("broken/sub/bad.yaml", pool("still-checked", ["192.0.2.0/33"]));
    const missing = join(root, "does-not-exist.yaml");
    const r = await runMetallbTs(["validate", "-f", join(root, "broken"), missing]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out).toHaveLength(3);
    expect(out).toContainEqual(
      expect.stringMatching(
        new RegExp(`^${esc(checked)}: IPAddressPool/still-checked: .*\\[POOL_INVALID_CIDR\\]$`),
      ),
    );
    expect(out).toContainEqual(
      expect.stringMatching(new RegExp(`^${esc(broken)}: .+ \\[MANIFEST_UNREADABLE\\]$`)),
    );
    expect(out).toContainEqual(
      expect.stringMatching(new RegExp(`^${esc(missing)}: .+ \\[MANIFEST_UNREADABLE\\]$`)),
    );
  });

  it("prints warnings on stderr only and exits 0 when there is no error", async () => {
    const file = write(
      "warn/pool.yaml",
      `${pool("host-bits", ["198.51.100.77/24"])}---${l2("warn-l2", ["host-bits", "not-yet"])}`,
    );
    const r = await runMetallbTs(["validate", "-f", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const err = lines(r.stderr);
    expect(err).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^${esc(file)}: IPAddressPool/host-bits: spec\\.addresses\\[0\\]: warning: .*198\\.51\\.100\\.0/24.* \\[POOL_HOST_BITS\\]$`,
        ),
      ),
    );
    expect(err).toContainEqual(
      expect.stringMatching(
        /L2Advertisement\/warn-l2: spec\.ipAddressPools\[1\]: warning: .*\[POOL_REFERENCE_MISSING\]$/,
      ),
    );
  });

  it("keeps errors on stdout and warnings on stderr when both occur", async () => {
    const file = write(
      "both/pools.yaml",
      `${pool("no-namespace", ["198.51.100.0/28"]).replace("  namespace: metallb-system\n", "")}---${pool("elsewhere", ["198.51.100.16/28"], "default")}`,
    );
    const r = await runMetallbTs(["validate", "-f", file]);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([
      `${file}: IPAddressPool/elsewhere: metadata.namespace: resource must be created in metallb-system namespace, not "default" [WRONG_NAMESPACE]`,
    ]);
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(
        /IPAddressPool\/no-namespace: metadata\.namespace: warning: .*\[NAMESPACE_UNSET\]$/,
      ),
    ]);
  });

  it("reports an object defined twice (a YAML file and a JSON List) as DUPLICATE_NAME", async () => {
    const first = write("dup/1.yaml", pool("twice", ["192.0.2.0/28"]));
    write(
      "dup/2.json",
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          {
            apiVersion: "metallb.io/v1beta1",
            kind: "IPAddressPool",
            metadata: { name: "twice", namespace: "metallb-system" },
            spec: { addresses: ["198.51.100.0/28"] },
          },
        ],
      }),
    );
    const r = await runMetallbTs(["validate", "-f", join(root, "dup")]);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${esc(join(root, "dup/2.json"))}: IPAddressPool/twice: metadata\\.name: .*${esc(first)}.* \\[DUPLICATE_NAME\\]$`,
        ),
      ),
    ]);
  });

  it("requires -f", async () => {
    const r = await runMetallbTs(["validate"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("--filename");
  });
});
