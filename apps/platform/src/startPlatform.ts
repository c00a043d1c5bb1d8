import { Registry, collectDefaultMetrics } from "prom-client";
import { createInProcessBus, createNatsBus, eventMetrics, type EventBus } from "@store/events";
import { startTracing, type Logger, type ServiceDefinition, type ServiceInstance, type SpanStore, type SubgraphConfig, type Tracing } from "@store/kit";
import { createRouter, loadRouterConfig, type Router } from "@store/router";
import { allServices } from "./services.ts";

export interface PlatformSecrets {
  routerSigningSecret: string;
  jwtSecret: string;
}

export interface ProvidedDatabase {
  url: string;
  /**
   * Settles when the database may be used (migrated, started): the service is
   * built meanwhile, and seeded and started after. @default already
   */
  ready?: Promise<unknown>;
  close(): Promise<void>;
}

export interface StartPlatformOptions {
  /** @default allServices */
  services?: readonly ServiceDefinition[];
  /** A service's database (embedded PGlite, or a test database on PostgreSQL), migrated once `ready` settles. */
  database(service: ServiceDefinition): Promise<ProvidedDatabase>;
  /** "default" listens on each service's own port (4001..4007, router 4000); "ephemeral" on free ports. */
  ports: "default" | "ephemeral";
  secrets: PlatformSecrets;
  /** Insert demo data after migrating (into every service's database, or those the function names). */
  seed: boolean | ((service: string) => boolean);
  supergraphPath: string;
  logger: Logger;
  /** @default 10 */
  poolSize?: number;
  /** Settings every service gets over the defaults (e.g. database timeouts). */
  serviceConfig?: Partial<Pick<SubgraphConfig, "DATABASE_POOL_TIMEOUT_MS" | "DATABASE_TRANSACTION_WAIT_MS" | "DATABASE_TRANSACTION_TIMEOUT_MS" | "LOG_LEVEL" | "OUTBOX_LISTEN">>;
  /** Extra router environment (limits, timeouts). */
  routerEnv?: Record<string, string>;
  /**
   * Where events travel: the in-process bus (npm start), or NATS JetStream,
   * optionally namespaced so that test runs on one server stay apart.
   * @default { kind: "in-process" }
   */
  events?: { kind: "in-process" } | { kind: "nats"; url: string; namespace?: string; partitions?: number };
  /**
   * Tracing for the router and every service, each under its own
   * `service.name`: spans go to `store` (the status page's in-memory store)
   * and, when `env` sets OTEL_EXPORTER_OTLP_ENDPOINT, to that collector; the
   * sampler comes from `env` too. Without this option nothing is traced.
   */
  tracing?: { store?: SpanStore; env?: NodeJS.ProcessEnv };
  /** Called as each subgraph starts listening (npm start prints a line per service). */
  onServiceListening?: (service: string, url: string) => void;
}

interface ServiceEntry {
  definition: ServiceDefinition;
  database: ProvidedDatabase;
  instance?: ServiceInstance;
  registry: Registry;
  tracing?: Tracing;
  url?: string;
  port?: number;
  /** Closes the HTTP server only; Apollo Server, consumers and the database stay up. */
  close?: () => Promise<void>;
}

export interface Platform {
  routerUrl: string;
  router: Router;
  bus: EventBus;
  subgraphUrls: Record<string, string>;
  /** Each service's database URL (tests inspect outboxes and inboxes). */
  databaseUrls: Record<string, string>;
  /** Each service's Prometheus registry (also served at its /metrics). */
  registries: Record<string, Registry>;
  /** The span store the router and services write to, when tracing has one. */
  spanStore?: SpanStore | undefined;
  /** Exports every finished span of every service now (tests, before reading a collector). */
  flushTraces(): Promise<void>;
  /** Stops one subgraph's HTTP server (its database and consumers stay), for failure tests. */
  stopSubgraph(name: string): Promise<void>;
  /** Starts a stopped subgraph's HTTP server again on the same port. */
  restartSubgraph(name: string): Promise<void>;
  /**
   * Stops a whole service (HTTP, consumers, relay, database pool), as a crash
   * or deploy would; `startService` builds it again on the same database and port.
   */
  stopService(name: string): Promise<void>;
  startService(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts every subgraph and the router in this process: what `npm start`
 * runs, and what the end-to-end tests put their router in front of.
 * Order matters: every service subscribes before any outbox relay starts, so
 * no event is published before its consumers exist.
 */
export async function startPlatform(options: StartPlatformOptions): Promise<Platform> {
  const services = options.services ?? allServices;
  const entries: ServiceEntry[] = [];
  const events = options.events ?? { kind: "in-process" };
  let bus: EventBus | undefined;
  let router: Router | undefined;
  const tracingFor = (service: string): Tracing | undefined =>
    options.tracing ? startTracing({ service, ownServiceName: true, store: options.tracing.store, env: options.tracing.env ?? process.env }) : undefined;
  const routerTracing = tracingFor("router");

  const stop = async () => {
    await router?.stop();
    await routerTracing?.shutdown();
    for (const entry of [...entries].reverse()) await entry.instance?.subgraph.stop().catch(() => {});
    // Consumers and relays stop before the bus closes; databases last.
    for (const entry of [...entries].reverse()) await entry.instance?.dispose().catch(() => {});
    await bus?.close().catch(() => {});
    for (const entry of entries) await entry.tracing?.shutdown();
    for (const entry of entries) await entry.database.close().catch(() => {});
    entries.length = 0;
  };

  const configFor = (url: string, port: number): SubgraphConfig => ({
    PORT: port,
    HOST: "127.0.0.1",
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: options.poolSize ?? 10,
    LOG_LEVEL: "info",
    ROUTER_SIGNING_SECRET: options.secrets.routerSigningSecret,
    ...options.serviceConfig,
  });

  const listen = async (entry: ServiceEntry, port: number) => {
    const listening = await entry.instance!.subgraph.listen({ port, host: "127.0.0.1", routerSigningSecret: options.secrets.routerSigningSecret });
    entry.url = listening.url;
    entry.port = listening.port;
    entry.close = listening.close;
  };

  try {
    bus =
      events.kind === "nats"
        ? await createNatsBus({ url: events.url, name: "platform", logger: options.logger, namespace: events.namespace, partitions: events.partitions })
        : createInProcessBus({ logger: options.logger });

    const build = (entry: ServiceEntry) =>
      entry.definition.create({
        config: configFor(entry.database.url, entry.definition.defaultPort),
        env: { JWT_SECRET: options.secrets.jwtSecret },
        logger: options.logger.child({ service: entry.definition.name }),
        bus: bus!,
        registry: entry.registry,
        tracing: entry.tracing,
      });
    // Each service builds and seeds as soon as its own database is there,
    // beside the others: none waits on another's database.
    const prepared = await Promise.allSettled(
      services.map(async (definition) => {
        const entry: ServiceEntry = { definition, database: await options.database(definition), registry: new Registry(), tracing: tracingFor(definition.name) };
        entries.push(entry);
        const ready = Promise.resolve(entry.database.ready);
        ready.catch(() => {}); // awaited below, once built
        collectDefaultMetrics({ register: entry.registry, prefix: `${definition.name}_` });
        eventMetrics(entry.registry);
        entry.instance = await build(entry);
        await ready;
        if (typeof options.seed === "function" ? options.seed(definition.name) : options.seed) await entry.instance.seed();
      }),
    );
    const failed = prepared.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed) throw failed.reason;
    entries.sort((a, b) => services.indexOf(a.definition) - services.indexOf(b.definition));
    for (const entry of entries) entry.instance!.start();
    await Promise.all(
      entries.map(async (entry) => {
        await listen(entry, options.ports === "default" ? entry.definition.defaultPort : 0);
        options.onServiceListening?.(entry.definition.name, entry.url!);
      }),
    );

    const subgraphUrls = Object.fromEntries(entries.map((e) => [e.definition.name, e.url!]));
    const routerConfig = loadRouterConfig({
      PORT: options.ports === "default" ? "4000" : "0",
      SUPERGRAPH_PATH: options.supergraphPath,
      ROUTER_SIGNING_SECRET: options.secrets.routerSigningSecret,
      JWT_SECRET: options.secrets.jwtSecret,
      ...options.routerEnv,
      ...Object.fromEntries(Object.entries(subgraphUrls).map(([name, url]) => [`SUBGRAPH_${name.toUpperCase()}_URL`, url])),
    });
    router = createRouter({ config: routerConfig, logger: options.logger.child({ service: "router" }), tracing: routerTracing, spanStore: options.tracing?.store });
    const { url: routerUrl } = await router.listen();
    const entryOf = (name: string) => {
      const entry = entries.find((e) => e.definition.name === name);
      if (!entry) throw new Error(`no subgraph named ${name}`);
      return entry;
    };
    return {
      routerUrl,
      router,
      bus,
      subgraphUrls,
      databaseUrls: Object.fromEntries(entries.map((e) => [e.definition.name, e.database.url])),
      registries: Object.fromEntries(entries.map((e) => [e.definition.name, e.registry])),
      spanStore: options.tracing?.store,
      flushTraces: async () => {
        await Promise.all([routerTracing, ...entries.map((e) => e.tracing)].map((tracing) => tracing?.flush()));
      },
      stopSubgraph: async (name) => entryOf(name).close?.(),
      restartSubgraph: async (name) => {
        const entry = entryOf(name);
        await listen(entry, entry.port!);
      },
      stopService: async (name) => {
        const entry = entryOf(name);
        await entry.instance?.subgraph.stop();
        await entry.instance?.dispose();
        entry.instance = undefined;
      },
      startService: async (name) => {
        const entry = entryOf(name);
        if (entry.instance) throw new Error(`${name} is running`);
        entry.instance = await build(entry);
        entry.instance.start();
        await listen(entry, entry.port!);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
