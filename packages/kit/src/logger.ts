import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger };

export interface CreateLoggerOptions {
  /** Component name, e.g. "catalog" or "router". */
  name: string;
  /** @default "info" */
  level?: LoggerOptions["level"];
}

/** Structured JSON logs; one child logger per component and per request. */
export function createLogger({ name, level = "info" }: CreateLoggerOptions): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["req.headers.authorization", "password", "*.password"], censor: "[redacted]" },
  });
}

/** A logger that drops everything: for tests that pass their own. */
export const silentLogger: Logger = pino({ level: "silent" });
