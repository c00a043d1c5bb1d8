import type { ServiceDefinition, Logger, ServiceInstance, SubgraphConfig } from "@store/kit";
import { createRouter, loadRouterConfig, type Router } from "@store/router";
import { allServices } from "./services.ts";

export interface PlatformSecrets {
  routerSigningSecret: string;
  jwtSecret: string;
}

export interface ProvidedDatabase {
  url: string;
  close(): Promise<void>;
}

export interface StartPlatformOptions {
  /** @default allServices */
  services?: readonly ServiceDefinition[];
  /** A migrated database for a service (embedded PGlite, or a test database on PostgreSQL). */
  database(service: ServiceDefinition): Promise<ProvidedDatabase>;
  /** "default" listens on each service's own port (4001..4007, router 4000); "ephemeral" on free ports. */
  ports: "default" | "ephemeral";
  secrets: PlatformSecrets;
  /** Insert demo data after migrating. */
  seed: boolean;
  supergraphPath: string;
  logger: Logger;
  /** @default 10 */
  poolSize?: number;
  /** Extra router environment (limits, timeouts). */
  routerEnv?: Record<string, string>;
}

interface RunningService {
  definition: ServiceDefinition;
  instance: ServiceInstance;
  database: ProvidedDatabase;
  url: string;
  port: number;
  /** Closes the HTTP server only; Apollo Server and the database stay up. */
  close(): Promise<void>;
}

export interface Platform {
  routerUrl: string;
  router: Router;
  subgraphUrls: Record<string, string>;
  /** Stops one subgraph's HTTP server (its database stays), for failure tests. */
  stopSubgraph(name: string): Promise<void>;
  /** Starts a stopped subgraph again on the same port. */
  restartSubgraph(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts every subgraph and the router in this process: what `npm start`
 * runs, and what the end-to-end tests put their router in front of.
 */
export async function startPlatform(options: StartPlatformOptions): Promise<Platform> {
  const services = options.services ?? allServices;
  const running = new Map<string, RunningService>();
  let router: Router | undefined;

  const stopAll = async () => {
    await router?.stop();
    for (const service of [...running.values()].reverse()) {
      await service.instance.subgraph.stop().catch(() => {});
      await service.instance.dispose().catch(() => {});
      await service.database.close().catch(() => {});
    }
    running.clear();
  };

  const configFor = (definition: ServiceDefinition, url: string, port: number): SubgraphConfig => ({
    PORT: port,
    HOST: "127.0.0.1",
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: options.poolSize ?? 10,
    LOG_LEVEL: "info",
    ROUTER_SIGNING_SECRET: options.secrets.routerSigningSecret,
  });

  const listen = async (entry: Pick<RunningService, "instance">, port: number) =>
    entry.instance.subgraph.listen({ port, host: "127.0.0.1", routerSigningSecret: options.secrets.routerSigningSecret });

  try {
    // Databases first, in parallel: migrations dominate start-up time.
    const databases = await Promise.all(services.map(async (definition) => [definition, await options.database(definition)] as const));
    for (const [definition, database] of databases) {
      const logger = options.logger.child({ service: definition.name });
      const instance = await definition.create({
        config: configFor(definition, database.url, definition.defaultPort),
        env: { JWT_SECRET: options.secrets.jwtSecret },
        logger,
      });
      if (options.seed) await instance.seed();
      const entry = { definition, instance, database };
      const listening = await listen(entry, options.ports === "default" ? definition.defaultPort : 0);
      running.set(definition.name, { ...entry, url: listening.url, port: listening.port, close: listening.close });
    }
    const subgraphUrls = Object.fromEntries([...running.values()].map((s) => [s.definition.name, s.url]));
    const routerConfig = loadRouterConfig({
      PORT: options.ports === "default" ? "4000" : "0",
      SUPERGRAPH_PATH: options.supergraphPath,
      ROUTER_SIGNING_SECRET: options.secrets.routerSigningSecret,
      JWT_SECRET: options.secrets.jwtSecret,
      ...options.routerEnv,
      ...Object.fromEntries(Object.entries(subgraphUrls).map(([name, url]) => [`SUBGRAPH_${name.toUpperCase()}_URL`, url])),
    });
    router = createRouter({ config: routerConfig, logger: options.logger.child({ service: "router" }) });
    const { url: routerUrl } = await router.listen();
    return {
      routerUrl,
      router,
      subgraphUrls,
      async stopSubgraph(name) {
        const service = running.get(name);
        if (!service) throw new Error(`no subgraph named ${name}`);
        await service.close();
      },
      async restartSubgraph(name) {
        const service = running.get(name);
        if (!service) throw new Error(`no subgraph named ${name}`);
        const listening = await listen(service, service.port);
        service.close = listening.close;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
