import { createServer, type Server } from "node:http";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled, ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from "@apollo/server/plugin/disabled";
import { closeServer, disabledTracing, ERRORS, listenOn, routeUpgrades, type Logger, type SpanStore, type Tracing } from "@store/kit";
import type { RouterConfig } from "./config.ts";
import type { RouterContext } from "./context.ts";
import { clientKeyOf } from "./edge/clientAddress.ts";
import { createHttpHandler } from "./edge/createHttpHandler.ts";
import { createFormatError } from "./edge/formatError.ts";
import { createFastPath } from "./execution/fastPath.ts";
import { QueryExecutor, withExecutor } from "./execution/QueryExecutor.ts";
import { createOperationLimits, operationLimitsFromConfig } from "./limits/operationLimits.ts";
import { createMetrics, type RouterMetrics } from "./metrics.ts";
import { createSupergraphGateway } from "./planning/createSupergraphGateway.ts";
import { SupergraphPlanner } from "./planning/SupergraphPlanner.ts";
import { useMetrics } from "./plugins/useMetrics.ts";
import { useTracing } from "./plugins/useTracing.ts";
import { operationLimitsRule, useOperationGuard } from "./plugins/useOperationGuard.ts";
import { createBudgetSpender, createRateLimiter, rateLimitOptionsFromConfig, useRateLimit } from "./plugins/useRateLimit.ts";
import { createTrustedDocuments, useTrustedDocuments } from "./plugins/useTrustedDocuments.ts";
import { createStatusPage, statusPageEnabled } from "./status/createStatusPage.ts";
import { createSubscriptionEndpoint, type SubscriptionStats } from "./subscriptions/createSubscriptionEndpoint.ts";

export interface RouterDeps {
  config: RouterConfig;
  logger: Logger;
  /** The router's tracing (service.name "router"). @default disabled: no spans */
  tracing?: Tracing;
  /** The in-memory span store every service of this process writes to (npm start): the status page's slow operations and saga timelines. */
  spanStore?: SpanStore;
}

export interface Router {
  readonly metrics: RouterMetrics;
  /** WebSocket connections, client subscriptions and upstream sockets/subscriptions right now. */
  subscriptionStats(): SubscriptionStats;
  listen(): Promise<{ url: string; port: number; server: Server }>;
  stop(): Promise<void>;
}

/**
 * The router's composition root: the parts by concern, composed from config.
 * Planning (the supergraph from @apollo/gateway, plans by
 * @apollo/query-planner), execution (the router's own executor, or the
 * gateway's), the edge (HTTP and WebSocket), and the cross-cutting features
 * as plugins: operation limits, rate limits, metrics, tracing, trusted documents.
 */
export function createRouter({ config, logger, tracing = disabledTracing("router"), spanStore }: RouterDeps): Router {
  const metrics = createMetrics({ maxOperationNames: config.ROUTER_METRICS_MAX_OPERATIONS });
  const log = logger.child({ component: "router" });
  const production = (config.NODE_ENV ?? process.env.NODE_ENV) === "production";
  const introspection = config.ROUTER_INTROSPECTION ?? !production;
  const limits = createOperationLimits(operationLimitsFromConfig(config));
  const limiter = createRateLimiter(rateLimitOptionsFromConfig(config), log);
  const spendBudget = createBudgetSpender(limiter);

  // The router plans and runs operations itself (the gateway refuses to run
  // subscription plans at all), on the supergraph the gateway accepted last:
  // this listener runs on the first load and on every successful reload.
  const gateway = createSupergraphGateway({ config, metrics, logger: log });
  const planner = new SupergraphPlanner({ urlOverrides: config.subgraphUrls, logger: log, limits, cacheBytes: config.ROUTER_CACHE_BYTES });
  const executor = new QueryExecutor({ planner, signingSecret: config.ROUTER_SIGNING_SECRET, timeoutMs: config.SUBGRAPH_TIMEOUT_MS, deduplicate: config.SUBGRAPH_DEDUPLICATE, metrics, logger: log });
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    try {
      planner.update(coreSupergraphSdl);
    } catch (error) {
      log.error({ err: error }, "the planner could not load the supergraph; keeping the previous one");
    }
  });

  const trusted = config.TRUSTED_DOCUMENTS === "require" ? createTrustedDocuments(config.OPERATIONS_DIR) : undefined;
  if (trusted) log.info({ operations: trusted.size }, "trusted documents: only registered operations run");
  const formatError = createFormatError(log, metrics, limits, introspection);
  const apollo = new ApolloServer<RouterContext>({
    // Our own shutdown (kit onShutdown / the platform) stops Apollo Server. Its own
    // signal handlers would call stop() a second time, concurrently, and
    // @apollo/server 5.5 can wait forever on that second call.
    stopOnTerminationSignals: false,
    gateway: withExecutor(gateway, config.QUERY_EXECUTOR === "router" ? executor : undefined),
    includeStacktraceInErrorResponses: false,
    formatError,
    introspection,
    hideSchemaDetailsFromClientErrors: !introspection,
    // The same token limit as the fast path's parser.
    parseOptions: { maxTokens: config.ROUTER_MAX_TOKENS },
    validationRules: [operationLimitsRule(limits)],
    plugins: [
      // Before the guard: its checks run inside the validate span.
      ...(tracing.enabled ? [useTracing(limits)] : []),
      useOperationGuard<RouterContext>(limits),
      useRateLimit<RouterContext>(limiter, (context) => context.clientKey),
      useMetrics<RouterContext>(metrics),
      ...(trusted ? [useTrustedDocuments<RouterContext>(trusted)] : []),
      // Usage and schema reporting go to Apollo's cloud when APOLLO_KEY is set: never from here.
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
    ],
    ...(trusted ? { persistedQueries: { cache: trusted.cache } } : {}),
  });

  const subscriptions = createSubscriptionEndpoint({
    planner,
    jwtSecret: config.JWT_SECRET,
    signingSecret: config.ROUTER_SIGNING_SECRET,
    tracing,
    fetcherFor: (context) => executor.fetcherFor(context),
    async executeOperation(request, context) {
      const response = await apollo.executeOperation(request, { contextValue: context });
      // Incremental delivery is not enabled, so every response is single.
      return response.body.kind === "single" ? response.body.singleResult : { errors: [ERRORS.OPERATION_NOT_SUPPORTED.err("Incremental delivery is not supported").toJSON()] };
    },
    formatError,
    logger: log,
    metrics,
    maxPayloadBytes: config.ROUTER_MAX_BODY_BYTES,
    clientKeyOf: (request, identity) => clientKeyOf(request, identity, config.ROUTER_TRUST_PROXY),
    spendBudget,
    maxSubscriptionsPerConnection: config.SUBSCRIPTIONS_MAX_PER_CONNECTION,
    maxSubscriptionsPerRouter: config.SUBSCRIPTIONS_MAX_PER_ROUTER,
    clientQueueMax: config.SUBSCRIPTION_CLIENT_QUEUE_MAX,
    upstreamRetryAttempts: config.SUBSCRIPTION_UPSTREAM_RETRY_ATTEMPTS,
    upstreamRetryDelayMs: config.SUBSCRIPTION_UPSTREAM_RETRY_DELAY_MS,
    upstreamKeepAliveMs: config.SUBSCRIPTION_UPSTREAM_KEEPALIVE_MS,
    upstreamConnectTimeoutMs: config.SUBGRAPH_TIMEOUT_MS,
  });

  // The common request (a JSON POST of a valid query or mutation) skips Apollo
  // Server's pipeline; trusted documents keep every request on Apollo Server.
  const fastPath = config.QUERY_EXECUTOR === "router" && !trusted ? createFastPath({ executor, planner, metrics, formatError, spendBudget }) : undefined;
  // In production the metrics are not on the public port: METRICS_PORT
  // (default 9464, loopback) serves them apart; elsewhere /metrics on PORT
  // unless METRICS_PORT is set. METRICS_TOKEN protects either.
  const metricsPort = config.METRICS_PORT ?? (production ? 9464 : undefined);
  let ready = false;
  // The status page lives beside /metrics: on METRICS_PORT (loopback) in production, where it is opt-in.
  const status = statusPageEnabled(config, production)
    ? createStatusPage({ subgraphUrls: () => planner.current()?.subgraphUrls, signingSecret: config.ROUTER_SIGNING_SECRET, registry: metrics.registry, spanStore, routerService: tracing.serviceName, token: config.METRICS_TOKEN, logger: log })
    : undefined;
  const http = createHttpHandler({ config, apollo, fastPath, metrics, metricsOnGraphQLPort: metricsPort === undefined, operatorRoutes: status?.routes, ready: () => ready, logger: log, tracing });

  let server: Server | undefined;
  let metricsServer: Server | undefined;
  let started = false;
  return {
    metrics,
    subscriptionStats: () => subscriptions.stats(),
    async listen() {
      await apollo.start();
      started = true;
      ready = true;
      const graphqlServer = createServer(http.requests);
      graphqlServer.keepAliveTimeout = 65_000;
      graphqlServer.on("upgrade", routeUpgrades((req, socket, head) => subscriptions.handleUpgrade(req, socket, head)));
      const port = await listenOn(graphqlServer, config.PORT, config.HOST);
      server = graphqlServer;
      if (metricsPort !== undefined) {
        metricsServer = createServer(http.metricsOnly);
        const bound = await listenOn(metricsServer, metricsPort, config.METRICS_HOST);
        log.info({ url: `http://${config.METRICS_HOST}:${bound}/metrics` }, "metrics listening");
      }
      const url = `http://${config.HOST}:${port}/graphql`;
      log.info({ url }, "router listening");
      return { url, port, server: graphqlServer };
    },
    async stop() {
      ready = false;
      // WebSockets first: upgraded sockets would hold server.close() open, and
      // their upstream subscriptions must be torn down with them.
      if (server) await subscriptions.stop();
      if (server) await closeServer(server);
      server = undefined;
      if (metricsServer) await closeServer(metricsServer);
      metricsServer = undefined;
      if (started) await apollo.stop();
      started = false;
      await executor.close();
      await limiter.close();
      await status?.close();
    },
  };
}
