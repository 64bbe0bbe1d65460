// The HTTP endpoint every component serves (MetalLB's :7472): Prometheus
// /metrics from the component's own Registry, /healthz (the process answers)
// and /readyz (its caches are synced).
import type { Server } from "node:http";
import type { Registry } from "prom-client";

// Not `import { createServer } from "node:http"`: an ES import of node:http
// reads every export of the module, and Node 24 builds some of them (its
// WebSocket) from the bundled undici, 12 MB of RSS in every process that
// serves metrics and never uses it (docs/adr/0009-speaker-memory.md).
// getBuiltinModule hands over the module itself, whose exports stay lazy.
const { createServer } = process.getBuiltinModule("node:http");

export interface MetricsServerOptions {
  readonly port: number;
  readonly host?: string | undefined;
  readonly registry: Registry;
  /** Called before each scrape (e.g. to refresh gauges computed from a cache). */
  readonly beforeScrape?: (() => void) | undefined;
  readonly ready: () => boolean;
}

/** /metrics, /healthz (alive), /readyz (caches synced). */
export function startMetricsServer(options: MetricsServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      options.beforeScrape?.();
      options.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { "Content-Type": options.registry.contentType });
          res.end(text);
        })
        .catch((e: unknown) => {
          res.writeHead(500).end(String(e));
        });
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200).end("ok");
      return;
    }
    if (path === "/readyz") {
      const ready = options.ready();
      res.writeHead(ready ? 200 : 503).end(ready ? "ok" : "caches not synced");
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      resolve(server);
    });
  });
}
