import type { EventBus } from "@store/events";
import type { Registry } from "prom-client";
import type { Logger } from "./logger.ts";
import type { SubgraphConfig } from "./config.ts";
import type { Subgraph } from "./createSubgraph.ts";
import type { Tracing } from "./tracing/startTracing.ts";

export interface ServiceCreateOptions {
  /** The shared subgraph environment contract, parsed. */
  config: SubgraphConfig;
  /** Raw environment, for a service's own extra variables (parse them with loadConfig). */
  env: Record<string, string | undefined>;
  logger: Logger;
  /** The event bus (NATS JetStream, or in process); shared by every service in one process. */
  bus: EventBus;
  /** This service's Prometheus registry, served at /metrics. */
  registry: Registry;
  /** This service's tracing (its own `service.name`); absent or disabled means no spans. */
  tracing?: Tracing;
}

export interface ServiceInstance {
  subgraph: Subgraph<any>;
  /** Inserts the demo data; idempotent. */
  seed(): Promise<void>;
  /**
   * Starts publishing from the outbox. Called once every service on the bus
   * has subscribed, so the in-process bus has no event without its consumers.
   */
  start(): void;
  /** Stops consumers and the relay, then releases the database pool; after the server stopped. */
  dispose(): Promise<void>;
}

/**
 * What a subgraph tells the outside world about itself, so one runner serves
 * `npm start` (all services in one process), `npm run start:subgraph -- <name>`
 * and the tests alike.
 */
export interface ServiceDefinition {
  name: string;
  defaultPort: number;
  /** The subgraph's folder, holding prisma/schema.prisma and prisma/migrations: where the Prisma CLI runs. */
  prismaDir: string;
  create(options: ServiceCreateOptions): Promise<ServiceInstance> | ServiceInstance;
}
