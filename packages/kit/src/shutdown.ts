import type { Logger } from "./logger.ts";

export type Disposer = () => Promise<void> | void;

export interface ShutdownOptions {
  logger: Logger;
  /** Hard limit for a graceful stop; past it the process exits non-zero. @default 10000 */
  timeoutMs?: number;
}

/**
 * Runs the disposers in reverse order of registration on SIGINT/SIGTERM (stop
 * accepting work first, close the database last), then exits.
 */
export function onShutdown(disposers: Disposer[], { logger, timeoutMs = 10_000 }: ShutdownOptions): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, "graceful shutdown timed out");
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    let failed = false;
    for (const dispose of [...disposers].reverse()) {
      try {
        await dispose();
      } catch (error) {
        failed = true;
        logger.error({ err: error }, "error while shutting down");
      }
    }
    clearTimeout(timer);
    logger.info("stopped");
    process.exit(failed ? 1 : 0);
  };
  process.once("SIGINT", (s) => void stop(s));
  process.once("SIGTERM", (s) => void stop(s));
}
