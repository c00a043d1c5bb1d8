import { Registry, collectDefaultMetrics } from "prom-client";
import { createInProcessBus, createNatsBus, eventMetrics, PartitionCountMismatchError, type EventBus } from "@store/events";
import { ConfigError, loadConfig, subgraphConfigSchema } from "./config.ts";
import { createLogger } from "./logger.ts";
import { createReplayGuard } from "./replayGuard.ts";
import { onShutdown } from "./shutdown.ts";
import type { ServiceDefinition } from "./service.ts";
import { TracingConfigError } from "./tracing/sampler.ts";
import { startTracing } from "./tracing/startTracing.ts";

/** Exits with EX_CONFIG (78) and every bad variable named (OTEL_* ones too, and an EVENTS_PARTITIONS the stream disagrees with), instead of a stack trace. */
export async function orExitOnConfigError<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof TracingConfigError) && !(error instanceof PartitionCountMismatchError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(78);
  }
}

/** EVENTS_NAMESPACE as the bus's subject prefix: `staging` → `staging.` (subjects `staging.events.…`); none stays none. */
export const busNamespace = (namespace = ""): string => (namespace ? `${namespace}.` : "");

/**
 * The whole of a subgraph's `index.ts`: parse config, build, listen, stop on a
 * signal. Migrations are applied by `npm run migrate -- <name>`
 * before the process starts.
 */
export async function runService(service: ServiceDefinition, env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = await orExitOnConfigError(service.name, () => loadConfig(subgraphConfigSchema(service.defaultPort, {}), env));
  // OTEL_* variables (off unless an exporter is configured); a bad one exits 78 like any config error.
  const tracing = await orExitOnConfigError(service.name, () => startTracing({ service: service.name, env }));
  const logger = createLogger({ name: service.name, level: config.LOG_LEVEL });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Alone in its process, a service without NATS_URL has nobody to talk to
  // but itself; the in-process bus is for `npm start`, where all run together.
  const bus: EventBus = config.NATS_URL
    ? await orExitOnConfigError(service.name, () =>
        createNatsBus({
          url: config.NATS_URL!,
          name: service.name,
          logger,
          metrics: eventMetrics(registry),
          namespace: busNamespace(config.EVENTS_NAMESPACE),
          partitions: config.EVENTS_PARTITIONS,
        }),
      )
    : createInProcessBus({ logger });
  if (!config.NATS_URL) logger.warn("NATS_URL is not set: events stay in this process");
  const instance = await orExitOnConfigError(service.name, () => service.create({ config, env, logger, bus, registry, tracing }));
  instance.start();
  // With REDIS_URL, every instance of this subgraph shares one replay guard.
  const replayGuard = createReplayGuard({ redisUrl: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const running = await instance.subgraph.listen({
    port: config.PORT,
    host: config.HOST,
    routerSigningSecret: config.ROUTER_SIGNING_SECRET,
    signatureWindowMs: config.ROUTER_SIGNATURE_WINDOW_MS,
    replayGuard,
  });
  // Run in reverse: the guard closes after the server has drained; tracing
  // last, so the spans of what shutting down did are exported too.
  onShutdown([() => tracing.shutdown(), () => replayGuard.close(), () => bus.close(), () => instance.dispose(), () => instance.subgraph.stop()], { logger });
  logger.info({ url: running.url, tracing: tracing.enabled }, `${service.name} ready`);
}
