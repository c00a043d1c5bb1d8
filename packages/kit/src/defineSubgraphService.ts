import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { PrismaPg } from "@prisma/adapter-pg";
import { createServiceEvents, type Consumer, type EventBus, type EventEnvelope, type EventType, type OutboxListener, type ServiceEvents, type SqlClient, type TransactionalClient } from "@store/events";
import { createOutboxListener } from "./outboxListener.ts";
import type { Registry } from "prom-client";
import type { z } from "zod";
import { loadConfig, type SubgraphConfig } from "./config.ts";
import { createSubgraph, type RequestContextBase, type Subgraph, type SubgraphResolvers } from "./createSubgraph.ts";
import { loadTypeDefs } from "./loadTypeDefs.ts";
import type { Logger } from "./logger.ts";
import { createPgAdapterAndPool, databaseOptions, transactionOptions, type DatabaseOptions } from "./prisma.ts";
import { rememberPool, sqlOutsideTransactions } from "./poolSql.ts";
import type { ServiceDefinition, ServiceInstance } from "./service.ts";
import { countDeadLetters, createStatusCheck } from "./subgraphStatus.ts";
import { createLiveEvents, type LiveEvents } from "./subscriptions.ts";
import type { Tracing } from "./tracing/startTracing.ts";

/** What the kit hands a subgraph's generated `PrismaClient` constructor. */
export interface SubgraphPrismaOptions {
  adapter: PrismaPg;
  transactionOptions: { maxWait: number; timeout: number };
  /** Query events are always emitted: tests count them, and they cost nothing unheard. */
  log: { emit: "event"; level: "query" }[];
}

/** The part of a subgraph's Prisma client the kit relies on. */
export interface SubgraphDb extends TransactionalClient<any> {
  $disconnect(): Promise<void>;
}

/** The client an interactive transaction hands its callback, read off the Prisma client's own `$transaction`. */
export type TxOf<TDb extends SubgraphDb> = TDb extends { $transaction(fn: (tx: infer Tx extends SqlClient) => any, ...rest: any[]): any } ? Tx : never;

/**
 * What a subgraph's context factory and its event handlers are given: its
 * database, its events (outbox, relay, consumers), the bus's live view for
 * subscriptions, a logger, and the resources it declared, spread in.
 * Handlers get a logger of their consumer's own (`consumer: "<service>-<name>"`).
 */
export type ServiceDeps<TDb extends SubgraphDb, TResources extends object = {}> = {
  prisma: TDb;
  events: ServiceEvents<TxOf<TDb>>;
  live: LiveEvents;
  logger: Logger;
} & TResources;

/** A handler per event type: runs in the event's inbox transaction `tx`. */
export type ConsumerHandlers<TTx, TDeps> = { [T in EventType]?: (event: EventEnvelope<T>, tx: TTx, deps: TDeps) => Promise<void> };

/** A step per event type that runs before the inbox transaction opens, outside any (see BeforeTransactionSteps in @store/events). */
export type ConsumerBeforeTransaction<TDeps> = { [T in EventType]?: (event: EventEnvelope<T>, deps: TDeps) => Promise<void> };

/** One durable consumer, `<service>-<name>`: the events it handles, and how. */
export interface ConsumerDeclaration<TTx, TDeps> {
  handlers: ConsumerHandlers<TTx, TDeps>;
  beforeTransaction?: ConsumerBeforeTransaction<TDeps>;
}

/** What a service's `resources` factory is given. */
export interface ResourceSetup<TEnv> {
  config: SubgraphConfig;
  /** The service's own variables, parsed with its `env` schema. */
  env: TEnv;
  logger: Logger;
  /** Registers a clean-up for dispose(), run after the consumers, relay and database pool have stopped (the last registered first). */
  onDispose(dispose: () => unknown): void;
}

/** What a subgraph declares about itself; the kit builds everything else from it. */
export interface SubgraphServiceDeclaration<TDb extends SubgraphDb, TContext extends RequestContextBase, TEnv extends object, TResources extends object> {
  /** Subgraph name as in supergraph.yaml; also the event source and the consumers' prefix. */
  name: string;
  /** PORT when the environment sets none. */
  defaultPort: number;
  /**
   * The subgraph's SDL, `new URL("../schema.graphql", import.meta.url)`. Its
   * folder is the subgraph's, holding `prisma/schema.prisma` and `prisma/migrations`.
   */
  schema: URL;
  /** The subgraph's generated `PrismaClient` class. */
  PrismaClient: new (options: SubgraphPrismaOptions) => TDb;
  resolvers: SubgraphResolvers<NoInfer<TContext>>;
  /** Builds a request's context (per-request DataLoaders live here). */
  context(deps: NoInfer<ServiceDeps<TDb, TResources>>, base: RequestContextBase): TContext;
  /** Inserts the demo data; idempotent. */
  seed(prisma: TDb): Promise<void>;
  /**
   * The durable consumers by name, each subscribed before any relay starts
   * publishing, so no event goes out unheard.
   * @default {} (the service only emits)
   */
  consumers?: Record<string, ConsumerDeclaration<NoInfer<TxOf<TDb>>, NoInfer<ServiceDeps<TDb, TResources>>>>;
  /**
   * Variables of the service's own beyond the shared contract, parsed before
   * anything is opened: a bad one exits with a config error naming it and
   * leaks no pool.
   */
  env?: z.ZodType<TEnv>;
  /** What the service owns besides its database and events, built once per process; spread into the context's and handlers' deps. */
  resources?(setup: ResourceSetup<TEnv>): TResources;
}

/** What a caller that owns the database, bus and logger (a test) builds a subgraph from. */
export interface SubgraphServiceDeps<TDb extends SubgraphDb> {
  prisma: TDb;
  bus: EventBus;
  logger: Logger;
  /** Outbox and consumer metrics go here when given, and it is served at /metrics. */
  registry?: Registry;
  /** Events held per subscriber before it is ended with SUBSCRIPTION_OVERFLOW. @default 100 */
  subscriptionQueue?: number;
  /** How often the outbox relay looks for unpublished events. @default 500 */
  pollIntervalMs?: number;
  /** Wakes the relay when another instance writes events (LISTEN); with it, the relay's poll is a slow safety net. @default none */
  outboxListener?: OutboxListener;
  /** Events each consumer handles at once (every handler holds a database connection). @default one per partition */
  consumerConcurrency?: number;
  /**
   * The service's tracing, for its request, resolver and event spans. Database
   * spans come from the Prisma client: build it with `createPrisma({ tracing })`.
   * @default disabled
   */
  tracing?: Tracing;
  /** How long each `/status` check may take. @default STATUS_CHECK_TIMEOUT_MS (1 s) */
  statusTimeoutMs?: number;
}

/** The resources are the caller's to give when the service declares any. */
export type SubgraphBuildDeps<TDb extends SubgraphDb, TResources extends object> = SubgraphServiceDeps<TDb> & ({} extends TResources ? { resources?: TResources } : { resources: TResources });

/** A subgraph built from given deps: it never listens, subscribes or publishes until told to. */
export interface SubgraphParts<TDb extends SubgraphDb, TContext extends RequestContextBase> {
  subgraph: Subgraph<TContext>;
  /** Outbox, relay and consumers; the relay publishes once `events.start()` is called. */
  events: ServiceEvents<TxOf<TDb>>;
  /** Subscribes the declared consumers, in declaration order. */
  subscribe(): Promise<Consumer[]>;
}

export interface CreatePrismaOptions extends DatabaseOptions {
  url: string;
  /** Makes each SQL statement run inside a recording span a CLIENT span. @default disabled */
  tracing?: Tracing | undefined;
}

/** A subgraph's service: what `runService` and the platform run, plus what tests build it from. */
export interface SubgraphService<TDb extends SubgraphDb, TContext extends RequestContextBase, TResources extends object> extends ServiceDefinition {
  /** Its Prisma client on the kit's pg adapter, pool and transaction limits; the caller disconnects it. */
  createPrisma(options: CreatePrismaOptions): TDb;
  /** Builds the subgraph around deps the caller owns and disposes of. */
  build(deps: SubgraphBuildDeps<TDb, TResources>): SubgraphParts<TDb, TContext>;
}

/**
 * Turns a subgraph's declaration into its service: the Prisma client, the
 * events runtime, the consumers, the subgraph, and the life cycle the runner
 * drives (`create` subscribes, `start` publishes, `dispose` releases).
 */
export function defineSubgraphService<TDb extends SubgraphDb, TContext extends RequestContextBase, TEnv extends object = {}, TResources extends object = {}>(
  declaration: SubgraphServiceDeclaration<TDb, TContext, TEnv, TResources>,
): SubgraphService<TDb, TContext, TResources> {
  const { name, PrismaClient } = declaration;
  const typeDefs = loadTypeDefs(declaration.schema);
  const consumers = Object.entries(declaration.consumers ?? {});

  const createPrisma = ({ url, tracing, ...database }: CreatePrismaOptions): TDb => {
    const { adapter, pool } = createPgAdapterAndPool({ connectionString: url, ...database, tracing });
    const prisma = new PrismaClient({ adapter, transactionOptions: transactionOptions(database), log: [{ emit: "event", level: "query" }] });
    // The relay's own statements go on this pool directly (poolSql.ts), so it
    // may hold connections while Prisma has never connected: Prisma then ends
    // nothing on $disconnect, and the pool is ended here.
    rememberPool(prisma, pool);
    const disconnect = prisma.$disconnect.bind(prisma);
    prisma.$disconnect = async () => {
      await disconnect();
      if (!pool.ending) await pool.end();
    };
    return prisma;
  };

  const build = ({ prisma, bus, logger, registry, subscriptionQueue, pollIntervalMs, outboxListener, consumerConcurrency, tracing, statusTimeoutMs, resources }: SubgraphServiceDeps<TDb> & { resources?: TResources }): SubgraphParts<TDb, TContext> => {
    const events = createServiceEvents<TxOf<TDb>>({
      service: name,
      db: prisma,
      relayDb: sqlOutsideTransactions(prisma),
      bus,
      logger,
      registry,
      pollIntervalMs,
      listener: outboxListener,
      consumerConcurrency,
      ...(tracing?.enabled ? { tracer: tracing.tracer } : {}),
    });
    const live = createLiveEvents(bus, { maxQueue: subscriptionQueue, logger: logger.child({ component: "subscriptions" }) });
    const deps = { prisma, events, live, logger, ...resources } as ServiceDeps<TDb, TResources>;
    const subscribed = new Map<string, Consumer>();
    const status = createStatusCheck({
      service: name,
      ...(statusTimeoutMs === undefined ? {} : { timeoutMs: statusTimeoutMs }),
      database: () => prisma.$queryRawUnsafe("SELECT 1"),
      bus,
      outboxPending: () => events.relay.pending(),
      // Every declared consumer, subscribed or not yet: one missing shows as a lag that cannot be read.
      consumers: () =>
        consumers.map(([consumer]) => {
          const running = subscribed.get(`${name}-${consumer}`);
          return { name: `${name}-${consumer}`, lag: running && (() => running.lag()) };
        }),
      deadLetters: () => countDeadLetters({ service: name, registry, bus }),
    });
    const subgraph = createSubgraph<TContext>({
      name,
      typeDefs,
      resolvers: declaration.resolvers,
      logger,
      registry,
      createContext: (base) => declaration.context(deps, base),
      ready: async () => {
        await prisma.$queryRawUnsafe("SELECT 1");
      },
      status,
      ...(tracing ? { tracing } : {}),
    });
    const subscribe = async () => {
      const started: Consumer[] = [];
      for (const [consumer, { handlers, beforeTransaction }] of consumers) {
        const consumerDeps = { ...deps, logger: logger.child({ consumer: `${name}-${consumer}` }) };
        const running = await events.subscribe(consumer, withDeps(handlers, consumerDeps), beforeTransaction ? { beforeTransaction: withDeps(beforeTransaction, consumerDeps) } : {});
        subscribed.set(running.name, running);
        started.push(running);
      }
      return started;
    };
    return { subgraph, events, subscribe };
  };

  return {
    name,
    defaultPort: declaration.defaultPort,
    prismaDir: dirname(fileURLToPath(declaration.schema)),
    createPrisma,
    build: build as SubgraphService<TDb, TContext, TResources>["build"],
    async create({ config, env, logger, bus, registry, tracing }): Promise<ServiceInstance> {
      // Parsed before anything is opened: a bad variable exits with a config error and leaks no pool.
      const ownEnv = declaration.env ? loadConfig(declaration.env, env) : ({} as TEnv);
      const prisma = createPrisma({ url: config.DATABASE_URL, ...databaseOptions(config), tracing });
      const disposers: (() => unknown)[] = [];
      const disposeOwn = async () => {
        for (const dispose of disposers.splice(0).reverse()) await dispose();
      };
      let events: ServiceEvents<TxOf<TDb>> | undefined;
      try {
        const resources = declaration.resources?.({ config, env: ownEnv, logger, onDispose: (dispose) => void disposers.push(dispose) });
        // A second connection of its own to LISTEN: not on embedded PGlite, which is one session (OUTBOX_LISTEN=false).
        const outboxListener = config.OUTBOX_LISTEN === false ? undefined : createOutboxListener({ connectionString: config.DATABASE_URL, logger });
        // Half the pool by default: the service's requests need connections while its consumers work.
        const consumerConcurrency = config.EVENTS_CONCURRENCY ?? Math.max(1, Math.floor(config.DATABASE_POOL_SIZE / 2));
        const parts = build({ prisma, bus, logger, registry, resources, consumerConcurrency, ...(outboxListener ? { outboxListener } : {}), ...(tracing ? { tracing } : {}) });
        events = parts.events;
        // Subscribed now, relay started in start(): the runner subscribes every
        // service before any relay publishes, so no event goes out unheard.
        await parts.subscribe();
        return {
          subgraph: parts.subgraph,
          seed: () => declaration.seed(prisma),
          start: () => parts.events.start(),
          // Consumers and relay first: they still need the pool to finish what they are doing.
          dispose: async () => {
            await parts.events.stop();
            await prisma.$disconnect();
            await disposeOwn();
          },
        };
      } catch (error) {
        // The runner never gets an instance to dispose of, so release what was opened here.
        await events?.stop().catch(() => {});
        await prisma.$disconnect();
        await disposeOwn().catch(() => {});
        throw error;
      }
    },
  };
}

type Step = (...args: any[]) => Promise<void>;

/** Each step with `deps` bound as its last argument: the shape @store/events calls. */
function withDeps(steps: Partial<Record<EventType, Step>>, deps: unknown): Partial<Record<EventType, Step>> {
  return Object.fromEntries(Object.entries(steps).map(([type, step]) => [type, (...args: unknown[]) => step(...args, deps)]));
}
