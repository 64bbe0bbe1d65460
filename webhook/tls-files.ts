// Serving certificate from files, reloaded when they change so a renewed
// certificate (cert-manager, or a rotated Secret volume) is served without a
// restart (server.setSecureContext).
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Server } from "node:https";
import type { Logger } from "../core/logger.ts";
import { errorText, MetallbError } from "../core/errors.ts";

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly fingerprint: string;
}

export async function readTls(files: TlsFiles): Promise<TlsMaterial> {
  try {
    const [cert, key] = await Promise.all([readFile(files.certFile), readFile(files.keyFile)]);
    const fingerprint = createHash("sha256").update(cert).update(key).digest("hex");
    return { cert, key, fingerprint };
  } catch (e: unknown) {
    throw new MetallbError(
      "TLS_FILES_UNREADABLE",
      `reading TLS certificate ${files.certFile} / key ${files.keyFile}: ${errorText(e)}`,
      { cause: e },
    );
  }
}

/**
 * Polls rather than fs.watch: Secret volumes swap a symlinked directory, which
 * inotify watches on the files miss. 10 s is far below any renewal window.
 */
export interface TlsReload {
  readonly server: Server;
  readonly files: TlsFiles;
  readonly initial: TlsMaterial;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly intervalMs?: number | undefined;
}

export function reloadTlsOnChange(options: TlsReload): void {
  const { server, files, log, signal } = options;
  let current = options.initial.fingerprint;
  const timer = setInterval(() => {
    readTls(files).then(
      (next) => {
        if (next.fingerprint === current) return;
        server.setSecureContext({ cert: next.cert, key: next.key });
        current = next.fingerprint;
        log.info({ certFile: files.certFile }, "serving certificate reloaded");
      },
      (e: unknown) => {
        log.warn({ err: errorText(e) }, "keeping the previous certificate");
      },
    );
  }, options.intervalMs ?? 10_000);
  timer.unref();
  signal.addEventListener("abort", () => {
    clearInterval(timer);
  });
}
