import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { logIds } from "./tracing/propagation.ts";

export type { Logger };

export interface CreateLoggerOptions {
  /** Component name, e.g. "catalog" or "router". */
  name: string;
  /** @default "info" */
  level?: LoggerOptions["level"];
  /** @default standard output */
  destination?: DestinationStream;
}

/**
 * Structured JSON logs; one child logger per component and per request. A
 * line written inside a span carries its `trace_id` and `span_id`, so a log
 * line leads to its trace and back.
 */
export function createLogger({ name, level = "info", destination }: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => logIds() ?? {},
    redact: { paths: ["req.headers.authorization", "password", "*.password"], censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything: for tests that pass their own. */
export const silentLogger: Logger = pino({ level: "silent" });
