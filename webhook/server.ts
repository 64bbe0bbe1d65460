// The admission HTTPS server: express routes for the validating webhooks (at
// MetalLB's paths), BGPPeer conversion, and health. Stateless: every replica
// answers every request from the API's current state.
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { CONFIG_KINDS } from "../core/api/kinds.ts";
import { MUTATE_SERVICE_PATH, validatePath } from "../core/api/webhook-configurations.ts";
import { CONVERSION_PATH } from "../core/api/crd-manifests.ts";
import { apiErrorSummary } from "../core/api-errors.ts";
import { errorText, MetallbError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { ConfigSource } from "./config-source.ts";
import { conversionHandler } from "./conversion-handler.ts";
import { mutatingHandler, type MutatingOptions } from "./mutating-handler.ts";
import { WebhookMetrics } from "./webhook-metrics.ts";
import { readTls, reloadTlsOnChange, type TlsFiles } from "./tls-files.ts";
import { validatingHandler } from "./validating-handler.ts";

export interface WebhookServerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsFiles;
  readonly metallbNamespace: string;
  readonly configSource: ConfigSource;
  /** Service assignment; without it only validation and conversion are served. */
  readonly mutating?: MutatingOptions;
  /** /readyz answers 503 until this is true (e.g. the allocation view has synced). */
  readonly ready?: () => boolean;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly tlsReloadIntervalMs?: number;
  readonly metrics?: WebhookMetrics;
}

const MALFORMED = new Set(["ADMISSION_REVIEW_MALFORMED", "CONVERSION_REVIEW_MALFORMED"]);

export function createApp(
  options: Omit<WebhookServerOptions, "host" | "port" | "tls" | "signal">,
): Express {
  const app = express();
  const metrics = options.metrics ?? new WebhookMetrics();
  app.use((req, res, next) => {
    if (req.method !== "POST") {
      next();
      return;
    }
    const end = metrics.handlerSeconds.startTimer({ route: req.path });
    res.on("finish", () => end({ result: String(res.statusCode) }));
    next();
  });
  // The API server sends whole objects; MetalLB objects are small, but a
  // Service's oldObject+object can pass express's 100 kB default. Pepr uses 2 MB.
  app.use(express.json({ limit: "2mb" }));
  const validate = validatingHandler(options);
  for (const kind of CONFIG_KINDS) app.post(validatePath(kind), validate);
  app.post("/validate", validate);
  app.post(CONVERSION_PATH, conversionHandler());
  if (options.mutating !== undefined) {
    app.post(MUTATE_SERVICE_PATH, mutatingHandler({ ...options.mutating, metrics }));
  }
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  app.get("/readyz", (_req, res) => {
    const ready = options.ready?.() ?? true;
    res
      .status(ready ? 200 : 503)
      .type("text/plain")
      .send(ready ? "ok" : "not ready");
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const parseFailure = (err as { type?: unknown }).type === "entity.parse.failed";
    if (parseFailure || (err instanceof MetallbError && MALFORMED.has(err.code))) {
      const code = err instanceof MetallbError ? err.code : "REQUEST_BODY_NOT_JSON";
      res.status(400).json({ code, message: errorText(err) });
      return;
    }
    const code = err instanceof MetallbError ? err.code : "INTERNAL";
    options.log.error(
      { path: req.path, code, err: errorText(err), cause: causeText(err) },
      "request failed",
    );
    res.status(500).json({ code, message: errorText(err) });
  });
  return app;
}

function causeText(err: unknown): string | undefined {
  return err instanceof Error && err.cause !== undefined ? apiErrorSummary(err.cause) : undefined;
}

export interface RunningWebhook {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<RunningWebhook> {
  const tls = await readTls(options.tls);
  const server = createServer({ cert: tls.cert, key: tls.key }, createApp(options));
  // controller-runtime's webhook server timeouts, as Pepr copies them.
  server.keepAliveTimeout = 90_000;
  server.headersTimeout = 32_000;
  reloadTlsOnChange({
    server,
    files: options.tls,
    initial: tls,
    log: options.log,
    signal: options.signal,
    intervalMs: options.tlsReloadIntervalMs,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  options.log.info({ host: options.host, port }, "webhook listening");
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    });
  options.signal.addEventListener("abort", () => void close());
  return { server, port, close };
}
