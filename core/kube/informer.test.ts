// The informer and the slim client against a scripted HTTPS API server: list,
// watch from the list's resourceVersion, resume after the server ends a watch,
// relist on 410 Gone (delivering the deletes it missed), and error statuses
// classified as core/api-errors.ts expects.
import { once } from "node:events";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiErrorKind } from "../api-errors.ts";
import { createLogger } from "../logger.ts";
import { issueCa, issueServing } from "../../webhook/self-managed-tls.ts";
import { ApiClient, ApiError } from "./api-client.ts";
import { Informer, type InformedObject } from "./informer.ts";

interface Thing extends InformedObject {
  metadata: { name: string; namespace: string; resourceVersion: string };
}

function thing(name: string, rv: number): Thing {
  return { metadata: { name, namespace: "ns", resourceVersion: String(rv) } };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let ca: string;
let handler: Handler = (_req, res) => res.end();
const requests: string[] = [];

beforeAll(async () => {
  const now = new Date();
  const authority = issueCa(now, 3_600_000);
  const serving = issueServing(authority, ["localhost"], now, 3_600_000);
  ca = authority.cert;
  server = createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    requests.push(req.url ?? "");
    handler(req, res);
  });
  server.listen(0, "localhost");
  await once(server, "listening");
}, 60_000);

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function client(): ApiClient {
  const { port } = server.address() as AddressInfo;
  return new ApiClient({
    server: `https://localhost:${String(port)}`,
    ca: Buffer.from(ca),
    cert: undefined,
    key: undefined,
    insecureSkipTlsVerify: false,
    token: () => "t0ken",
    source: "test",
  });
}

function informerOf(signal: AbortSignal, keep?: (o: Thing) => Thing): Informer<Thing> {
  return new Informer<Thing>({
    api: client(),
    path: "/things",
    log: createLogger("test", "silent"),
    signal,
    keep,
  });
}

function names(informer: Informer<Thing>): string[] {
  return informer
    .list()
    .map((o) => o.metadata.name)
    .sort();
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

describe("ApiClient", () => {
  it("sends the bearer token and classifies an error status by its Status object", async () => {
    let auth: string | undefined;
    handler = (req, res) => {
      auth = req.headers.authorization;
      json(res, 404, { kind: "Status", reason: "NotFound", message: 'secrets "x" not found' });
    };
    const e: unknown = await client()
      .call("GET", "/api/v1/namespaces/ns/secrets/x")
      .catch((err: unknown) => err);
    expect(auth).toBe("Bearer t0ken");
    expect(e).toBeInstanceOf(ApiError);
    expect(apiErrorKind(e)).toBe("NotFound");
    expect((e as Error).message).toContain('secrets "x" not found');
  });

  it("keeps a multi-byte character whole when a watch line arrives split between chunks", async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      const line = Buffer.from(
        `${JSON.stringify({ type: "ADDED", object: { metadata: { name: "ü" } } })}\n`,
      );
      const cut = line.indexOf(Buffer.from("ü")) + 1; // inside the two bytes of ü
      res.write(line.subarray(0, cut));
      setTimeout(() => res.end(line.subarray(cut)), 20);
    };
    const names: string[] = [];
    await client().watch<Thing>(
      "/things",
      {},
      (e) => names.push(e.object.metadata.name),
      new AbortController().signal,
    );
    expect(names).toEqual(["ü"]);
  });
});

describe("Informer", () => {
  it("lists, watches from the list's version, resumes, and relists on 410 with the deletes it missed", async () => {
    let lists = 0;
    let watches = 0;
    handler = (req, res) => {
      const url = new URL(req.url ?? "", "https://x");
      if (url.searchParams.get("watch") !== "true") {
        lists++;
        const items =
          lists === 1 ? [thing("a", 1), thing("b", 2)] : [thing("a", 11), thing("d", 20)];
        json(res, 200, { metadata: { resourceVersion: lists === 1 ? "10" : "21" }, items });
        return;
      }
      watches++;
      res.writeHead(200);
      const send = (type: string, object: unknown) =>
        res.write(`${JSON.stringify({ type, object })}\n`);
      if (watches === 1) {
        send("MODIFIED", thing("a", 11));
        send("DELETED", thing("b", 12));
        send("ADDED", thing("c", 13));
        send("BOOKMARK", { metadata: { resourceVersion: "14" } });
        // The stream outlives a second so it is not taken for a failing server.
        setTimeout(() => res.end(), 1100);
      } else if (watches === 2) {
        send("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old" });
        res.end();
      }
      // Later watches stay open until the test ends.
    };
    const stop = new AbortController();
    const informer = informerOf(stop.signal);
    const events: string[] = [];
    for (const ev of ["add", "update", "delete"] as const) {
      informer.on(ev, (o) => events.push(`${ev} ${o.metadata.name}`));
    }
    requests.length = 0;
    await informer.start();
    const deadline = Date.now() + 10_000;
    while (lists < 2 || watches < 3) {
      if (Date.now() > deadline)
        throw new Error(`lists ${String(lists)}, watches ${String(watches)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    stop.abort();
    expect(events).toEqual([
      "add a",
      "add b",
      "update a",
      "delete b",
      "add c",
      // the relist after 410: c is gone (a delete the watch never showed), d is new
      "add d",
      "delete c",
    ]);
    const watchVersions = requests
      .filter((r) => r.includes("watch=true"))
      .map((r) => new URL(r, "https://x").searchParams.get("resourceVersion"));
    expect(watchVersions).toEqual(["10", "14", "21"]);
    expect(names(informer)).toEqual(["a", "d"]);
    expect(informer.get("d", "ns")?.metadata.resourceVersion).toBe("20");
  }, 20_000);

  it("lists in pages of one snapshot and watches from the last page's version", async () => {
    requests.length = 0;
    const pages: (string | null)[] = [];
    let watched: string | null = null;
    handler = (req, res) => {
      const url = new URL(req.url ?? "", "https://x");
      if (url.searchParams.get("watch") === "true") {
        watched = url.searchParams.get("resourceVersion");
        res.writeHead(200); // stays open until the test ends
        return;
      }
      const token = url.searchParams.get("continue");
      pages.push(`${url.searchParams.get("limit") ?? "-"} ${token ?? "-"}`);
      const page = token === null ? 0 : Number(token);
      json(res, 200, {
        metadata: { resourceVersion: "30", ...(page < 2 ? { continue: String(page + 1) } : {}) },
        items: [thing(`p${String(page)}`, page + 1)],
      });
    };
    const stop = new AbortController();
    const informer = informerOf(stop.signal);
    await informer.start();
    const deadline = Date.now() + 10_000;
    while (requests.filter((r) => r.includes("watch=true")).length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    stop.abort();
    expect(pages).toEqual(["500 -", "500 1", "500 2"]);
    expect(watched).toBe("30");
    expect(names(informer)).toEqual(["p0", "p1", "p2"]);
  }, 20_000);

  it("hands handlers the whole object and caches what keep() leaves (default: all but managedFields)", async () => {
    const full = (name: string) => ({
      metadata: { name, namespace: "ns", resourceVersion: "1", managedFields: [{ manager: "m" }] },
      spec: { big: "x".repeat(100) },
    });
    handler = (req, res) => {
      if (new URL(req.url ?? "", "https://x").searchParams.get("watch") === "true") {
        res.writeHead(200);
        return;
      }
      json(res, 200, { metadata: { resourceVersion: "1" }, items: [full("a")] });
    };
    const stop = new AbortController();
    const reduced = informerOf(stop.signal, (o) => ({ metadata: o.metadata }));
    const seen: unknown[] = [];
    reduced.on("add", (o) => seen.push(structuredClone(o)));
    const plain = informerOf(stop.signal);
    await Promise.all([reduced.start(), plain.start()]);
    stop.abort();
    expect(seen).toEqual([full("a")]);
    expect(reduced.get("a", "ns")).toEqual({ metadata: full("a").metadata });
    const { managedFields: _m, ...withoutFields } = full("a").metadata;
    expect(plain.get("a", "ns")).toEqual({ ...full("a"), metadata: withoutFields });
  });
});
