import type { Logger } from "./logger.ts";
import type { SubgraphConfig } from "./config.ts";
import type { Subgraph } from "./createSubgraph.ts";

export interface ServiceCreateOptions {
  /** The shared subgraph environment contract, parsed. */
  config: SubgraphConfig;
  /** Raw environment, for a service's own extra variables (parse them with loadConfig). */
  env: Record<string, string | undefined>;
  logger: Logger;
}

export interface ServiceInstance {
  subgraph: Subgraph<any>;
  /** Inserts the demo data; idempotent. */
  seed(): Promise<void>;
  /** Releases what `create` opened (database pool, consumers), after the server stopped. */
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
  /** Folder holding prisma.config.ts and prisma/migrations. */
  prismaDir: string;
  create(options: ServiceCreateOptions): Promise<ServiceInstance> | ServiceInstance;
}
