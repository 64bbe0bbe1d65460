// One structured JSON logger for every component (pino). Child loggers carry
// the component name, so `kubectl logs` lines say who spoke.
import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "silent"] as const;

export function createLogger(component: string, level: LevelWithSilent = "info"): Logger {
  return pino({
    level,
    base: { component },
    // BGP passwords and TLS keys never reach a log line.
    redact: ["password", "*.password", "key", "*.key"],
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
