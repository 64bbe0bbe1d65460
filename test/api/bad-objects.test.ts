// Every fixture in test/fixtures/bad-objects/ is refused twice: by the API
// server with our webhook registered (kubectl apply fails with the expected
// text) and offline by `metallb-ts validate -f FILE` (exit 1, one line
// `FILE: Kind/name: field: message [CODE]`). The last document of a fixture is
// the one under test; the documents before it are prerequisites that must be
// accepted first. Expectations are comment lines at the top of each file:
//   # expect-code: POOL_OVERLAP          problem code in validate's output
//   # expect-message: overlaps           substring of kubectl's stderr and validate's line
//   # expect-kubectl: Required value     kubectl's text when the API server's own
//                                        schema/CEL refuses it before the webhook
import { REPO, runMetallbTs, type RunResult } from "../run-metallb-ts.ts";
import { availableParallelism } from "node:os";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { PROBLEM_CODES } from "../../core/validation/problem-codes.ts";
import { kubectl } from "../kube.ts";
import { clearMetallbNamespace, startTestWebhook, type TestWebhook } from "../webhook-harness.ts";

const FIXTURES = join(REPO, "test/fixtures/bad-objects");

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

interface BadObjectCase {
  readonly file: string;
  readonly name: string;
  readonly code: string;
  readonly message: string;
  /** What kubectl's stderr must contain (defaults to `message`). */
  readonly kubectlMessage: string;
  readonly prerequisites: readonly Manifest[];
  readonly subject: Manifest;
}

function header(text: string, key: string): string | undefined {
  const m = new RegExp(`^# expect-${key}: (.+)$`, "m").exec(text);
  return m?.[1]?.trim();
}

function loadCase(name: string): BadObjectCase {
  const file = join(FIXTURES, name);
  const text = readFileSync(file, "utf8");
  const docs = parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(`${name}: ${String(d.errors[0])}`);
    return d.toJS() as Manifest;
  });
  const subject = docs.at(-1);
  const code = header(text, "code");
  const message = header(text, "message");
  if (subject === undefined || code === undefined || message === undefined) {
    throw new Error(`${name}: needs a document and '# expect-code:' / '# expect-message:' lines`);
  }
  if (!Object.hasOwn(PROBLEM_CODES, code)) throw new Error(`${name}: unknown problem code ${code}`);
  return {
    file,
    name,
    code,
    message,
    kubectlMessage: header(text, "kubectl") ?? message,
    prerequisites: docs.slice(0, -1),
    subject,
  };
}

const CASES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map(loadCase);

/** Runs `validate` for every fixture in the background, a few at a time, while kubectl works. */
function startValidations(files: readonly string[]): Map<string, Promise<RunResult>> {
  let active = 0;
  const waiting: (() => void)[] = [];
  const slots = Math.max(2, availableParallelism());
  const limited = async (file: string): Promise<RunResult> => {
    if (active >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await runMetallbTs(["validate", "-f", file]);
    } catch (e: unknown) {
      return { code: -1, stdout: "", stderr: String(e) };
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
  return new Map(files.map((f) => [f, limited(f)]));
}

// `<file>: <Kind>/<name>: <field>: <message> [<CODE>]`
const LINE =
  /^(?<file>.+?): (?<kind>[A-Za-z0-9]+)\/(?<name>[^:]*): (?<field>\S+): (?<message>.*) \[(?<code>[A-Z0-9_]+)\]$/;

let hook: TestWebhook;
let validations: Map<string, Promise<RunResult>>;
/** Something may exist in the cluster that the next case must not see. */
let dirty: Manifest[] | undefined;

beforeAll(async () => {
  validations = startValidations(CASES.map((c) => c.file));
  hook = await startTestWebhook();
  await clearMetallbNamespace();
});
afterAll(async () => {
  await clearMetallbNamespace();
  await hook.stop();
});
afterEach(async () => {
  if (dirty === undefined) return;
  const leftovers = dirty.filter((m) => m.metadata.namespace !== "metallb-system");
  dirty = undefined;
  await clearMetallbNamespace();
  if (leftovers.length > 0) {
    await kubectl(["delete", "--ignore-not-found", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "List", items: leftovers }),
    });
  }
});

describe("bad objects are refused by the API server and by metallb-ts validate", () => {
  it("has at least 45 fixtures", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(45);
  });

  for (const c of CASES) {
    it(c.name, () => checkCase(c));
  }
});

async function checkCase(c: BadObjectCase): Promise<void> {
  if (c.prerequisites.length > 0) {
    dirty = [...c.prerequisites];
    const pre = await kubectl(["apply", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "List", items: c.prerequisites }),
      allowFailure: true,
    });
    expect(pre.code, `prerequisites of ${c.name} must be accepted:\n${pre.stderr}`).toBe(0);
  }

  const r = await kubectl(["apply", "-f", "-"], {
    input: JSON.stringify(c.subject),
    allowFailure: true,
  });
  if (r.code === 0) dirty = [...(dirty ?? []), c.subject];
  expect(r.code, `kubectl accepted ${c.name}:\n${r.stdout}${r.stderr}`).not.toBe(0);
  expect(r.stderr).toContain(c.kubectlMessage);
  if (r.stderr.includes("admission webhook")) {
    // Our webhook answered: it names the object and the problem code.
    expect(r.stderr).toContain("denied the request");
    expect(r.stderr).toContain(`${c.subject.kind} "${c.subject.metadata.name}"`);
    expect(r.stderr).toContain(`[${c.code}]`);
  }

  const v = await validations.get(c.file);
  expect(v?.code, `validate ${c.name}:\n${v?.stdout ?? ""}${v?.stderr ?? ""}`).toBe(1);
  const lines = (v?.stdout ?? "").split("\n").filter((l) => l !== "");
  expect(lines.length, v?.stderr).toBeGreaterThan(0);
  for (const line of lines) {
    const m = LINE.exec(line);
    expect(m, `not 'file: Kind/name: field: message [CODE]': ${line}`).not.toBeNull();
    // Every error is about the document under test: the prerequisites are valid.
    expect(m?.groups).toMatchObject({
      file: c.file,
      kind: c.subject.kind,
      name: c.subject.metadata.name,
    });
  }
  expect(
    lines.some((l) => l.endsWith(` [${c.code}]`) && l.includes(c.message)),
    `no line with [${c.code}] and "${c.message}":\n${lines.join("\n")}`,
  ).toBe(true);
}

// Rules a single apply cannot show: a DELETE and an UPDATE.
describe("denials that need an existing object", () => {
  const peer = (enableGracefulRestart: boolean, bfdProfile?: string) => ({
    apiVersion: "metallb.io/v1beta2",
    kind: "BGPPeer",
    metadata: { name: "lifecycle-peer", namespace: "metallb-system" },
    spec: {
      myASN: 64512,
      peerASN: 64513,
      peerAddress: "192.0.2.1",
      enableGracefulRestart,
      ...(bfdProfile === undefined ? {} : { bfdProfile }),
    },
  });

  it("refuses to delete a BFDProfile a BGPPeer uses, and allows it once the peer is gone", async () => {
    dirty = [];
    const profile = {
      apiVersion: "metallb.io/v1beta1",
      kind: "BFDProfile",
      metadata: { name: "in-use-profile", namespace: "metallb-system" },
      spec: { detectMultiplier: 3 },
    };
    await kubectl(["apply", "-f", "-"], { input: JSON.stringify(profile) });
    await kubectl(["apply", "-f", "-"], { input: JSON.stringify(peer(false, "in-use-profile")) });
    const denied = await kubectl(
      ["delete", "bfdprofiles.metallb.io", "in-use-profile", "-n", "metallb-system"],
      { allowFailure: true },
    );
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("denied the request");
    expect(denied.stderr).toContain('failed to delete BFDProfile "in-use-profile"');
    expect(denied.stderr).toContain('BGPPeer "lifecycle-peer"');
    expect(denied.stderr).toContain("[BFD_PROFILE_IN_USE]");

    await kubectl(["delete", "bgppeers.metallb.io", "lifecycle-peer", "-n", "metallb-system"]);
    await kubectl(["delete", "bfdprofiles.metallb.io", "in-use-profile", "-n", "metallb-system"]);
  });

  it("refuses an UPDATE of a BGPPeer that changes enableGracefulRestart (CEL transition rule)", async () => {
    dirty = [];
    await kubectl(["apply", "-f", "-"], { input: JSON.stringify(peer(false)) });
    const r = await kubectl(["apply", "-f", "-"], {
      input: JSON.stringify(peer(true)),
      allowFailure: true,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("EnableGracefulRestart cannot be changed after creation");
    // Other fields of the same peer may still change.
    const same = { ...peer(false), spec: { ...peer(false).spec, holdTime: "9s" } };
    await kubectl(["apply", "-f", "-"], { input: JSON.stringify(same) });
  });
});
