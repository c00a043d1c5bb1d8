import type { z } from "zod";
import { ConfigError, loadConfig, type SubgraphConfig } from "./config.ts";
import { createLogger, type Logger } from "./logger.ts";
import { onShutdown, type Disposer } from "./shutdown.ts";
import type { Subgraph } from "./createSubgraph.ts";

export interface RunSubgraphOptions<C extends SubgraphConfig> {
  name: string;
  /** `subgraphConfigSchema(defaultPort, extraVariables)`. */
  config: z.ZodType<C>;
  /** Builds the subgraph from parsed config; returns what to dispose on shutdown. */
  create(config: C, logger: Logger): Promise<{ subgraph: Subgraph<any>; dispose: Disposer[] }>;
}

/**
 * The whole of a subgraph's `index.ts`: parse config (exit 78 with every bad
 * variable named), build, listen, stop on a signal.
 */
export async function runSubgraph<C extends SubgraphConfig>(options: RunSubgraphOptions<C>): Promise<void> {
  let config: C;
  try {
    config = loadConfig(options.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.name}: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger({ name: options.name, level: config.LOG_LEVEL });
  const { subgraph, dispose } = await options.create(config, logger);
  const running = await subgraph.listen({ port: config.PORT, host: config.HOST, routerSigningSecret: config.ROUTER_SIGNING_SECRET });
  onShutdown([...dispose, () => subgraph.stop()], { logger });
  logger.info({ url: running.url }, `${options.name} ready`);
}
